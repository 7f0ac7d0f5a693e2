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
    /// 413: the body is larger than the limit, which the message names.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: the body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: a field's value is not acceptable.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// 422: an uploaded file breaks the media rules; the first problem gives the code.
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    MediaRejected(Vec<tern_domain::media::Problem>),
    /// 422: a segment definition is not valid; each problem points at its node.
    #[error("the definition is not valid: {}", .0.iter().map(|p| format!("{} {}", p.path, p.message)).collect::<Vec<_>>().join("; "))]
    DefinitionRejected(Vec<tern_domain::audience::DefinitionProblem>),
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
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            Self::MediaRejected(problems) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                problems.first().map_or("invalid", |p| p.code),
            ),
            Self::DefinitionRejected(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_definition"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let (field, problems) = match &self {
            Self::Invalid { field, .. } => (Some(field.clone()), Vec::new()),
            Self::MediaRejected(problems) => (
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
            Self::DefinitionRejected(problems) => (
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
            StoreError::Conflict { constraint } => {
                Self::Conflict(format!("conflicts with an existing record ({constraint})"))
            }
            StoreError::Other(cause) => Self::Internal(cause.to_string()),
        }
    }
}

impl From<InvalidSetting> for ApiError {
    fn from(error: InvalidSetting) -> Self {
        Self::Invalid {
            field: error.field,
            message: error.message,
        }
    }
}
