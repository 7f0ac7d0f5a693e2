//! The calling account's API keys.

use axum::{
    Json,
    extract::{Path, State},
};
use tern_app::{
    AppState,
    accounts::{KeyView, keys},
};

use crate::{ApiError, error::ErrorBody, extract::AccountAuth};

/// The account's API keys, revoked ones included.
#[utoipa::path(get, path = "/api/v1/keys", tag = "keys", security(("api_key" = [])),
    responses((status = 200, description = "OK", body = Vec<KeyView>), (status = 401, description = "No valid credentials", body = ErrorBody)))]
pub async fn list_keys(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
) -> Result<Json<Vec<KeyView>>, ApiError> {
    Ok(Json(keys::list_keys(&state, &account).await?))
}

/// Revokes one of the account's keys (the calling key included).
#[utoipa::path(delete, path = "/api/v1/keys/{key_id}", tag = "keys", security(("api_key" = [])),
    params(("key_id" = String, Path, description = "The key's id")),
    responses((status = 200, description = "OK", body = KeyView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    AccountAuth(account, actor): AccountAuth,
    Path(key_id): Path<String>,
) -> Result<Json<KeyView>, ApiError> {
    Ok(Json(
        keys::revoke_key(&state, &account, actor, &key_id).await?,
    ))
}
