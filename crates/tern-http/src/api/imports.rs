//! CSV imports as background jobs: the upload is saved to a temporary file, imported in batches,
//! and its progress read from any node.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use tern_app::{
    AppError, AppState,
    audience::{
        import::ImportOptions,
        imports::{self, ImportView, MAX_IMPORT_BYTES},
    },
    random,
};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

use crate::{
    ApiError,
    error::ErrorBody,
    extract::{AccountAuth, ApiMultipart},
};

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
    AccountAuth(account, actor): AccountAuth,
    ApiMultipart(mut form): ApiMultipart,
) -> Result<(StatusCode, Json<ImportView>), ApiError> {
    let path = std::env::temp_dir().join(format!(
        "tern-import-{:032x}.csv",
        u128::from_le_bytes(random())
    ));
    let mut options = ImportOptions::default();
    let mut file_name = None;
    let mut bytes = 0u64;
    let result: Result<(), ApiError> = async {
        while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
            match field.name().unwrap_or_default() {
                "file" => {
                    // Shown, never trusted: control characters (NUL among them) go.
                    file_name = Some(
                        field
                            .file_name()
                            .unwrap_or("contacts.csv")
                            .chars()
                            .filter(|c| !c.is_control())
                            .collect(),
                    );
                    let mut file = tokio::fs::File::create(&path)
                        .await
                        .map_err(|e| ApiError::internal(format!("temporary file: {e}")))?;
                    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                        bytes += chunk.len() as u64;
                        file.write_all(&chunk)
                            .await
                            .map_err(|e| ApiError::internal(format!("temporary file: {e}")))?;
                    }
                    file.flush()
                        .await
                        .map_err(|e| ApiError::internal(e.to_string()))?;
                }
                "mapping" => {
                    options.mapping = imports::mapping(&small_text(field, "mapping").await?)?
                }
                "default_region" => {
                    let text = small_text(field, "default_region").await?;
                    options.default_region = Some(text.trim().parse().map_err(
                        |e: tern_domain::phone::RegionError| {
                            AppError::invalid("default_region", e.to_string())
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
    let view = imports::start(&state, &account, actor, file_name, path, bytes, options).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// The largest `mapping` or `default_region` read: they ride in the same form as a file of up
/// to 512 MiB, and must not be read whole into memory at that size.
const MAX_FORM_TEXT: usize = 64 * 1024;

/// A form field's text, refused once it passes [`MAX_FORM_TEXT`] bytes.
async fn small_text(
    mut field: axum::extract::multipart::Field<'_>,
    name: &str,
) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > MAX_FORM_TEXT {
            return Err(AppError::invalid(
                name,
                format!("is longer than {} KB", MAX_FORM_TEXT / 1024),
            )
            .into());
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| AppError::invalid(name, "is not UTF-8 text").into())
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(format!("the file is larger than {MAX_IMPORT_BYTES} bytes"))
    } else {
        ApiError::BadRequest(e.body_text())
    }
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
    Ok(Json(imports::get(&state, &account, &id).await?))
}

/// The account's latest imports, newest first.
#[utoipa::path(get, operation_id = "list_imports", path = "/api/v1/contacts/imports", tag = "contacts", security(("api_key" = [])),
    responses((status = 200, description = "OK", body = Vec<ImportView>), (status = 401, description = "No valid credentials", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
) -> Result<Json<Vec<ImportView>>, ApiError> {
    Ok(Json(imports::list(&state, &account).await?))
}
