//! One error type for every use case; the HTTP layer and the panel each map it once.

use tern_domain::account::InvalidSetting;
use tern_store::StoreError;

/// Why a use case did not happen, in the kinds a caller acts on.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Nothing here, or nothing that this account may see.
    #[error("not found")]
    NotFound,
    /// Conflicts with an existing record or with the record's current state.
    #[error("{0}")]
    Conflict(String),
    /// A field's value is not acceptable.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// An uploaded file breaks the media rules; the first problem gives the code.
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    MediaRejected(Vec<tern_domain::media::Problem>),
    /// A segment definition is not valid; each problem points at its node.
    #[error("the definition is not valid: {}", .0.iter().map(|p| format!("{} {}", p.path, p.message)).collect::<Vec<_>>().join("; "))]
    DefinitionRejected(Vec<tern_domain::audience::DefinitionProblem>),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Too many attempts: try again after `retry_after_secs`.
    #[error("{message}")]
    TooMany {
        message: String,
        retry_after_secs: u64,
    },
    /// The record changed since the caller read it (a stale `If-Match`).
    #[error("{0}")]
    Stale(String),
    /// Something this depends on (the media store) cannot be reached now; the cause is logged
    /// where it happened.
    #[error("{0}")]
    Unavailable(String),
    /// The AI endpoint failed, or is not there to call.
    #[error("{message}")]
    Ai { kind: AiFailure, message: String },
    /// A fault of ours: logged with its cause; callers show only that it happened.
    #[error("internal error")]
    Internal(String),
}

/// How the AI text generator failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AiFailure {
    /// The operator configured no endpoint (`TERN_AI_URL`).
    NotConfigured,
    /// The account turned the generator off in its settings.
    Off,
    /// The endpoint cannot be reached, refused the request or answered 5xx.
    Unavailable,
    /// The endpoint did not answer within `TERN_AI_TIMEOUT_SECS`.
    Timeout,
    /// The endpoint answered something that holds no drafts.
    BadOutput,
}

impl AiFailure {
    /// The code the API answers with.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotConfigured => "ai_not_configured",
            Self::Off => "ai_off",
            Self::Unavailable => "ai_unavailable",
            Self::Timeout => "ai_timeout",
            Self::BadOutput => "ai_bad_output",
        }
    }
}

impl AppError {
    /// The error with its cause, for logs (an internal error's `Display` hides it).
    pub fn described(&self) -> String {
        match self {
            Self::Internal(cause) => format!("internal error: {cause}"),
            other => other.to_string(),
        }
    }

    /// The AI endpoint failed as `kind` says.
    pub fn ai(kind: AiFailure, message: impl Into<String>) -> Self {
        Self::Ai {
            kind,
            message: message.into(),
        }
    }

    /// A field's value refused with `message`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for AppError {
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

impl From<InvalidSetting> for AppError {
    fn from(error: InvalidSetting) -> Self {
        Self::Invalid {
            field: error.field,
            message: error.message,
        }
    }
}

/// A fault's cause, carried beside an answer (an HTTP response's extensions) so that the one
/// place that logs answers logs it once, with the route.
#[derive(Clone, Debug)]
pub struct InternalCause(pub String);

/// What a use case answers.
pub type AppResult<T> = Result<T, AppError>;
