tern_store_sql::users!(crate::PostgresStore);
