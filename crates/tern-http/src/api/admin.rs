//! The operator's API: accounts, the MMS flag, keys. Every route needs `TERN_ADMIN_TOKEN`.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use tern_app::{
    AppState,
    accounts::admin::{self, MmsRequest, NewAccountRequest, NewKeyView},
    accounts::{AccountView, KeyView},
};

use crate::{
    ApiError,
    error::ErrorBody,
    extract::{AdminAuth, ApiJson},
};

/// Creates an account.
#[utoipa::path(post, path = "/api/v1/admin/accounts", operation_id = "admin_create_account", tag = "admin", security(("admin_token" = [])),
    request_body = NewAccountRequest,
    responses((status = 201, description = "Created", body = AccountView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 409, description = "Conflicts with an existing record", body = ErrorBody), (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn create_account(
    State(state): State<AppState>,
    _: AdminAuth,
    ApiJson(request): ApiJson<NewAccountRequest>,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(admin::create_account(&state, request).await?),
    ))
}

/// Lists all accounts.
#[utoipa::path(get, path = "/api/v1/admin/accounts", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, description = "OK", body = Vec<AccountView>), (status = 401, description = "No valid credentials", body = ErrorBody)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    _: AdminAuth,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    Ok(Json(admin::list_accounts(&state).await?))
}

/// One account, by id or name.
#[utoipa::path(get, path = "/api/v1/admin/accounts/{account}", operation_id = "admin_get_account", tag = "admin", security(("admin_token" = [])),
    params(("account" = String, Path, description = "The account's id or name")),
    responses((status = 200, description = "OK", body = AccountView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get_account(
    State(state): State<AppState>,
    _: AdminAuth,
    Path(account): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    Ok(Json(admin::get_account(&state, &account).await?))
}

/// Enables or disables MMS for an account.
#[utoipa::path(put, path = "/api/v1/admin/accounts/{account}/mms", tag = "admin", security(("admin_token" = [])),
    params(("account" = String, Path, description = "The account's id or name")),
    request_body = MmsRequest,
    responses((status = 200, description = "OK", body = AccountView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn set_mms(
    State(state): State<AppState>,
    _: AdminAuth,
    Path(account): Path<String>,
    ApiJson(request): ApiJson<MmsRequest>,
) -> Result<Json<AccountView>, ApiError> {
    Ok(Json(admin::set_mms(&state, &account, request).await?))
}

/// Creates an API key for an account.
#[utoipa::path(post, path = "/api/v1/admin/accounts/{account}/keys", operation_id = "admin_create_key", tag = "admin", security(("admin_token" = [])),
    params(("account" = String, Path, description = "The account's id or name")),
    responses((status = 201, description = "Created", body = NewKeyView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn create_key(
    State(state): State<AppState>,
    _: AdminAuth,
    Path(account): Path<String>,
) -> Result<(StatusCode, Json<NewKeyView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(admin::create_key(&state, &account).await?),
    ))
}

/// Revokes any API key.
#[utoipa::path(delete, path = "/api/v1/admin/keys/{key_id}", operation_id = "admin_revoke_key", tag = "admin", security(("admin_token" = [])),
    params(("key_id" = String, Path, description = "The key's id")),
    responses((status = 200, description = "OK", body = KeyView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    _: AdminAuth,
    Path(key_id): Path<String>,
) -> Result<Json<KeyView>, ApiError> {
    Ok(Json(admin::revoke_key(&state, &key_id).await?))
}
