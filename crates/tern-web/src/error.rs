//! One error type for the API: each variant documents its status and carries a stable code.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use tern_domain::account::InvalidSetting;
use tern_store::StoreError;

/// An API failure, rendered as `{"error": {"code", "message", "field"}}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read (malformed JSON, wrong types).
    #[error("{0}")]
    BadRequest(String),
    /// 401: no credentials, or credentials that are not valid.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: valid credentials that may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404: nothing here, or nothing that this account may see.
    #[error("not found")]
    NotFound,
    /// 409: conflicts with an existing record.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is larger than the limit.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// 415: the body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: a field's value is not acceptable.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// 500: logged with its cause; the client sees only that it happened.
    #[error("internal error")]
    Internal(String),
}

/// The JSON error body.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// A stable `code`, a message for people, and the field at fault when there is one.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

/// Marks a response whose cause must be logged; the middleware logs it once.
#[derive(Clone, Debug)]
pub struct InternalCause(pub String);

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            Self::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let field = match &self {
            Self::Invalid { field, .. } => Some(field.clone()),
            _ => None,
        };
        let body = ErrorBody { error: ErrorDetail { code, message: self.to_string(), field } };
        let mut response = (status, Json(body)).into_response();
        if let Self::Internal(cause) = self {
            response.extensions_mut().insert(InternalCause(cause));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict { constraint } => Self::Conflict(format!("conflicts with an existing record ({constraint})")),
            StoreError::Other(cause) => Self::Internal(cause.to_string()),
        }
    }
}

impl From<InvalidSetting> for ApiError {
    fn from(error: InvalidSetting) -> Self {
        Self::Invalid { field: error.field, message: error.message }
    }
}
