//! Turning stored primitives back into records, shared by both backends so that each backend's
//! row structs stay thin. Stored data that no longer parses is reported, never papered over.

use chrono::{DateTime, TimeZone, Utc};
use tern_domain::ids::{AccountId, ApiKeyId, UserId};

use crate::{Account, AccountSettings, ApiKeyRecord, StoreError, User};

fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("stored {what} is unreadable: {detail}").into())
}

/// Milliseconds since the epoch, as both backends store times.
pub fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub fn time(millis: i64) -> Result<DateTime<Utc>, StoreError> {
    Utc.timestamp_millis_opt(millis).single().ok_or_else(|| corrupt("time", millis))
}

fn uuid<T: From<uuid::Uuid>>(what: &str, s: &str) -> Result<T, StoreError> {
    uuid::Uuid::parse_str(s).map(T::from).map_err(|e| corrupt(what, e))
}

pub fn account(id: &str, name: String, mms_enabled: bool, write_key: String, created_at: i64) -> Result<Account, StoreError> {
    Ok(Account {
        id: uuid::<AccountId>("account id", id)?,
        name: name.parse().map_err(|e| corrupt("account name", e))?,
        mms_enabled,
        write_key,
        created_at: time(created_at)?,
    })
}

pub fn api_key(id: &str, account_id: &str, prefix: String, created_at: i64, last_used_at: Option<i64>, revoked_at: Option<i64>) -> Result<ApiKeyRecord, StoreError> {
    Ok(ApiKeyRecord {
        id: uuid::<ApiKeyId>("key id", id)?,
        account_id: uuid("account id", account_id)?,
        prefix,
        created_at: time(created_at)?,
        last_used_at: last_used_at.map(time).transpose()?,
        revoked_at: revoked_at.map(time).transpose()?,
    })
}

pub fn user(id: &str, account_id: &str, email: String, created_at: i64) -> Result<User, StoreError> {
    Ok(User { id: uuid::<UserId>("user id", id)?, account_id: uuid("account id", account_id)?, email, created_at: time(created_at)? })
}

pub fn settings(json: &str) -> Result<AccountSettings, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt("settings", e))
}

pub fn settings_json(settings: &AccountSettings) -> String {
    serde_json::to_string(settings).expect("settings serialise")
}
