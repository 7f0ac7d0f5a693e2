//! Panel sign-ins: an HttpOnly, SameSite cookie holding a random token whose hash names a stored
//! session, and the session's CSRF token, which every form and unsafe API call must echo.

use axum::http::{HeaderMap, HeaderValue, Method, header::COOKIE};
use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};
use tern_store::{Session, StoreError, User};

use tern_app::{AppError, AppState, random};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "tern_session";
/// The header carrying the CSRF token on the panel's API calls.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a sign-in lasts.
pub const LIFETIME: Duration = Duration::hours(12);

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The value of the request's cookie `name`, if it has a non-empty one.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

fn token(headers: &HeaderMap) -> Option<&str> {
    cookie_value(headers, COOKIE_NAME)
}

/// The live session the request's cookie names, if any.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, AppError> {
    let Some(token) = token(headers) else {
        return Ok(None);
    };
    match state.store.session(&hash(token), Utc::now()).await {
        Ok(session) => Ok(Some(session)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Starts a session for `user`; the answer is the `Set-Cookie` value to send.
pub async fn start(state: &AppState, user: &User) -> Result<HeaderValue, AppError> {
    let token = hex::encode(random::<32>());
    let now = Utc::now();
    state
        .store
        .create_session(Session {
            token_hash: hash(&token),
            user_id: user.id,
            account_id: user.account_id,
            email: user.email.clone(),
            csrf_token: hex::encode(random::<32>()),
            created_at: now,
            expires_at: now + LIFETIME,
        })
        .await?;
    Ok(cookie(state, &token, LIFETIME.num_seconds()))
}

/// Ends the request's session, if any; the answer is the `Set-Cookie` value that clears it.
pub async fn end(state: &AppState, headers: &HeaderMap) -> Result<HeaderValue, AppError> {
    if let Some(token) = token(headers) {
        state.store.end_session(&hash(token)).await?;
    }
    Ok(cookie(state, "", 0))
}

fn cookie(state: &AppState, token: &str, max_age: i64) -> HeaderValue {
    // Secure only where the panel is served over HTTPS: a plain-HTTP loopback must still sign in.
    let secure = if state.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("the cookie is ASCII")
}

/// Whether `given` is the session's CSRF token.
pub fn csrf_matches(session: &Session, given: Option<&str>) -> bool {
    given.is_some_and(|g| tern_app::constant_time_eq(g.as_bytes(), session.csrf_token.as_bytes()))
}

/// Whether a request with this method changes something and so needs the CSRF token.
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}
