//! Turning stored primitives back into records, shared by both backends so that each backend's
//! row structs stay thin. Stored data that no longer parses is reported, never papered over.

use chrono::{DateTime, TimeZone, Utc};
use tern_domain::ids::{AccountId, ApiKeyId, UserId};

use crate::{Account, AccountSettings, ApiKeyRecord, MediaItem, StoreError, User};

fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("stored {what} is unreadable: {detail}").into())
}

/// Milliseconds since the epoch, as both backends store times.
pub fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub fn time(millis: i64) -> Result<DateTime<Utc>, StoreError> {
    Utc.timestamp_millis_opt(millis)
        .single()
        .ok_or_else(|| corrupt("time", millis))
}

fn uuid<T: From<uuid::Uuid>>(what: &str, s: &str) -> Result<T, StoreError> {
    uuid::Uuid::parse_str(s)
        .map(T::from)
        .map_err(|e| corrupt(what, e))
}

pub fn account(
    id: &str,
    name: String,
    mms_enabled: bool,
    write_key: String,
    created_at: i64,
) -> Result<Account, StoreError> {
    Ok(Account {
        id: uuid::<AccountId>("account id", id)?,
        name: name.parse().map_err(|e| corrupt("account name", e))?,
        mms_enabled,
        write_key,
        created_at: time(created_at)?,
    })
}

pub fn api_key(
    id: &str,
    account_id: &str,
    prefix: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
) -> Result<ApiKeyRecord, StoreError> {
    Ok(ApiKeyRecord {
        id: uuid::<ApiKeyId>("key id", id)?,
        account_id: uuid("account id", account_id)?,
        prefix,
        created_at: time(created_at)?,
        last_used_at: last_used_at.map(time).transpose()?,
        revoked_at: revoked_at.map(time).transpose()?,
    })
}

pub fn user(
    id: &str,
    account_id: &str,
    email: String,
    created_at: i64,
) -> Result<User, StoreError> {
    Ok(User {
        id: uuid::<UserId>("user id", id)?,
        account_id: uuid("account id", account_id)?,
        email,
        created_at: time(created_at)?,
    })
}

pub fn settings(json: &str) -> Result<AccountSettings, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt("settings", e))
}

pub fn settings_json(settings: &AccountSettings) -> String {
    serde_json::to_string(settings).expect("settings serialise")
}

/// A media row's columns, in the order both backends select them.
pub struct MediaColumns {
    pub id: String,
    pub account_id: String,
    pub sha256: String,
    pub token: String,
    pub format: String,
    pub bytes: i64,
    pub original_bytes: i64,
    pub width: i64,
    pub height: i64,
    pub frames: i64,
    pub file_name: String,
    pub uploaded_by: Option<String>,
    pub created_at: i64,
}

pub fn media(row: MediaColumns) -> Result<MediaItem, StoreError> {
    let number = |what: &str, n: i64| u32::try_from(n).map_err(|e| corrupt(what, e));
    Ok(MediaItem {
        id: uuid("media id", &row.id)?,
        account_id: uuid("account id", &row.account_id)?,
        sha256: row.sha256,
        token: row.token,
        format: tern_domain::media::MediaFormat::from_name(&row.format)
            .ok_or_else(|| corrupt("media format", &row.format))?,
        bytes: u64::try_from(row.bytes).map_err(|e| corrupt("media size", e))?,
        original_bytes: u64::try_from(row.original_bytes).map_err(|e| corrupt("media size", e))?,
        width: number("width", row.width)?,
        height: number("height", row.height)?,
        frames: number("frames", row.frames)?,
        file_name: row.file_name,
        uploaded_by: row
            .uploaded_by
            .as_deref()
            .map(|k| uuid("key id", k))
            .transpose()?,
        created_at: time(row.created_at)?,
    })
}
