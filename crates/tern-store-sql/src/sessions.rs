/// `impl Sessions for $store`.
#[macro_export]
macro_rules! sessions {
    ($store:ty) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use tern_store::{Session, Sessions, StoreResult, decode};

        use crate::map_error;

        #[async_trait]
        impl Sessions for $store {
            async fn create_session(&self, session: Session) -> StoreResult<()> {
                // The user's expired sessions go when a new one starts: the table stays small.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
                    .bind(session.user_id.to_string())
                    .bind(decode::millis(session.created_at))
                    .execute(&self.pool)
                    .await
                    .map_err(map_error)?;
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, account_id, csrf_token, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&session.token_hash)
                .bind(session.user_id.to_string())
                .bind(session.account_id.to_string())
                .bind(&session.csrf_token)
                .bind(decode::millis(session.created_at))
                .bind(decode::millis(session.expires_at))
                .execute(&self.pool)
                .await
                .map_err(map_error)?;
                Ok(())
            }

            async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Session> {
                let (token_hash, user_id, account_id, email, csrf_token, created_at, expires_at): (
                    String, String, String, String, String, i64, i64,
                ) = sqlx::query_as(
                    "SELECT s.token_hash, s.user_id, s.account_id, u.email, s.csrf_token, s.created_at, s.expires_at
                     FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.token_hash = $1 AND s.expires_at > $2",
                )
                .bind(token_hash)
                .bind(decode::millis(now))
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                Ok(Session {
                    token_hash,
                    user_id: decode::uuid("user id", &user_id)?,
                    account_id: decode::uuid("account id", &account_id)?,
                    email,
                    csrf_token,
                    created_at: decode::time(created_at)?,
                    expires_at: decode::time(expires_at)?,
                })
            }

            async fn end_session(&self, token_hash: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await
                    .map_err(map_error)?;
                Ok(())
            }
        }
    };
}
