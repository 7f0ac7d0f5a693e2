tern_store_sql::accounts!(crate::SqliteStore);
