tern_store_sql::accounts!(crate::PostgresStore);
