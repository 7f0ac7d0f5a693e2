/// `impl Imports for $store`.
#[macro_export]
macro_rules! imports {
    ($store:ty) => {
        use async_trait::async_trait;
        use sqlx::FromRow;
        use tern_domain::ids::{AccountId, ImportId};
        use tern_store::{ImportRecord, Imports, StoreError, StoreResult, decode};

        use crate::map_error;

        #[derive(FromRow)]
        struct ImportRow {
            id: String,
            account_id: String,
            file_name: String,
            status: String,
            bytes_total: i64,
            bytes_done: i64,
            rows_done: i64,
            created: i64,
            updated: i64,
            unchanged: i64,
            rejected: i64,
            rejected_rows: String,
            consent_kept: i64,
            consent_kept_lines: String,
            error: Option<String>,
            created_at: i64,
            finished_at: Option<i64>,
        }

        impl ImportRow {
            fn into_record(self) -> StoreResult<ImportRecord> {
                decode::import(decode::ImportColumns {
                    id: self.id,
                    account_id: self.account_id,
                    file_name: self.file_name,
                    status: self.status,
                    bytes_total: self.bytes_total,
                    bytes_done: self.bytes_done,
                    rows_done: self.rows_done,
                    created: self.created,
                    updated: self.updated,
                    unchanged: self.unchanged,
                    rejected: self.rejected,
                    rejected_rows: self.rejected_rows,
                    consent_kept: self.consent_kept,
                    consent_kept_lines: self.consent_kept_lines,
                    error: self.error,
                    created_at: self.created_at,
                    finished_at: self.finished_at,
                })
            }
        }

        #[async_trait]
        impl Imports for $store {
            async fn create_import(&self, import: &ImportRecord) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO imports (id, account_id, file_name, status, bytes_total, bytes_done, \
                     rows_done, created, updated, unchanged, rejected, rejected_rows, error, created_at, \
                     finished_at, consent_kept, consent_kept_lines) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                )
                .bind(import.id.to_string())
                .bind(import.account_id.to_string())
                .bind(&import.file_name)
                .bind(decode::import_status(import.status))
                .bind(import.bytes_total as i64)
                .bind(import.bytes_done as i64)
                .bind(import.rows_done as i64)
                .bind(import.created as i64)
                .bind(import.updated as i64)
                .bind(import.unchanged as i64)
                .bind(import.rejected as i64)
                .bind(serde_json::to_string(&import.rejected_rows).unwrap_or_else(|_| "[]".into()))
                .bind(&import.error)
                .bind(decode::millis(import.created_at))
                .bind(import.finished_at.map(decode::millis))
                .bind(import.consent_kept as i64)
                .bind(serde_json::to_string(&import.consent_kept_lines).unwrap_or_else(|_| "[]".into()))
                .execute(&self.pool)
                .await
                .map_err(map_error)?;
                Ok(())
            }

            async fn save_import(&self, import: &ImportRecord) -> StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE imports SET status = $1, bytes_total = $2, bytes_done = $3, rows_done = $4, \
                     created = $5, updated = $6, unchanged = $7, rejected = $8, rejected_rows = $9, \
                     error = $10, finished_at = $11, consent_kept = $14, consent_kept_lines = $15 \
                     WHERE id = $12 AND account_id = $13",
                )
                .bind(decode::import_status(import.status))
                .bind(import.bytes_total as i64)
                .bind(import.bytes_done as i64)
                .bind(import.rows_done as i64)
                .bind(import.created as i64)
                .bind(import.updated as i64)
                .bind(import.unchanged as i64)
                .bind(import.rejected as i64)
                .bind(serde_json::to_string(&import.rejected_rows).unwrap_or_else(|_| "[]".into()))
                .bind(&import.error)
                .bind(import.finished_at.map(decode::millis))
                .bind(import.id.to_string())
                .bind(import.account_id.to_string())
                .bind(import.consent_kept as i64)
                .bind(serde_json::to_string(&import.consent_kept_lines).unwrap_or_else(|_| "[]".into()))
                .execute(&self.pool)
                .await
                .map_err(map_error)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn import(&self, account: AccountId, id: ImportId) -> StoreResult<ImportRecord> {
                let row: ImportRow =
                    sqlx::query_as("SELECT * FROM imports WHERE id = $1 AND account_id = $2")
                        .bind(id.to_string())
                        .bind(account.to_string())
                        .fetch_one(&self.pool)
                        .await
                        .map_err(map_error)?;
                row.into_record()
            }

            async fn list_imports(&self, account: AccountId) -> StoreResult<Vec<ImportRecord>> {
                let rows: Vec<ImportRow> = sqlx::query_as(
                    "SELECT * FROM imports WHERE account_id = $1 ORDER BY created_at DESC LIMIT 100",
                )
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter().map(ImportRow::into_record).collect()
            }
        }
    };
}
