tern_store_sql::events!(crate::SqliteStore);
