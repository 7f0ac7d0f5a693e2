/// `impl Settings for $store`: one JSON document per account.
#[macro_export]
macro_rules! settings {
    ($store:ty) => {
        use async_trait::async_trait;
        use sqlx::AssertSqlSafe;
        use tern_domain::ids::AccountId;
        use tern_store::{AccountSettings, Settings, StoreError, StoreResult, decode};

        use crate::{dialect::JSON_TYPE, map_error};

        #[async_trait]
        impl Settings for $store {
            async fn settings(&self, account: AccountId) -> StoreResult<AccountSettings> {
                let (json, revision): (String, i64) = sqlx::query_as(
                    "SELECT CAST(settings AS TEXT), revision FROM account_settings \
                     WHERE account_id = $1",
                )
                .bind(account.to_string())
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                Ok(AccountSettings {
                    revision,
                    ..decode::settings(&json)?
                })
            }

            async fn save_settings(
                &self,
                account: AccountId,
                settings: &AccountSettings,
            ) -> StoreResult<i64> {
                let saved: Option<(i64,)> = sqlx::query_as(AssertSqlSafe(format!(
                    "UPDATE account_settings SET settings = CAST($1 AS {JSON_TYPE}), \
                     revision = revision + 1 WHERE account_id = $2 AND revision = $3 \
                     RETURNING revision"
                )))
                .bind(decode::settings_json(settings))
                .bind(account.to_string())
                .bind(settings.revision)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_error)?;
                match saved {
                    Some((revision,)) => Ok(revision),
                    None => {
                        // Gone, or changed since it was read.
                        self.settings(account).await?;
                        Err(StoreError::Conflict {
                            constraint: "settings_revision".into(),
                        })
                    }
                }
            }
        }
    };
}
