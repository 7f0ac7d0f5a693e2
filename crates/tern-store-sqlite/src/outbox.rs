tern_store_sql::outbox!(crate::SqliteStore);
