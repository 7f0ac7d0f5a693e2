/// `impl Accounts for $store`: each account created with its default settings.
#[macro_export]
macro_rules! accounts {
    ($store:ty) => {
        use async_trait::async_trait;
        use sqlx::{AssertSqlSafe, FromRow};
        use tern_domain::ids::AccountId;
        use tern_store::{Account, AccountSettings, Accounts, NewAccount, StoreResult, decode};

        use crate::{
            dialect::{Db, JSON_TYPE},
            map_error,
        };

        #[derive(FromRow)]
        struct AccountRow {
            id: String,
            name: String,
            mms_enabled: bool,
            write_key: String,
            created_at: i64,
        }

        impl AccountRow {
            fn into_account(self) -> StoreResult<Account> {
                decode::account(
                    &self.id,
                    self.name,
                    self.mms_enabled,
                    self.write_key,
                    self.created_at,
                )
            }
        }

        #[async_trait]
        impl Accounts for $store {
            async fn create_account(&self, new: NewAccount) -> StoreResult<Account> {
                let mut tx = self.pool.begin().await.map_err(map_error)?;
                sqlx::query("INSERT INTO accounts (id, name, mms_enabled, write_key, created_at) VALUES ($1, $2, FALSE, $3, $4)")
                    .bind(new.id.to_string())
                    .bind(new.name.as_str())
                    .bind(&new.write_key)
                    .bind(decode::millis(new.created_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO account_settings (account_id, settings) \
                     VALUES ($1, CAST($2 AS {JSON_TYPE}))"
                )))
                .bind(new.id.to_string())
                .bind(decode::settings_json(&AccountSettings::default()))
                .execute(&mut *tx)
                .await
                .map_err(map_error)?;
                tx.commit().await.map_err(map_error)?;
                Ok(Account {
                    id: new.id,
                    name: new.name,
                    mms_enabled: false,
                    write_key: new.write_key,
                    created_at: new.created_at,
                })
            }

            async fn account(&self, id: AccountId) -> StoreResult<Account> {
                account_by(
                    &self.pool,
                    "SELECT id, name, mms_enabled, write_key, created_at FROM accounts WHERE id = $1",
                    &id.to_string(),
                )
                .await
            }

            async fn account_by_name(&self, name: &str) -> StoreResult<Account> {
                account_by(
                    &self.pool,
                    "SELECT id, name, mms_enabled, write_key, created_at FROM accounts WHERE name = $1",
                    name,
                )
                .await
            }

            async fn account_by_write_key(&self, write_key: &str) -> StoreResult<Account> {
                account_by(
                    &self.pool,
                    "SELECT id, name, mms_enabled, write_key, created_at FROM accounts \
                     WHERE write_key = $1",
                    write_key,
                )
                .await
            }

            async fn list_accounts(&self) -> StoreResult<Vec<Account>> {
                let rows: Vec<AccountRow> = sqlx::query_as(
                    "SELECT id, name, mms_enabled, write_key, created_at FROM accounts ORDER BY name",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter().map(AccountRow::into_account).collect()
            }

            async fn set_mms_enabled(&self, id: AccountId, enabled: bool) -> StoreResult<Account> {
                let row: AccountRow = sqlx::query_as("UPDATE accounts SET mms_enabled = $1 WHERE id = $2 RETURNING id, name, mms_enabled, write_key, created_at")
                    .bind(enabled)
                    .bind(id.to_string())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_error)?;
                row.into_account()
            }
        }

        /// The account of the one row that `sql` selects by `key`.
        async fn account_by(
            pool: &sqlx::Pool<Db>,
            sql: &'static str,
            key: &str,
        ) -> StoreResult<Account> {
            let row: AccountRow = sqlx::query_as(sql)
                .bind(key)
                .fetch_one(pool)
                .await
                .map_err(map_error)?;
            row.into_account()
        }
    };
}
