/// `impl Users for $store`: panel users, unique by email, and their invitations.
#[macro_export]
macro_rules! users {
    ($store:ty) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use sqlx::FromRow;
        use tern_domain::{access::Role, ids::{AccountId, UserId}};
        use tern_store::{Invite, NewUser, StoreError, StoreResult, User, Users, decode};

        use crate::map_error;

        #[derive(FromRow)]
        struct UserRow {
            id: String,
            account_id: String,
            email: String,
            role: String,
            created_at: i64,
        }

        impl UserRow {
            fn into_user(self) -> StoreResult<User> {
                decode::user(&self.id, &self.account_id, self.email, &self.role, self.created_at)
            }
        }

        #[derive(FromRow)]
        struct InviteRow {
            token_hash: String,
            account_id: String,
            email: String,
            role: String,
            created_by: String,
            created_at: i64,
            expires_at: i64,
        }

        impl InviteRow {
            fn into_invite(self) -> StoreResult<Invite> {
                Ok(Invite {
                    token_hash: self.token_hash,
                    account_id: decode::uuid("account id", &self.account_id)?,
                    email: decode::email(&self.email)?,
                    role: self.role.parse().map_err(|e| StoreError::Other(format!("stored role: {e}").into()))?,
                    created_by: self.created_by,
                    created_at: decode::time(self.created_at)?,
                    expires_at: decode::time(self.expires_at)?,
                })
            }
        }

        const USER_COLUMNS: &str = "id, account_id, email, role, created_at";
        const INVITE_COLUMNS: &str =
            "token_hash, account_id, email, role, created_by, created_at, expires_at";

        async fn insert_user<'e, E>(executor: E, user: &NewUser) -> StoreResult<User>
        where
            E: sqlx::Executor<'e, Database = crate::dialect::Db>,
        {
            let row: UserRow = sqlx::query_as(
                "INSERT INTO users (id, account_id, email, role, password_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, account_id, email, role, created_at",
            )
            .bind(user.id.to_string())
            .bind(user.account_id.to_string())
            .bind(user.email.as_str())
            .bind(user.role.as_str())
            .bind(&user.password_hash)
            .bind(decode::millis(user.created_at))
            .fetch_one(executor)
            .await
            .map_err(map_error)?;
            row.into_user()
        }

        #[async_trait]
        impl Users for $store {
            async fn create_user(&self, user: NewUser) -> StoreResult<User> {
                insert_user(&self.pool, &user).await
            }

            async fn list_users(&self, account: AccountId) -> StoreResult<Vec<User>> {
                let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE account_id = $1 ORDER BY email"
                )))
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter().map(UserRow::into_user).collect()
            }

            async fn user_by_email(&self, email: &str) -> StoreResult<(User, String)> {
                let (id, account_id, email, role, created_at, hash): (String, String, String, String, i64, String) =
                    sqlx::query_as("SELECT id, account_id, email, role, created_at, password_hash FROM users WHERE email = $1")
                        .bind(email.to_lowercase())
                        .fetch_one(&self.pool)
                        .await
                        .map_err(map_error)?;
                Ok((decode::user(&id, &account_id, email, &role, created_at)?, hash))
            }

            async fn user(&self, account: AccountId, id: UserId) -> StoreResult<(User, String)> {
                let (id, account_id, email, role, created_at, hash): (String, String, String, String, i64, String) =
                    sqlx::query_as(
                        "SELECT id, account_id, email, role, created_at, password_hash FROM users \
                         WHERE id = $1 AND account_id = $2",
                    )
                    .bind(id.to_string())
                    .bind(account.to_string())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_error)?;
                Ok((decode::user(&id, &account_id, email, &role, created_at)?, hash))
            }

            async fn delete_user(
                &self,
                account: AccountId,
                id: UserId,
                created_by: &str,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(map_error)?;
                // Two admins removing each other at once: the second waits for the first, and
                // then counts one admin fewer (SQLite's writes are serial already).
                if crate::dialect::DIALECT == tern_store::audience_sql::Dialect::Postgres {
                    sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
                        .bind(account.to_string())
                        .execute(&mut *tx)
                        .await
                        .map_err(map_error)?;
                }
                let done = sqlx::query("DELETE FROM users WHERE id = $1 AND account_id = $2")
                    .bind(id.to_string())
                    .bind(account.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                let (admins,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM users WHERE account_id = $1 AND role = $2",
                )
                .bind(account.to_string())
                .bind(Role::Admin.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(map_error)?;
                if admins == 0 {
                    return Err(StoreError::Conflict { constraint: "last_admin".into() });
                }
                // Sessions go with their user (the foreign key cascades), also on SQLite; their
                // invitations too, so that a removed admin cannot come back through one.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                sqlx::query("DELETE FROM invites WHERE account_id = $1 AND created_by = $2")
                    .bind(account.to_string())
                    .bind(created_by)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                tx.commit().await.map_err(map_error)
            }

            async fn set_password(&self, account: AccountId, id: UserId, hash: &str) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(map_error)?;
                let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND account_id = $3")
                    .bind(hash)
                    .bind(id.to_string())
                    .bind(account.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                tx.commit().await.map_err(map_error)
            }

            async fn create_invite(&self, invite: &Invite) -> StoreResult<()> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO invites ({INVITE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                )))
                .bind(&invite.token_hash)
                .bind(invite.account_id.to_string())
                .bind(invite.email.as_str())
                .bind(invite.role.as_str())
                .bind(&invite.created_by)
                .bind(decode::millis(invite.created_at))
                .bind(decode::millis(invite.expires_at))
                .execute(&self.pool)
                .await
                .map_err(map_error)?;
                Ok(())
            }

            async fn list_invites(&self, account: AccountId, now: DateTime<Utc>) -> StoreResult<Vec<Invite>> {
                let rows: Vec<InviteRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {INVITE_COLUMNS} FROM invites WHERE account_id = $1 AND expires_at > $2 \
                     ORDER BY created_at"
                )))
                .bind(account.to_string())
                .bind(decode::millis(now))
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter().map(InviteRow::into_invite).collect()
            }

            async fn delete_invite(&self, account: AccountId, token_hash: &str) -> StoreResult<()> {
                let done = sqlx::query("DELETE FROM invites WHERE token_hash = $1 AND account_id = $2")
                    .bind(token_hash)
                    .bind(account.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err(map_error)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn invite(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Invite> {
                let row: InviteRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {INVITE_COLUMNS} FROM invites WHERE token_hash = $1 AND expires_at > $2"
                )))
                .bind(token_hash)
                .bind(decode::millis(now))
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                row.into_invite()
            }

            async fn accept_invite(
                &self,
                token_hash: &str,
                user: NewUser,
                now: DateTime<Utc>,
            ) -> StoreResult<User> {
                let mut tx = self.pool.begin().await.map_err(map_error)?;
                // Deleting first makes the link single-use even when two acceptances race.
                let row: InviteRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM invites WHERE token_hash = $1 AND expires_at > $2 \
                     RETURNING {INVITE_COLUMNS}"
                )))
                .bind(token_hash)
                .bind(decode::millis(now))
                .fetch_one(&mut *tx)
                .await
                .map_err(map_error)?;
                let invite = row.into_invite()?;
                let user = NewUser {
                    account_id: invite.account_id,
                    email: invite.email,
                    role: invite.role,
                    ..user
                };
                let created = insert_user(&mut *tx, &user).await?;
                tx.commit().await.map_err(map_error)?;
                Ok(created)
            }
        }
    };
}
