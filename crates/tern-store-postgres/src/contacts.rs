tern_store_sql::contacts!(crate::PostgresStore);
