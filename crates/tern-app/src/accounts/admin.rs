//! The operator's API: accounts, the MMS flag, keys. Every route needs `TERN_ADMIN_TOKEN`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tern_domain::{account::AccountName, ids::ApiKeyId};
use utoipa::ToSchema;

use super::views::{AccountView, KeyView};
use crate::{AppError, AppResult, AppState, audit, operator};

/// How the audit trail names the operator (the admin token, the CLI).
const OPERATOR: &str = "operator";

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
pub async fn create_account(
    state: &AppState,
    request: NewAccountRequest,
) -> AppResult<AccountView> {
    let name: AccountName = request.name.parse()?;
    let account = operator::create_account(&*state.store, name).await?;
    Ok(account.into())
}

/// Lists all accounts.
pub async fn list_accounts(state: &AppState) -> AppResult<Vec<AccountView>> {
    Ok(state
        .store
        .list_accounts()
        .await?
        .into_iter()
        .map(AccountView::from)
        .collect())
}

/// One account, by id or name.
pub async fn get_account(state: &AppState, account: &str) -> AppResult<AccountView> {
    Ok(operator::find_account(&*state.store, account).await?.into())
}

/// Enables or disables MMS for an account.
pub async fn set_mms(
    state: &AppState,
    account: &str,
    request: MmsRequest,
) -> AppResult<AccountView> {
    let account = operator::find_account(&*state.store, account).await?;
    let changed = state
        .store
        .set_mms_enabled(account.id, request.enabled)
        .await?;
    let detail = serde_json::json!({ "mms_enabled": request.enabled });
    audit::record(
        state,
        account.id,
        OPERATOR,
        "account.mms_changed",
        None,
        detail,
    )
    .await;
    Ok(changed.into())
}

/// Creates an API key for an account.
pub async fn create_key(state: &AppState, account: &str) -> AppResult<NewKeyView> {
    let account = operator::find_account(&*state.store, account).await?;
    let (record, key) = operator::create_api_key(&*state.store, account.id).await?;
    let view = NewKeyView {
        id: record.id.to_string(),
        account_id: account.id.to_string(),
        key,
        prefix: record.prefix,
        created_at: record.created_at,
    };
    let target = Some(view.id.clone());
    audit::record(
        state,
        account.id,
        OPERATOR,
        "key.created",
        target,
        serde_json::json!({}),
    )
    .await;
    Ok(view)
}

/// Revokes any API key.
pub async fn revoke_key(state: &AppState, key_id: &str) -> AppResult<KeyView> {
    let id: ApiKeyId = key_id.parse().map_err(|_| AppError::NotFound)?;
    let key = state.store.revoke_api_key(None, id, Utc::now()).await?;
    let target = Some(key.id.to_string());
    let detail = serde_json::json!({});
    audit::record(
        state,
        key.account_id,
        OPERATOR,
        "key.revoked",
        target,
        detail,
    )
    .await;
    Ok(key.into())
}
