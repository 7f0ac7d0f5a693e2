//! CSV imports as background jobs: the caller saves the upload to a temporary file, which is
//! imported in batches; its progress is read from any node.

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tern_domain::ids::ImportId;
use tern_store::{Account, ImportRecord};
use utoipa::ToSchema;

use crate::{
    Actor, AppError, AppResult, AppState,
    audience::import::{Field, ImportOptions, run_import},
    audit, random,
};

/// The largest CSV file accepted (about four million rows of a typical export).
pub const MAX_IMPORT_BYTES: usize = 512 << 20;

/// An import and its progress.
#[derive(Serialize, ToSchema)]
pub struct ImportView {
    pub id: String,
    pub file_name: String,
    /// `running`, `completed` or `failed`.
    pub status: String,
    pub bytes_total: u64,
    pub bytes_done: u64,
    /// Progress from 0 to 1.
    pub progress: f64,
    pub rows_done: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// The first 1000 rejected rows: line, field, reason.
    pub rejected_rows: Vec<RejectedRowView>,
    /// Rows that asked to subscribe a contact who had opted out: only the contact's own START,
    /// or an API call with a proof of new consent, ends an opt-out; their consent stayed.
    pub consent_kept: u64,
    /// The lines of the first 1000 of them.
    pub consent_kept_lines: Vec<u64>,
    /// Why a failed import stopped.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct RejectedRowView {
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl From<ImportRecord> for ImportView {
    fn from(r: ImportRecord) -> Self {
        Self {
            id: r.id.to_string(),
            file_name: r.file_name,
            status: tern_store::decode::import_status(r.status).to_owned(),
            bytes_total: r.bytes_total,
            bytes_done: r.bytes_done,
            progress: if r.bytes_total == 0 {
                1.0
            } else {
                r.bytes_done as f64 / r.bytes_total as f64
            },
            rows_done: r.rows_done,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            rejected: r.rejected,
            rejected_rows: r
                .rejected_rows
                .into_iter()
                .map(|row| RejectedRowView {
                    line: row.line,
                    field: row.field,
                    message: row.message,
                })
                .collect(),
            consent_kept: r.consent_kept,
            consent_kept_lines: r.consent_kept_lines,
            error: r.error,
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }
}

/// Starts importing the CSV file the caller saved at `path` (it is removed once read); poll the
/// returned import for progress.
pub async fn start(
    state: &AppState,
    account: &Account,
    actor: Actor,
    file_name: String,
    path: std::path::PathBuf,
    bytes: u64,
    options: ImportOptions,
) -> AppResult<ImportView> {
    let id = ImportId::from_random(random());
    let mut record = ImportRecord::started(id, account.id, file_name, bytes, Utc::now());
    if let Err(e) = state.store.create_import(&record).await {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e.into());
    }
    let view = ImportView::from(record.clone());
    let state = state.clone();
    tokio::spawn(async move {
        match std::fs::File::open(&path) {
            Ok(file) => {
                let store = Arc::clone(&state.store);
                run_import(store, &mut record, file, options, |_| {}).await;
                let detail = serde_json::json!({
                    "file_name": record.file_name, "created": record.created,
                    "updated": record.updated, "rejected": record.rejected,
                    "consent_kept": record.consent_kept,
                });
                let target = Some(record.id.to_string());
                audit::by(
                    &state,
                    record.account_id,
                    actor,
                    "contacts.imported",
                    target,
                    detail,
                )
                .await;
            }
            Err(e) => tracing::error!(error = %e, "the uploaded CSV file vanished"),
        }
        let _ = tokio::fs::remove_file(&path).await;
    });
    Ok(view)
}

/// Reads an import's column mapping: a JSON object of column → field.
pub fn mapping(json: &str) -> Result<HashMap<String, Field>, AppError> {
    let invalid = |message: String| AppError::Invalid {
        field: "mapping".into(),
        message,
    };
    let raw: HashMap<String, String> = serde_json::from_str(json).map_err(|e| {
        invalid(format!(
            "must be a JSON object of column names to fields: {e}"
        ))
    })?;
    raw.into_iter()
        .map(|(column, target)| {
            Field::parse(&target)
                .map(|field| (column.clone(), field))
                .map_err(|e| invalid(format!("column {column:?}: {e}")))
        })
        .collect()
}

/// One import with its progress.
pub async fn get(state: &AppState, account: &Account, id: &str) -> AppResult<ImportView> {
    let id: ImportId = id.parse().map_err(|_| AppError::NotFound)?;
    Ok(state.store.import(account.id, id).await?.into())
}

/// The account's latest imports, newest first.
pub async fn list(state: &AppState, account: &Account) -> AppResult<Vec<ImportView>> {
    let imports = state.store.list_imports(account.id).await?;
    Ok(imports.into_iter().map(ImportView::from).collect())
}
