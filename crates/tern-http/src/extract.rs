//! Extractors whose rejections speak the API's error format.

use axum::{
    extract::{FromRequest, FromRequestParts, Request, rejection::JsonRejection},
    http::{StatusCode, header::AUTHORIZATION, request::Parts},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::Utc;
use serde::de::DeserializeOwned;
use tern_domain::credential::api_key_hash;
use tern_store::{Account, StoreError};

use tern_app::{Actor, AppState, constant_time_eq};
use tern_panel::session;

use crate::ApiError;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// `Json<T>` whose rejections are [`ApiError`]s.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(e)) => {
                Err(ApiError::UnsupportedMediaType(e.body_text()))
            }
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge(format!(
                    "the request body is larger than {} bytes",
                    MAX_BODY_BYTES
                )))
            }
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}

/// `Query<T>` whose rejections are [`ApiError`]s.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))
    }
}

/// `Multipart` whose rejection (no multipart content type, no boundary) is an [`ApiError`].
pub struct ApiMultipart(pub axum::extract::Multipart);

impl<S: Send + Sync> axum::extract::FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        axum::extract::Multipart::from_request(request, state)
            .await
            .map(Self)
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))
    }
}

/// The account whose write key is the Basic-auth user name, as Segment's libraries send it.
pub struct WriteKeyAuth(pub Account);

impl FromRequestParts<AppState> for WriteKeyAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        const HOW: &str = "send the account's write key as the Basic-auth user name";
        let value = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized(HOW))?;
        let (scheme, encoded) = value.split_once(' ').ok_or(ApiError::Unauthorized(HOW))?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(ApiError::Unauthorized(HOW));
        }
        let decoded = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(ApiError::Unauthorized(HOW))?;
        let write_key = decoded.split(':').next().unwrap_or_default();
        match state.store.account_by_write_key(write_key).await {
            Ok(account) => Ok(Self(account)),
            Err(StoreError::NotFound) => Err(ApiError::Unauthorized("the write key is not valid")),
            Err(other) => Err(other.into()),
        }
    }
}

/// The account an API key or a panel session acts on, and who acts. The panel's calls change
/// something only with the session's CSRF token in `x-csrf-token`.
pub struct AccountAuth(pub Account, pub Actor);

impl FromRequestParts<AppState> for AccountAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(secret) = bearer(parts) else {
            let session =
                session::current(state, &parts.headers)
                    .await?
                    .ok_or(ApiError::Unauthorized(
                        "send an API key as 'Authorization: Bearer <key>'",
                    ))?;
            let given = parts
                .headers
                .get(session::CSRF_HEADER)
                .and_then(|v| v.to_str().ok());
            if session::is_unsafe(&parts.method) && !session::csrf_matches(&session, given) {
                return Err(ApiError::forbidden(
                    "the panel's request lacks its CSRF token (x-csrf-token)",
                ));
            }
            let account = state.store.account(session.account_id).await?;
            return Ok(Self(account, Actor::User(session.user_id)));
        };
        let key = match state
            .store
            .use_api_key(&api_key_hash(secret), Utc::now())
            .await
        {
            Err(StoreError::NotFound) => {
                return Err(ApiError::Unauthorized(
                    "the API key is not valid or was revoked",
                ));
            }
            other => other?,
        };
        Ok(Self(
            state.store.account(key.account_id).await?,
            Actor::Key(key.id),
        ))
    }
}

/// The operator, holding `TERN_ADMIN_TOKEN`.
pub struct AdminAuth;

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(expected) = &state.admin_token else {
            return Err(ApiError::forbidden(
                "the admin API is closed: the operator has not set TERN_ADMIN_TOKEN",
            ));
        };
        let given = bearer(parts).ok_or(ApiError::Unauthorized(
            "send the operator token as 'Authorization: Bearer <token>'",
        ))?;
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(ApiError::Unauthorized("the operator token is not valid"));
        }
        Ok(Self)
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
