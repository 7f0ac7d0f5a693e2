tern_store_sql::outbox!(
    crate::PostgresStore,
    sqlx::Postgres,
    sqlx::postgres::PgArguments,
    tern_store::audience_sql::Dialect::Postgres
);
