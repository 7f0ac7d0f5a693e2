//! The account's audit trail: who changed settings, consent, users, keys and campaign launches,
//! and when. Entries are written after the change they describe; a trail that cannot be written
//! is logged, and the change stands.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tern_domain::ids::AccountId;
use tern_store::{Account, AuditEntry};
use utoipa::{IntoParams, ToSchema};

use crate::{Actor, AppError, AppResult, AppState};

/// Records that `actor` did `action` (to `target`) in `account`.
pub async fn record(
    state: &AppState,
    account: AccountId,
    actor: &str,
    action: &str,
    target: Option<String>,
    detail: Value,
) {
    let entry = AuditEntry {
        id: 0,
        at: Utc::now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        target,
        detail,
    };
    if let Err(e) = state.store.record_audit(account, &entry).await {
        tracing::error!(error = %e, %account, action, "an audit entry could not be written");
    }
}

/// Records what an API key or a panel user did.
pub async fn by(
    state: &AppState,
    account: AccountId,
    actor: Actor,
    action: &str,
    target: Option<String>,
    detail: Value,
) {
    record(state, account, &actor.by(), action, target, detail).await;
}

/// One entry of the audit trail.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `key:{id}` (an API key), `user:{id}` (a panel user), `operator` or `contact` (a keyword).
    pub actor: String,
    /// The actor in words: the user's e-mail, the key's prefix (while they exist).
    pub actor_name: Option<String>,
    /// e.g. `settings.changed`, `contact.consent_changed`, `user.invited`, `key.created`,
    /// `campaign.launched`.
    pub action: String,
    pub target: Option<String>,
    /// What changed.
    #[schema(value_type = Object)]
    pub detail: Value,
}

/// A page of the audit trail, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    /// Pass as `before` for the next (older) page; absent on the last.
    pub next_before: Option<i64>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// 1 to 200; 50 by default.
    pub limit: Option<u32>,
    /// Only entries older than this id (the cursor).
    pub before: Option<i64>,
}

/// The account's audit trail, a page at a time.
pub async fn list(
    state: &AppState,
    account: &Account,
    params: AuditParams,
) -> AppResult<AuditPage> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid("limit", "must be 1 to 200"));
    }
    let entries = state
        .store
        .audit_entries(account.id, params.before, limit)
        .await?;
    let next_before = (entries.len() == limit as usize)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let mut names: HashMap<String, String> = HashMap::new();
    for user in state.store.list_users(account.id).await? {
        names.insert(Actor::User(user.id).by(), user.email);
    }
    for key in state.store.list_api_keys(account.id).await? {
        names.insert(Actor::Key(key.id).by(), format!("API key {}…", key.prefix));
    }
    Ok(AuditPage {
        entries: entries
            .into_iter()
            .map(|e| AuditEntryView {
                id: e.id,
                at: e.at,
                actor_name: names.get(&e.actor).cloned(),
                actor: e.actor,
                action: e.action,
                target: e.target,
                detail: e.detail,
            })
            .collect(),
        next_before,
    })
}
