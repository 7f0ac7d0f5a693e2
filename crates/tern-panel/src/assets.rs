//! The panel's stylesheet, scripts and icon, compiled into the binary.

use std::sync::LazyLock;

use axum::{
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    kind: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $kind:literal) => {
        Asset {
            name: $name,
            kind: $kind,
            bytes: include_bytes!(concat!("assets/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("tern.css", "text/css; charset=utf-8"),
    asset!("panel.js", "text/javascript; charset=utf-8"),
    asset!("design.js", "text/javascript; charset=utf-8"),
    asset!("writer.js", "text/javascript; charset=utf-8"),
    asset!("steps.js", "text/javascript; charset=utf-8"),
    asset!("campaign.js", "text/javascript; charset=utf-8"),
    asset!("library.js", "text/javascript; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
];

/// Each asset's entity tag: a prefix of its SHA-256.
static TAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| format!("\"{}\"", &hex::encode(Sha256::digest(a.bytes))[..16]))
        .collect()
});

/// Serves an asset; browsers revalidate with its tag, so a new binary's assets apply at once.
pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (asset, tag) = (&ASSETS[index], TAGS[index].as_str());
    let cache = [
        (header::ETAG, HeaderValue::from_str(tag).expect("hex")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == tag.as_bytes())
    {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let kind = [(header::CONTENT_TYPE, HeaderValue::from_static(asset.kind))];
    (cache, kind, asset.bytes).into_response()
}
