tern_store_sql::reports!(crate::PostgresStore);
