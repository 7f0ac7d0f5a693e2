tern_store_sql::contacts!(crate::SqliteStore);
