tern_store_sql::media!(crate::SqliteStore);
