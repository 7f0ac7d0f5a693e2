/// `impl ApiKeys for $store`: keys kept as hashes, usable until revoked.
#[macro_export]
macro_rules! keys {
    ($store:ty) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use sqlx::FromRow;
        use tern_domain::ids::{AccountId, ApiKeyId};
        use tern_store::{ApiKeyRecord, ApiKeys, NewApiKeyRecord, StoreResult, decode, last_use_is_stale};

        use crate::map_error;

        #[derive(FromRow)]
        struct KeyRow {
            id: String,
            account_id: String,
            prefix: String,
            created_at: i64,
            last_used_at: Option<i64>,
            revoked_at: Option<i64>,
        }

        impl KeyRow {
            fn into_record(self) -> StoreResult<ApiKeyRecord> {
                decode::api_key(
                    &self.id,
                    &self.account_id,
                    self.prefix,
                    self.created_at,
                    self.last_used_at,
                    self.revoked_at,
                )
            }
        }

        #[async_trait]
        impl ApiKeys for $store {
            async fn create_api_key(&self, key: NewApiKeyRecord) -> StoreResult<ApiKeyRecord> {
                let row: KeyRow = sqlx::query_as(
                    "INSERT INTO api_keys (id, account_id, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5)
                     RETURNING id, account_id, prefix, created_at, last_used_at, revoked_at",
                )
                .bind(key.id.to_string())
                .bind(key.account_id.to_string())
                .bind(&key.prefix)
                .bind(&key.hash)
                .bind(decode::millis(key.created_at))
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                row.into_record()
            }

            async fn use_api_key(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<ApiKeyRecord> {
                let row: KeyRow = sqlx::query_as(
                    "SELECT id, account_id, prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE hash = $1 AND revoked_at IS NULL",
                )
                .bind(hash)
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                let mut record = row.into_record()?;
                if last_use_is_stale(record.last_used_at, now) {
                    sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                        .bind(decode::millis(now))
                        .bind(record.id.to_string())
                        .execute(&self.pool)
                        .await
                        .map_err(map_error)?;
                    record.last_used_at = Some(now);
                }
                Ok(record)
            }

            async fn api_key(&self, id: ApiKeyId) -> StoreResult<ApiKeyRecord> {
                let row: KeyRow = sqlx::query_as("SELECT id, account_id, prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE id = $1")
                    .bind(id.to_string())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_error)?;
                row.into_record()
            }

            async fn list_api_keys(&self, account: AccountId) -> StoreResult<Vec<ApiKeyRecord>> {
                let rows: Vec<KeyRow> = sqlx::query_as(
                    "SELECT id, account_id, prefix, created_at, last_used_at, revoked_at FROM api_keys WHERE account_id = $1 ORDER BY created_at, id",
                )
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter().map(KeyRow::into_record).collect()
            }

            async fn revoke_api_key(
                &self,
                account: Option<AccountId>,
                id: ApiKeyId,
                now: DateTime<Utc>,
            ) -> StoreResult<ApiKeyRecord> {
                let row: KeyRow = sqlx::query_as(
                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND (CAST($3 AS TEXT) IS NULL OR account_id = $3)
                     RETURNING id, account_id, prefix, created_at, last_used_at, revoked_at",
                )
                .bind(decode::millis(now))
                .bind(id.to_string())
                .bind(account.map(|a| a.to_string()))
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                row.into_record()
            }
        }
    };
}
