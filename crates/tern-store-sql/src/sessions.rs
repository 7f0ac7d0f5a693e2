/// `impl Sessions for $store`.
#[macro_export]
macro_rules! sessions {
    ($store:ty) => {
        use async_trait::async_trait;
        use chrono::{DateTime, TimeDelta, Utc};
        use tern_domain::access::wait_after_failures;
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

            async fn sign_in_blocked(
                &self,
                keys: &[String],
                now: DateTime<Utc>,
            ) -> StoreResult<Option<DateTime<Utc>>> {
                let mut latest = None;
                for key in keys {
                    let until: Option<(i64,)> = sqlx::query_as(
                        "SELECT blocked_until FROM sign_in_failures WHERE key = $1 AND blocked_until > $2",
                    )
                    .bind(key)
                    .bind(decode::millis(now))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_error)?;
                    if let Some((until,)) = until {
                        latest = latest.max(Some(decode::time(until)?));
                    }
                }
                Ok(latest)
            }

            async fn record_sign_in_failure(
                &self,
                key: &str,
                free: u32,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<DateTime<Utc>>> {
                let at = decode::millis(now);
                let quiet_since = decode::millis(now - TimeDelta::days(1));
                let mut tx = self.pool.begin().await.map_err(map_error)?;
                // Keys quiet for a day are forgotten: the table holds only recent guessing.
                sqlx::query("DELETE FROM sign_in_failures WHERE last_at < $1 AND blocked_until < $2")
                    .bind(quiet_since)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                let (failures,): (i64,) = sqlx::query_as(
                    "INSERT INTO sign_in_failures (key, failures, blocked_until, last_at) \
                     VALUES ($1, 1, 0, $2) ON CONFLICT (key) DO UPDATE SET \
                     failures = CASE WHEN sign_in_failures.last_at < $3 THEN 1 \
                     ELSE sign_in_failures.failures + 1 END, last_at = $2 RETURNING failures",
                )
                .bind(key)
                .bind(at)
                .bind(quiet_since)
                .fetch_one(&mut *tx)
                .await
                .map_err(map_error)?;
                let wait = wait_after_failures(u32::try_from(failures).unwrap_or(u32::MAX), free);
                let until = (wait > 0).then(|| now + TimeDelta::seconds(wait as i64));
                if let Some(until) = until {
                    sqlx::query("UPDATE sign_in_failures SET blocked_until = $1 WHERE key = $2")
                        .bind(decode::millis(until))
                        .bind(key)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_error)?;
                }
                tx.commit().await.map_err(map_error)?;
                Ok(until)
            }

            async fn clear_sign_in_failures(&self, key: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
                    .bind(key)
                    .execute(&self.pool)
                    .await
                    .map_err(map_error)?;
                Ok(())
            }
        }
    };
}
