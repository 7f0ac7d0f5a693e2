//! What recipients and Twilio reach without credentials: media at unguessable addresses, and
//! tracked links.

use std::net::IpAddr;

use axum::{
    Extension,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use tern_domain::campaign::design::SHORT_CODE_LEN;
use tern_store::NewHit;

use tern_app::{AppError, AppState, accounts::signin::network, blobs, hits::HitRecorder};

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

/// `GET /l/{code}` (and `HEAD`): redirects to the original address at once and queues the hit
/// with what classifying it needs (method, user agent, `Accept-Language`, address). Link
/// previewers get the same redirect, so they read the page's own preview tags; whether a hit
/// was a person is decided when the report reads the hits.
pub async fn link(
    State(state): State<AppState>,
    Extension(hits): Extension<HitRecorder>,
    Path(code): Path<String>,
    method: Method,
    ConnectInfoAddress(peer): ConnectInfoAddress,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if code.len() != SHORT_CODE_LEN || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::NotFound.into());
    }
    let url = state.store.link_target(&code).await?;
    let location = HeaderValue::from_str(&url)
        .map_err(|_| ApiError::internal("a stored link is not a valid address"))?;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(512).collect::<String>());
    hits.record(NewHit {
        code,
        at: Utc::now(),
        head: method == Method::HEAD,
        user_agent,
        accept_language: headers.contains_key(header::ACCEPT_LANGUAGE),
        address: client_address(peer, &headers).map(network),
    });
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}

/// The connection's peer, where the server records it (in-process requests have none).
pub struct ConnectInfoAddress(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ConnectInfoAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}

/// The client's address: the peer's, or — when the peer is a proxy on this machine or a private
/// network (where a TLS-terminating proxy sits) — the last address it put in
/// `X-Forwarded-For`. A public client cannot choose its address this way.
fn client_address(peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = peer?;
    let behind_proxy = match peer.to_canonical() {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local(),
    };
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|list| list.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok());
    match (behind_proxy, forwarded) {
        (true, Some(client)) => Some(client),
        _ => Some(peer),
    }
}
