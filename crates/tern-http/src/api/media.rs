//! The media library: upload (checked, cleaned, stored once per account), fit, list, get, delete.

use axum::{
    Json,
    extract::{Multipart, Path, State},
    http::StatusCode,
};
use tern_app::{
    AppError, AppState,
    media::{self, FittedView, MAX_UPLOAD_BYTES, MediaView},
};
use utoipa::ToSchema;

use crate::{
    ApiError,
    error::ErrorBody,
    extract::{AccountAuth, ApiMultipart},
};

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
    AccountAuth(account, actor): AccountAuth,
    ApiMultipart(multipart): ApiMultipart,
) -> Result<(StatusCode, Json<MediaView>), ApiError> {
    let (name, bytes) = read_file(multipart).await?;
    let (view, created) = media::upload(&state, &account, actor, name, bytes).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

/// Offers a version of the image that meets the limits; stores nothing.
#[utoipa::path(post, path = "/api/v1/media/fit", tag = "media", security(("api_key" = [])),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses((status = 200, description = "OK", body = FittedView), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn fit(
    _auth: AccountAuth,
    ApiMultipart(multipart): ApiMultipart,
) -> Result<Json<FittedView>, ApiError> {
    let (name, bytes) = read_file(multipart).await?;
    Ok(Json(media::fit(name, bytes).await?))
}

/// The account's media, newest first.
#[utoipa::path(get, path = "/api/v1/media", tag = "media", security(("api_key" = [])),
    responses((status = 200, description = "OK", body = Vec<MediaView>), (status = 401, description = "No valid credentials", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
) -> Result<Json<Vec<MediaView>>, ApiError> {
    Ok(Json(media::list(&state, &account).await?))
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
    Ok(Json(media::get(&state, &account, &media_id).await?))
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
    Ok(Json(media::delete(&state, &account, &media_id).await?))
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
            // A name is shown, never trusted: control characters (NUL among them) go.
            let name: String = field
                .file_name()
                .unwrap_or("upload")
                .chars()
                .filter(|c| !c.is_control())
                .collect();
            let bytes = field.bytes().await.map_err(bad)?;
            return Ok((name, bytes.to_vec()));
        }
    }
    Err(AppError::invalid("file", "send the image in a multipart field named \"file\"").into())
}
