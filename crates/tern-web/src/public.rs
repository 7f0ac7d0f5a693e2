//! What Twilio fetches without credentials: media at unguessable addresses.

use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderValue, header},
    response::Response,
};

use crate::{ApiError, AppState, blobs};

/// `GET /m/{token}`: the cleaned bytes with their exact type and length. Content-addressed bytes
/// never change under a token, so caches may keep them.
pub async fn media(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::NotFound);
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
