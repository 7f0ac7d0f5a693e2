//! The operator's API: accounts, the MMS flag, keys. Every route needs `TERN_ADMIN_TOKEN`.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tern_domain::{account::AccountName, ids::ApiKeyId};
use utoipa::ToSchema;

use super::views::{AccountView, KeyView};
use crate::{
    ApiError, AppState,
    error::ErrorBody,
    extract::{AdminAuth, ApiJson},
    operator,
};

/// A new account's name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountRequest {
    /// 1 to 64 letters, digits, '-', '_' or '.'; unique.
    pub name: String,
}

/// Turns MMS on or off for an account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MmsRequest {
    pub enabled: bool,
}

/// A new API key: `key` is shown this once.
#[derive(Serialize, ToSchema)]
pub struct NewKeyView {
    pub id: String,
    pub account_id: String,
    pub key: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
}

/// Creates an account.
#[utoipa::path(post, path = "/api/v1/admin/accounts", operation_id = "admin_create_account", tag = "admin", security(("admin_token" = [])),
    request_body = NewAccountRequest,
    responses((status = 201, description = "Created", body = AccountView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 409, description = "Conflicts with an existing record", body = ErrorBody), (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn create_account(
    State(state): State<AppState>,
    _: AdminAuth,
    ApiJson(request): ApiJson<NewAccountRequest>,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    let name: AccountName = request.name.parse()?;
    let account = operator::create_account(&*state.store, name).await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

/// Lists all accounts.
#[utoipa::path(get, path = "/api/v1/admin/accounts", tag = "admin", security(("admin_token" = [])),
    responses((status = 200, description = "OK", body = Vec<AccountView>), (status = 401, description = "No valid credentials", body = ErrorBody)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    _: AdminAuth,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    Ok(Json(
        state
            .store
            .list_accounts()
            .await?
            .into_iter()
            .map(AccountView::from)
            .collect(),
    ))
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
    Ok(Json(
        operator::find_account(&*state.store, &account)
            .await?
            .into(),
    ))
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
    let account = operator::find_account(&*state.store, &account).await?;
    Ok(Json(
        state
            .store
            .set_mms_enabled(account.id, request.enabled)
            .await?
            .into(),
    ))
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
    let account = operator::find_account(&*state.store, &account).await?;
    let (record, key) = operator::create_api_key(&*state.store, account.id).await?;
    let view = NewKeyView {
        id: record.id.to_string(),
        account_id: account.id.to_string(),
        key,
        prefix: record.prefix,
        created_at: record.created_at,
    };
    Ok((StatusCode::CREATED, Json(view)))
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
    let id: ApiKeyId = key_id.parse().map_err(|_| ApiError::NotFound)?;
    Ok(Json(
        state
            .store
            .revoke_api_key(None, id, Utc::now())
            .await?
            .into(),
    ))
}
