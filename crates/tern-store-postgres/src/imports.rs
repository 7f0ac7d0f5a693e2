tern_store_sql::imports!(crate::PostgresStore);
