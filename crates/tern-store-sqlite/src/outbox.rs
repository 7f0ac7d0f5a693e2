tern_store_sql::outbox!(
    crate::SqliteStore,
    sqlx::Sqlite,
    tern_store::audience_sql::Dialect::Sqlite
);
