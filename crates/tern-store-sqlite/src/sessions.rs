tern_store_sql::sessions!(crate::SqliteStore);
