use chrono::Utc;
use tern_domain::ids::ApiKeyId;
use tern_store::Account;

use super::views::KeyView;
use crate::{Actor, AppError, AppResult, AppState, audit};

/// The account's API keys, revoked ones included.
pub async fn list_keys(state: &AppState, account: &Account) -> AppResult<Vec<KeyView>> {
    let keys = state.store.list_api_keys(account.id).await?;
    Ok(keys.into_iter().map(KeyView::from).collect())
}

/// Revokes one of the account's keys (the calling key included).
pub async fn revoke_key(
    state: &AppState,
    account: &Account,
    actor: Actor,
    key_id: &str,
) -> AppResult<KeyView> {
    let id: ApiKeyId = key_id.parse().map_err(|_| AppError::NotFound)?;
    let key = state
        .store
        .revoke_api_key(Some(account.id), id, Utc::now())
        .await?;
    let target = Some(key.id.to_string());
    audit::by(
        state,
        account.id,
        actor,
        "key.revoked",
        target,
        serde_json::json!({}),
    )
    .await;
    Ok(key.into())
}
