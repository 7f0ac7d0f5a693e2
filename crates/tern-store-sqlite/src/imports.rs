tern_store_sql::imports!(crate::SqliteStore);
