//! Requests that carry a NUL character are refused at the door (400). PostgreSQL's text and
//! JSONB cannot hold one, so a NUL that reached the store would fail there as an internal error
//! (SQLite would store it); no field of Tern's means anything with one. The address (path and
//! query, decoded) is checked for every request, the body for JSON and form bodies — the
//! bodies whose values reach the store as text — before authentication, up to the same 1 MiB
//! the body limit allows. Other bodies (media, CSV, Segment's gzip) are checked where they are
//! read.

use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::header::CONTENT_TYPE,
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{ApiError, extract::MAX_BODY_BYTES};

pub async fn refuse_nul(request: Request, next: Next) -> Response {
    let refused = || {
        ApiError::BadRequest("the request holds a NUL character (%00, \\u0000)".into())
            .into_response()
    };
    let address = request.uri().to_string();
    if percent_decoded_has_nul(&address) {
        return refused();
    }
    let kind = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let json = kind.starts_with("application/json")
        || (kind.starts_with("application/")
            && kind
                .split(';')
                .next()
                .is_some_and(|t| t.trim().ends_with("+json")));
    let form = kind.starts_with("application/x-www-form-urlencoded");
    // Segment's routes inflate gzip bodies themselves, and check each call (`read_call`).
    let segment_gzip = request.headers().contains_key("content-encoding")
        && request.uri().path().starts_with("/v1/");
    if !(json || form) || segment_gzip {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // Larger bodies are refused by the body limit just the same.
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::PayloadTooLarge(format!(
            "the request body is larger than {MAX_BODY_BYTES} bytes"
        ))
        .into_response();
    };
    let text = String::from_utf8_lossy(&bytes);
    let nul = bytes.contains(&0)
        || (json && text.to_ascii_lowercase().contains("\\u0000"))
        || (form && percent_decoded_has_nul(&text));
    if nul {
        return refused();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn percent_decoded_has_nul(text: &str) -> bool {
    text.contains('\0') || text.to_ascii_lowercase().contains("%00")
}

#[cfg(test)]
mod tests {
    use super::percent_decoded_has_nul;

    #[test]
    fn nul_is_found_raw_or_percent_encoded() {
        assert!(percent_decoded_has_nul("/m/a%00b"));
        assert!(percent_decoded_has_nul("email=a\0b"));
        assert!(!percent_decoded_has_nul("/contacts?search=%2B1415"));
    }
}
