tern_store_sql::triggers!(crate::PostgresStore);
