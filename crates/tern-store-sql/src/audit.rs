/// `impl Audit for $store`: the account's trail of changes, append-only.
#[macro_export]
macro_rules! audit {
    ($store:ty) => {
        use async_trait::async_trait;
        use sqlx::AssertSqlSafe;
        use tern_domain::ids::AccountId;
        use tern_store::{Audit, AuditEntry, StoreResult, decode};

        use crate::{dialect::JSON_TYPE, map_error};

        #[async_trait]
        impl Audit for $store {
            async fn record_audit(
                &self,
                account: AccountId,
                entry: &AuditEntry,
            ) -> StoreResult<()> {
                sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO audit_log (account_id, at, actor, action, target, detail) \
                     VALUES ($1, $2, $3, $4, $5, CAST($6 AS {JSON_TYPE}))"
                )))
                .bind(account.to_string())
                .bind(decode::millis(entry.at))
                .bind(&entry.actor)
                .bind(&entry.action)
                .bind(&entry.target)
                .bind(entry.detail.to_string())
                .execute(&self.pool)
                .await
                .map_err(map_error)?;
                Ok(())
            }

            async fn audit_entries(
                &self,
                account: AccountId,
                before: Option<i64>,
                limit: u32,
            ) -> StoreResult<Vec<AuditEntry>> {
                let rows: Vec<(i64, i64, String, String, Option<String>, String)> = sqlx::query_as(
                    "SELECT id, at, actor, action, target, CAST(detail AS TEXT) FROM audit_log \
                     WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                )
                .bind(account.to_string())
                .bind(before.unwrap_or(i64::MAX))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter()
                    .map(|(id, at, actor, action, target, detail)| {
                        Ok(AuditEntry {
                            id,
                            at: decode::time(at)?,
                            actor,
                            action,
                            target,
                            detail: decode::json("audit detail", &detail)?,
                        })
                    })
                    .collect()
            }
        }
    };
}
