tern_store_sql::sessions!(crate::PostgresStore);
