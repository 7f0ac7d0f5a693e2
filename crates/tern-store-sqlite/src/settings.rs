use async_trait::async_trait;
use tern_domain::ids::AccountId;
use tern_store::{AccountSettings, Settings, StoreError, StoreResult, decode};

use crate::{SqliteStore, map_error};

#[async_trait]
impl Settings for SqliteStore {
    async fn settings(&self, account: AccountId) -> StoreResult<AccountSettings> {
        let (json,): (String,) =
            sqlx::query_as("SELECT settings FROM account_settings WHERE account_id = $1")
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
        let done = sqlx::query("UPDATE account_settings SET settings = $1 WHERE account_id = $2")
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
