//! What recipients and Twilio reach without credentials: media at unguessable addresses, and
//! tracked links.

use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use tern_domain::campaign::design::SHORT_CODE_LEN;

use tern_app::{AppError, AppState, blobs};

use crate::ApiError;

/// `GET /m/{token}`: the cleaned bytes with their exact type and length. Content-addressed bytes
/// never change under a token, so caches may keep them.
pub async fn media(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound.into());
    }
    let item = state.store.media_by_token(&token).await?;
    let bytes = blobs::get(&*state.blobs, item.account_id, &item.sha256).await?;
    let mut response = Response::new(Body::from(bytes.clone()));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(item.format.mime()),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(&format!("\"{}\"", item.sha256))
            .expect("hex is a valid header value"),
    );
    Ok(response)
}

/// `GET /l/{code}`: records the click (time, user agent) and redirects to the original address.
pub async fn link(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if code.len() != SHORT_CODE_LEN || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::NotFound.into());
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(512).collect::<String>());
    let url = state
        .store
        .follow_link(&code, Utc::now(), user_agent.as_deref())
        .await?;
    let location = HeaderValue::from_str(&url)
        .map_err(|_| ApiError::internal("a stored link is not a valid address"))?;
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}
