tern_store_sql::health!(crate::SqliteStore);
