//! The media library: upload (checked, cleaned, stored once per account), fit, list, get, delete.

use axum::{
    Json,
    extract::{Multipart, Path, State},
    http::StatusCode,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tern_domain::{
    ids::MediaId,
    media::{FitError, MediaLimits, check_media, fit_media},
};
use tern_store::MediaItem;
use utoipa::ToSchema;

use crate::{ApiError, AppState, blobs, error::ErrorBody, extract::AccountAuth, random};

/// The largest upload read, in bytes: far over the MMS limit, so that large files can be fitted.
pub const MAX_UPLOAD_BYTES: usize = 20 << 20;

/// A media item as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct MediaView {
    pub id: String,
    /// The public address Twilio fetches (no authentication; unguessable).
    pub url: String,
    pub format: String,
    pub mime: String,
    /// Size as stored and sent, metadata removed.
    pub bytes: u64,
    /// Size as uploaded.
    pub original_bytes: u64,
    pub width: u32,
    pub height: u32,
    pub frames: u32,
    pub file_name: String,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    /// What the check noticed without refusing (metadata removed, misleading extension).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A fitted version of an upload, not stored: upload `data_base64` to accept it.
#[derive(Serialize, ToSchema)]
pub struct FittedView {
    /// False when the file met the limits already (it is returned cleaned).
    pub changed: bool,
    pub format: String,
    pub mime: String,
    pub bytes: u64,
    pub original_bytes: u64,
    pub width: u32,
    pub height: u32,
    pub frames: u32,
    pub data_base64: String,
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The image file.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// Uploads an image: refused with every broken rule named, or stored cleaned (201; 200 when the
/// account has the same image already).
#[utoipa::path(post, path = "/api/v1/media", tag = "media", security(("api_key" = [])),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses((status = 201, description = "Created", body = MediaView), (status = 200, description = "OK", body = MediaView),
        (status = 400, description = "The body cannot be read", body = ErrorBody), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    AccountAuth(account, key_id): AccountAuth,
    multipart: Multipart,
) -> Result<(StatusCode, Json<MediaView>), ApiError> {
    let (name, bytes) = read_file(multipart).await?;
    let mut report = check_media(&name, &bytes, &MediaLimits::default());
    // The check hands over the cleaned bytes only for an accepted file.
    let Some(cleaned) = report.cleaned.take() else {
        return Err(ApiError::MediaRejected(report.errors));
    };
    let format = report.format.expect("an accepted file has a format");
    let sha256 = hex::encode(Sha256::digest(&cleaned));
    blobs::put(&*state.blobs, account.id, &sha256, cleaned).await?;
    let item = MediaItem {
        id: MediaId::from_random(random()),
        account_id: account.id,
        sha256,
        token: hex::encode(random::<16>()),
        format,
        bytes: report.clean_bytes.unwrap_or(report.bytes),
        original_bytes: report.bytes,
        width: report.width.unwrap_or_default(),
        height: report.height.unwrap_or_default(),
        frames: report.frames.unwrap_or(1),
        file_name: name,
        uploaded_by: key_id.key(),
        created_at: Utc::now(),
    };
    let (item, created) = state.store.create_media(item).await?;
    let warnings = report.warnings.into_iter().map(|w| w.message).collect();
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view(&state, item, warnings))))
}

/// Offers a version of the image that meets the limits; stores nothing.
#[utoipa::path(post, path = "/api/v1/media/fit", tag = "media", security(("api_key" = [])),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses((status = 200, description = "OK", body = FittedView), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn fit(_auth: AccountAuth, multipart: Multipart) -> Result<Json<FittedView>, ApiError> {
    let (name, bytes) = read_file(multipart).await?;
    let limits = MediaLimits::default();
    let original_bytes = bytes.len() as u64;
    let report = check_media(&name, &bytes, &limits);
    if let (true, Some(cleaned)) = (report.ok, report.cleaned) {
        let format = report.format.expect("an accepted file has a format");
        return Ok(Json(FittedView {
            changed: false,
            format: format.as_str().into(),
            mime: format.mime().into(),
            bytes: cleaned.len() as u64,
            original_bytes,
            width: report.width.unwrap_or_default(),
            height: report.height.unwrap_or_default(),
            frames: report.frames.unwrap_or(1),
            data_base64: STANDARD.encode(cleaned),
        }));
    }
    let fitted = tokio::task::spawn_blocking(move || fit_media(&bytes, &limits))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| {
            let code = match e {
                FitError::NotAnImage => "unsupported_format",
                FitError::Damaged(_) => "corrupt",
                FitError::TooManyPixels { .. } => "dimensions_too_large",
                FitError::CannotFit(_) => "cannot_fit",
            };
            ApiError::MediaRejected(vec![tern_domain::media::Problem {
                code,
                message: e.to_string(),
            }])
        })?;
    Ok(Json(FittedView {
        changed: true,
        format: fitted.format.as_str().into(),
        mime: fitted.format.mime().into(),
        bytes: fitted.bytes.len() as u64,
        original_bytes,
        width: fitted.width,
        height: fitted.height,
        frames: fitted.frames,
        data_base64: STANDARD.encode(fitted.bytes),
    }))
}

