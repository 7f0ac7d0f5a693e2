tern_store_sql::outbox!(
    crate::PostgresStore,
    sqlx::Postgres,
    tern_store::audience_sql::Dialect::Postgres
);
