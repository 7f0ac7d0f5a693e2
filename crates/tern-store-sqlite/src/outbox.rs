tern_store_sql::outbox!(
    crate::SqliteStore,
    sqlx::Sqlite,
    sqlx::sqlite::SqliteArguments,
    tern_store::audience_sql::Dialect::Sqlite
);