/// The account's media, newest first.
#[utoipa::path(get, path = "/api/v1/media", tag = "media", security(("api_key" = [])),
    responses((status = 200, description = "OK", body = Vec<MediaView>), (status = 401, description = "No valid credentials", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
) -> Result<Json<Vec<MediaView>>, ApiError> {
    let items = state.store.list_media(account.id).await?;
    Ok(Json(
        items
            .into_iter()
            .map(|i| view(&state, i, Vec::new()))
            .collect(),
    ))
}

/// One media item.
#[utoipa::path(get, path = "/api/v1/media/{media_id}", tag = "media", security(("api_key" = [])),
    params(("media_id" = String, Path, description = "The item's id")),
    responses((status = 200, description = "OK", body = MediaView), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(media_id): Path<String>,
) -> Result<Json<MediaView>, ApiError> {
    let id: MediaId = media_id.parse().map_err(|_| ApiError::NotFound)?;
    Ok(Json(view(
        &state,
        state.store.media(account.id, id).await?,
        Vec::new(),
    )))
}

/// Deletes a media item; its public address stops answering. An item that a campaign which may
/// still send (not completed, cancelled or archived) uses is kept, and the answer names them.
#[utoipa::path(delete, path = "/api/v1/media/{media_id}", tag = "media", security(("api_key" = [])),
    params(("media_id" = String, Path, description = "The item's id")),
    responses((status = 200, description = "OK", body = MediaView), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "In use by a campaign", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(media_id): Path<String>,
) -> Result<Json<MediaView>, ApiError> {
    let id: MediaId = media_id.parse().map_err(|_| ApiError::NotFound)?;
    let using = state.store.campaigns_using_media(account.id, id).await?;
    if !using.is_empty() {
        let names: Vec<String> = using
            .iter()
            .map(|c| format!("{:?} ({})", c.name, c.id))
            .collect();
        return Err(ApiError::Conflict(format!(
            "this picture is in the design of {}: remove it there, or complete, cancel or archive the campaign first",
            names.join(", ")
        )));
    }
    let item = state.store.delete_media(account.id, id).await?;
    blobs::delete(&*state.blobs, account.id, &item.sha256).await?;
    Ok(Json(view(&state, item, Vec::new())))
}

/// Reads the `file` field of a multipart upload.
async fn read_file(mut multipart: Multipart) -> Result<(String, Vec<u8>), ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(format!("the file is larger than {MAX_UPLOAD_BYTES} bytes"))
        } else {
            ApiError::BadRequest(e.body_text())
        }
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("upload").to_owned();
            let bytes = field.bytes().await.map_err(bad)?;
            return Ok((name, bytes.to_vec()));
        }
    }
    Err(ApiError::Invalid {
        field: "file".into(),
        message: "send the image in a multipart field named \"file\"".into(),
    })
}

fn view(state: &AppState, item: MediaItem, warnings: Vec<String>) -> MediaView {
    MediaView {
        id: item.id.to_string(),
        url: format!("{}/m/{}", state.public_url, item.token),
        format: item.format.as_str().into(),
        mime: item.format.mime().into(),
        bytes: item.bytes,
        original_bytes: item.original_bytes,
        width: item.width,
        height: item.height,
        frames: item.frames,
        file_name: item.file_name,
        sha256: item.sha256,
        created_at: item.created_at,
        warnings,
    }
}
