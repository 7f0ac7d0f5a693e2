tern_store_sql::campaigns!(crate::PostgresStore);
