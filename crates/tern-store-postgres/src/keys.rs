tern_store_sql::keys!(crate::PostgresStore);
