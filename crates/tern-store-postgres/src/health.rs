use std::borrow::Cow;

use async_trait::async_trait;
use sqlx::{
    SqlSafeStr,
    migrate::{Migration, MigrationType, Migrator},
};
use tern_store::{Health, Readiness, StoreError, StoreResult};

use crate::{PostgresStore, map_error};

/// The migrations, embedded so that the binary needs no files beside it.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "accounts",
        include_str!("../migrations/0001_accounts.sql"),
    ),
    (2, "media", include_str!("../migrations/0002_media.sql")),
    (
        3,
        "audience",
        include_str!("../migrations/0003_audience.sql"),
    ),
    (
        4,
        "campaigns",
        include_str!("../migrations/0004_campaigns.sql"),
    ),
    (
        5,
        "attribute names",
        include_str!("../migrations/0005_attribute_names.sql"),
    ),
    (6, "outbox", include_str!("../migrations/0006_outbox.sql")),
    (
        7,
        "sessions",
        include_str!("../migrations/0007_sessions.sql"),
    ),
];

pub(crate) fn migrator() -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, name, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(name),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

#[async_trait]
impl Health for PostgresStore {
    async fn migrate(&self) -> StoreResult<()> {
        migrator()
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Other(Box::new(e)))
    }

    async fn ready(&self) -> StoreResult<Readiness> {
        let applied: Option<(i64,)> =
            sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_optional(&self.pool)
                .await
                .or_else(|e| match e {
                    // No migrations table yet: nothing applied.
                    sqlx::Error::Database(db) if db.code().as_deref() == Some("42P01") => Ok(None),
                    other => Err(other),
                })
                .map_err(map_error)?;
        Ok(Readiness {
            applied_migrations: applied.map_or(0, |(n,)| n),
            known_migrations: MIGRATIONS.len() as i64,
        })
    }
}
