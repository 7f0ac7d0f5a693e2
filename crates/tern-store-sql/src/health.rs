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
            (
                8,
                "sending",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/0008_sending.sql"
                )),
            ),
            (
                9,
                "access",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/0009_access.sql"
                )),
            ),
            (
                10,
                "triggers",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/0010_triggers.sql"
                )),
            ),
            (
                11,
                "goals",
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/migrations/0011_goals.sql"
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

            async fn key_fingerprint(&self, fingerprint: &str) -> StoreResult<String> {
                // The first node to start records its key; the table's key admits one row of
                // each fingerprint, so the earliest is read back.
                sqlx::query(
                    "INSERT INTO installation (key_fingerprint) SELECT $1 \
                     WHERE NOT EXISTS (SELECT 1 FROM installation) ON CONFLICT DO NOTHING",
                )
                .bind(fingerprint)
                .execute(&self.pool)
                .await
                .map_err(map_error)?;
                let recorded: Vec<(String,)> =
                    sqlx::query_as("SELECT key_fingerprint FROM installation")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_error)?;
                Ok(match recorded.iter().find(|(f,)| f == fingerprint) {
                    Some(_) if recorded.len() == 1 => fingerprint.to_owned(),
                    _ => recorded
                        .into_iter()
                        .map(|(f,)| f)
                        .find(|f| f != fingerprint)
                        .unwrap_or_else(|| fingerprint.to_owned()),
                })
            }
        }
    };
}
