/// `impl Users for $store`: panel users, unique by email.
#[macro_export]
macro_rules! users {
    ($store:ty) => {
        use async_trait::async_trait;
        use sqlx::FromRow;
        use tern_domain::ids::AccountId;
        use tern_store::{NewUser, StoreResult, User, Users, decode};

        use crate::map_error;

        #[derive(FromRow)]
        struct UserRow {
            id: String,
            account_id: String,
            email: String,
            created_at: i64,
        }

        impl UserRow {
            fn into_user(self) -> StoreResult<User> {
                decode::user(&self.id, &self.account_id, self.email, self.created_at)
            }
        }

        #[async_trait]
        impl Users for $store {
            async fn create_user(&self, user: NewUser) -> StoreResult<User> {
                let row: UserRow = sqlx::query_as(
                    "INSERT INTO users (id, account_id, email, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
                     RETURNING id, account_id, email, created_at",
                )
                .bind(user.id.to_string())
                .bind(user.account_id.to_string())
                .bind(user.email.as_str())
                .bind(&user.password_hash)
                .bind(decode::millis(user.created_at))
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                row.into_user()
            }

            async fn list_users(&self, account: AccountId) -> StoreResult<Vec<User>> {
                let rows: Vec<UserRow> = sqlx::query_as("SELECT id, account_id, email, created_at FROM users WHERE account_id = $1 ORDER BY email")
                    .bind(account.to_string())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_error)?;
                rows.into_iter().map(UserRow::into_user).collect()
            }

            async fn user_by_email(&self, email: &str) -> StoreResult<(User, String)> {
                let (id, account_id, email, created_at, hash): (String, String, String, i64, String) =
                    sqlx::query_as("SELECT id, account_id, email, created_at, password_hash FROM users WHERE email = $1")
                        .bind(email.to_lowercase())
                        .fetch_one(&self.pool)
                        .await
                        .map_err(map_error)?;
                Ok((decode::user(&id, &account_id, email, created_at)?, hash))
            }
        }
    };
}
