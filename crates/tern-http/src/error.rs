//! The API's errors: the use cases' [`AppError`] and what only a request can get wrong, each
//! with its status and a stable code.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use tern_app::{AiFailure, AppError, InternalCause};
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
    /// 413: the body is larger than the limit, which the message names.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: the body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// What a use case refused, with the status of its kind: 404 not found, 409 conflict,
    /// 422 invalid, 403 forbidden, 503 unavailable, 500 internal (logged with its cause; the
    /// client sees only that it happened).
    #[error(transparent)]
    App(#[from] AppError),
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
    /// Every rule a rejected upload breaks, or every problem of a rejected segment definition.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ProblemBody>,
}

/// One broken rule: a stable code and a message with the figures.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemBody {
    pub code: &'static str,
    pub message: String,
    /// The node at fault (a JSON pointer into the definition), for definition problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl ApiError {
    /// A fault of ours, logged with `cause`.
    pub fn internal(cause: impl Into<String>) -> Self {
        Self::App(AppError::Internal(cause.into()))
    }

    /// Valid credentials that may not do this.
    pub fn forbidden(why: &'static str) -> Self {
        Self::App(AppError::Forbidden(why))
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::App(error) => match error {
                AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
                AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
                AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
                AppError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
                AppError::MediaRejected(problems) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    problems.first().map_or("invalid", |p| p.code),
                ),
                AppError::DefinitionRejected(_) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "invalid_definition")
                }
                AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
                AppError::TooMany { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
                AppError::Stale(_) => (StatusCode::PRECONDITION_FAILED, "stale"),
                AppError::Ai { kind, .. } => (
                    match kind {
                        AiFailure::NotConfigured => StatusCode::SERVICE_UNAVAILABLE,
                        AiFailure::Off => StatusCode::CONFLICT,
                        AiFailure::Unavailable | AiFailure::BadOutput => StatusCode::BAD_GATEWAY,
                        AiFailure::Timeout => StatusCode::GATEWAY_TIMEOUT,
                    },
                    kind.code(),
                ),
                AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let (field, problems) = match &self {
            Self::App(AppError::Invalid { field, .. }) => (Some(field.clone()), Vec::new()),
            Self::App(AppError::MediaRejected(problems)) => (
                Some("file".to_owned()),
                problems
                    .iter()
                    .map(|p| ProblemBody {
                        code: p.code,
                        message: p.message.clone(),
                        path: None,
                    })
                    .collect(),
            ),
            Self::App(AppError::DefinitionRejected(problems)) => (
                Some("definition".to_owned()),
                problems
                    .iter()
                    .map(|p| ProblemBody {
                        code: "invalid_definition",
                        message: p.message.clone(),
                        path: Some(p.path.clone()),
                    })
                    .collect(),
            ),
            _ => (None, Vec::new()),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
                field,
                problems,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Self::App(AppError::TooMany {
            retry_after_secs, ..
        }) = &self
        {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(*retry_after_secs),
            );
        }
        if let Self::App(AppError::Internal(cause)) = self {
            response.extensions_mut().insert(InternalCause(cause));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::App(error.into())
    }
}
