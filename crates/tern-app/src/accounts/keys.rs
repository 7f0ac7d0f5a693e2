use chrono::Utc;
use tern_domain::ids::ApiKeyId;
use tern_store::Account;

use super::views::KeyView;
use crate::{AppError, AppResult, AppState};

/// The account's API keys, revoked ones included.
pub async fn list_keys(state: &AppState, account: &Account) -> AppResult<Vec<KeyView>> {
    let keys = state.store.list_api_keys(account.id).await?;
    Ok(keys.into_iter().map(KeyView::from).collect())
}

/// Revokes one of the account's keys (the calling key included).
pub async fn revoke_key(state: &AppState, account: &Account, key_id: &str) -> AppResult<KeyView> {
    let id: ApiKeyId = key_id.parse().map_err(|_| AppError::NotFound)?;
    Ok(state
        .store
        .revoke_api_key(Some(account.id), id, Utc::now())
        .await?
        .into())
}
