tern_store_sql::outbox!(crate::PostgresStore);
