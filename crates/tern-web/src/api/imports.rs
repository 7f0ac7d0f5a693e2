//! CSV imports as background jobs: the upload is saved to a temporary file, imported in batches,
//! and its progress read from any node.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Json,
    extract::{Multipart, Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tern_domain::ids::ImportId;
use tern_store::{ImportRecord, ImportStatus};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

use crate::{
    ApiError, AppState,
    audience::import::{Field, ImportOptions, run_import},
    error::ErrorBody,
    extract::AccountAuth,
    random,
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
            error: r.error,
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }
}

/// The multipart form of an import.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportForm {
    /// The CSV file; its first line names the columns.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
    /// JSON object of column → field (`phone`, `external_id`, `consent`, `ignore`, or an
    /// attribute name). Unmapped columns are guessed from their names; the rest are attributes.
    mapping: Option<String>,
    /// ISO 3166 code for numbers written without their country code.
    default_region: Option<String>,
}

/// Starts importing a CSV file; poll the returned import for progress.
#[utoipa::path(post, operation_id = "start_import", path = "/api/v1/contacts/imports", tag = "contacts", security(("api_key" = [])),
    request_body(content_type = "multipart/form-data", content = ImportForm),
    responses((status = 202, description = "Started", body = ImportView),
        (status = 400, description = "The body cannot be read", body = ErrorBody), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 413, description = "The file is too large", body = ErrorBody), (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    mut form: Multipart,
) -> Result<(StatusCode, Json<ImportView>), ApiError> {
    let id = ImportId::from_random(random());
    let path = std::env::temp_dir().join(format!("tern-import-{id}.csv"));
    let mut options = ImportOptions::default();
    let mut file_name = None;
    let mut bytes = 0u64;
    let result: Result<(), ApiError> = async {
        while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
            match field.name().unwrap_or_default() {
                "file" => {
                    file_name = Some(field.file_name().unwrap_or("contacts.csv").to_owned());
                    let mut file = tokio::fs::File::create(&path)
                        .await
                        .map_err(|e| ApiError::Internal(format!("temporary file: {e}")))?;
                    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                        bytes += chunk.len() as u64;
                        file.write_all(&chunk)
                            .await
                            .map_err(|e| ApiError::Internal(format!("temporary file: {e}")))?;
                    }
                    file.flush()
                        .await
                        .map_err(|e| ApiError::Internal(e.to_string()))?;
                }
                "mapping" => {
                    options.mapping = mapping(&field.text().await.map_err(multipart_error)?)?
                }
                "default_region" => {
                    let text = field.text().await.map_err(multipart_error)?;
                    options.default_region = Some(text.trim().parse().map_err(
                        |e: tern_domain::phone::RegionError| ApiError::Invalid {
                            field: "default_region".into(),
                            message: e.to_string(),
                        },
                    )?);
                }
                other => {
                    return Err(ApiError::BadRequest(format!(
                        "unexpected form field {other:?}: send file, mapping and default_region"
                    )));
                }
            }
        }
        Ok(())
    }
    .await;
    let Some(file_name) = file_name.filter(|_| result.is_ok()) else {
        let _ = tokio::fs::remove_file(&path).await;
        result?;
        return Err(ApiError::BadRequest(
            "send the CSV file as the form field 'file'".into(),
        ));
    };
    let mut record = ImportRecord {
        id,
        account_id: account.id,
        file_name,
        status: ImportStatus::Running,
        bytes_total: bytes,
        bytes_done: 0,
        rows_done: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        rejected_rows: Vec::new(),
        error: None,
        created_at: Utc::now(),
        finished_at: None,
    };
    state.store.create_import(&record).await?;
    let view = ImportView::from(record.clone());
    let store = Arc::clone(&state.store);
    tokio::spawn(async move {
        match std::fs::File::open(&path) {
            Ok(file) => run_import(store, &mut record, file, options, |_| {}).await,
            Err(e) => tracing::error!(error = %e, "the uploaded CSV file vanished"),
        }
        let _ = tokio::fs::remove_file(&path).await;
    });
    Ok((StatusCode::ACCEPTED, Json(view)))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(format!("the file is larger than {MAX_IMPORT_BYTES} bytes"))
    } else {
        ApiError::BadRequest(e.body_text())
    }
}

fn mapping(json: &str) -> Result<HashMap<String, Field>, ApiError> {
    let invalid = |message: String| ApiError::Invalid {
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
#[utoipa::path(get, operation_id = "get_import", path = "/api/v1/contacts/imports/{import_id}", tag = "contacts", security(("api_key" = [])),
    params(("import_id" = String, Path, description = "The import's id")),
    responses((status = 200, description = "OK", body = ImportView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<ImportView>, ApiError> {
    let id: ImportId = id.parse().map_err(|_| ApiError::NotFound)?;
    Ok(Json(state.store.import(account.id, id).await?.into()))
}

/// The account's latest imports, newest first.
#[utoipa::path(get, operation_id = "list_imports", path = "/api/v1/contacts/imports", tag = "contacts", security(("api_key" = [])),
    responses((status = 200, description = "OK", body = Vec<ImportView>), (status = 401, description = "No valid credentials", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
) -> Result<Json<Vec<ImportView>>, ApiError> {
    let imports = state.store.list_imports(account.id).await?;
    Ok(Json(imports.into_iter().map(ImportView::from).collect()))
}
