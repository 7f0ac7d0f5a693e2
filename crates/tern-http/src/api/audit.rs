//! The account's audit trail.

use axum::{Json, extract::State};
use tern_app::{
    AppState,
    audit::{self, AuditPage, AuditParams},
};

use crate::{
    ApiError,
    error::ErrorBody,
    extract::{AccountAuth, ApiQuery},
};

/// Who changed settings, consent, users, keys and campaigns, and when; newest first.
#[utoipa::path(get, operation_id = "list_audit_entries", path = "/api/v1/audit", tag = "account", security(("api_key" = [])), params(AuditParams),
    responses((status = 200, description = "OK", body = AuditPage), (status = 400, description = "Bad parameters", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody), (status = 422, description = "A parameter is not acceptable", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    Ok(Json(audit::list(&state, &account, params).await?))
}
