tern_store_sql::reports!(crate::SqliteStore);
