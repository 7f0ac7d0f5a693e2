tern_store_sql::segments!(crate::PostgresStore);
