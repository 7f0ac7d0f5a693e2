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

/// A typed id from its stored text.
pub fn uuid<T: From<uuid::Uuid>>(what: &str, s: &str) -> Result<T, StoreError> {
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
    role: &str,
    created_at: i64,
) -> Result<User, StoreError> {
    Ok(User {
        id: uuid::<UserId>("user id", id)?,
        account_id: uuid("account id", account_id)?,
        email,
        role: role.parse().map_err(|e| corrupt("role", e))?,
        created_at: time(created_at)?,
    })
}

pub fn email(email: &str) -> Result<tern_domain::account::Email, StoreError> {
    email.parse().map_err(|e| corrupt("e-mail", e))
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

/// The columns of a contact row.
pub struct ContactColumns {
    pub id: i64,
    pub account_id: String,
    pub external_id: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
    /// JSON text.
    pub attributes: String,
    pub consent: String,
    pub consent_source: Option<String>,
    pub consent_changed_at: Option<i64>,
    pub timezone: Option<String>,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn contact(row: ContactColumns) -> Result<crate::Contact, StoreError> {
    use tern_domain::contact::{Consent, ConsentSource, ContactState};
    let attributes = serde_json::from_str(&row.attributes).map_err(|e| corrupt("attributes", e))?;
    let consent: Consent = row.consent.parse().map_err(|e| corrupt("consent", e))?;
    let consent_source = row
        .consent_source
        .map(|s| s.parse::<ConsentSource>())
        .transpose()
        .map_err(|e| corrupt("consent source", e))?;
    let id = tern_domain::ids::ContactId(row.id);
    Ok(crate::Contact {
        id,
        account_id: uuid("account id", &row.account_id)?,
        state: ContactState {
            id: Some(id),
            external_id: row.external_id,
            phone: row.phone,
            country: row.country,
            attributes,
            consent,
            timezone: row.timezone,
        },
        consent_source,
        consent_changed_at: row.consent_changed_at.map(time).transpose()?,
        revision: row.revision,
        created_at: time(row.created_at)?,
        updated_at: time(row.updated_at)?,
    })
}

pub fn consent_change(
    consent: &str,
    source: &str,
    changed_at: i64,
    proof: Option<&str>,
) -> Result<crate::ConsentChange, StoreError> {
    Ok(crate::ConsentChange {
        consent: consent.parse().map_err(|e| corrupt("consent", e))?,
        source: source.parse().map_err(|e| corrupt("consent source", e))?,
        changed_at: time(changed_at)?,
        proof: proof.map(|p| json("consent proof", p)).transpose()?,
    })
}

pub fn json_object(
    what: &str,
    text: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

pub fn json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

pub fn segment(
    id: &str,
    account_id: &str,
    name: String,
    definition: &str,
    created_at: i64,
    updated_at: i64,
) -> Result<crate::SegmentRecord, StoreError> {
    Ok(crate::SegmentRecord {
        id: uuid("segment id", id)?,
        account_id: uuid("account id", account_id)?,
        name,
        definition: json("segment definition", definition)?,
        created_at: time(created_at)?,
        updated_at: time(updated_at)?,
    })
}

/// The columns of an import row.
pub struct ImportColumns {
    pub id: String,
    pub account_id: String,
    pub file_name: String,
    pub status: String,
    pub bytes_total: i64,
    pub bytes_done: i64,
    pub rows_done: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub rejected_rows: String,
    pub consent_kept: i64,
    pub consent_kept_lines: String,
    pub error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

pub fn import(row: ImportColumns) -> Result<crate::ImportRecord, StoreError> {
    use crate::ImportStatus;
    let status = match row.status.as_str() {
        "running" => ImportStatus::Running,
        "completed" => ImportStatus::Completed,
        "failed" => ImportStatus::Failed,
        other => return Err(corrupt("import status", other)),
    };
    Ok(crate::ImportRecord {
        id: uuid("import id", &row.id)?,
        account_id: uuid("account id", &row.account_id)?,
        file_name: row.file_name,
        status,
        bytes_total: row.bytes_total as u64,
        bytes_done: row.bytes_done as u64,
        rows_done: row.rows_done as u64,
        created: row.created as u64,
        updated: row.updated as u64,
        unchanged: row.unchanged as u64,
        rejected: row.rejected as u64,
        rejected_rows: json("rejected rows", &row.rejected_rows)?,
        consent_kept: row.consent_kept as u64,
        consent_kept_lines: json("consent kept lines", &row.consent_kept_lines)?,
        error: row.error,
        created_at: time(row.created_at)?,
        finished_at: row.finished_at.map(time).transpose()?,
    })
}

pub fn import_status(status: crate::ImportStatus) -> &'static str {
    match status {
        crate::ImportStatus::Running => "running",
        crate::ImportStatus::Completed => "completed",
        crate::ImportStatus::Failed => "failed",
    }
}

/// A serde unit enum's name (`"checkout_started"`), for a column that mirrors it.
pub fn json_text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

/// The columns of a campaign row.
pub struct CampaignColumns {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub kind: String,
    pub channel: String,
    pub status: String,
    pub steps: String,
    pub archived_at: Option<i64>,
    pub created_by: String,
    pub updated_by: String,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn campaign(row: CampaignColumns) -> Result<crate::CampaignRecord, StoreError> {
    Ok(crate::CampaignRecord {
        id: uuid("campaign id", &row.id)?,
        account_id: uuid("account id", &row.account_id)?,
        name: row.name,
        kind: unit_enum("campaign type", &row.kind)?,
        channel: unit_enum("campaign channel", &row.channel)?,
        status: unit_enum("campaign status", &row.status)?,
        steps: json_object("campaign steps", &row.steps)?,
        archived_at: row.archived_at.map(time).transpose()?,
        created_by: row.created_by,
        updated_by: row.updated_by,
        revision: row.revision,
        created_at: time(row.created_at)?,
        updated_at: time(row.updated_at)?,
    })
}

/// A serde unit enum from the name stored for it (the inverse of [`json_text`]).
pub fn unit_enum<T: serde::de::DeserializeOwned>(what: &str, name: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(|e| corrupt(what, e))
}
