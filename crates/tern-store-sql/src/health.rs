/// `impl Health for $store`: the backend's migrations (`migrations/` beside its manifest, the
/// same list in each dialect), embedded so that the binary needs no files beside it.
#[macro_export]
macro_rules! health {
    ($store:ty) => {
        use std::borrow::Cow;

        use async_trait::async_trait;
        use sqlx::{
            SqlSafeStr,
            migrate::{Migration, MigrationType, Migrator},
        };
        use tern_store::{Health, Readiness, StoreError, StoreResult};

        use crate::{dialect::is_missing_table, map_error};

        const MIGRATIONS: &[(i64, &str, &str)] = &[
            (
                1,
                "accounts",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/0001_accounts.sql"
                )),
            ),
            (
                2,
                "media",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/0002_media.sql"
                )),
            ),
            (
                3,
                "audience",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/0003_audience.sql"
                )),
            ),
            (
                4,
                "campaigns",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/0004_campaigns.sql"
                )),
            ),
            (
                5,
                "attribute names",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/0005_attribute_names.sql"
                )),
            ),
            (
                6,
                "outbox",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/0006_outbox.sql"
                )),
            ),
            (
                7,
                "sessions",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/0007_sessions.sql"
                )),
            ),
        ];

        fn migrator() -> Migrator {
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
        impl Health for $store {
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
                            sqlx::Error::Database(db) if is_missing_table(&*db) => Ok(None),
                            other => Err(other),
                        })
                        .map_err(map_error)?;
                Ok(Readiness {
                    applied_migrations: applied.map_or(0, |(n,)| n),
                    known_migrations: MIGRATIONS.len() as i64,
                })
            }
        }
    };
}
