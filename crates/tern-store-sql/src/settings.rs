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
                let (json,): (String,) = sqlx::query_as(
                    "SELECT CAST(settings AS TEXT) FROM account_settings WHERE account_id = $1",
                )
                .bind(account.to_string())
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                decode::settings(&json)
            }

            async fn save_settings(
                &self,
                account: AccountId,
                settings: &AccountSettings,
            ) -> StoreResult<()> {
                let done = sqlx::query(AssertSqlSafe(format!(
                    "UPDATE account_settings SET settings = CAST($1 AS {JSON_TYPE}) \
                     WHERE account_id = $2"
                )))
                .bind(decode::settings_json(settings))
                .bind(account.to_string())
                .execute(&self.pool)
                .await
                .map_err(map_error)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }
        }
    };
}
