tern_store_sql::settings!(crate::PostgresStore);
