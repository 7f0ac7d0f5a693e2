tern_store_sql::audit!(crate::PostgresStore);
