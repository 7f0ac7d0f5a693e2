//! The records storage holds. Times are UTC; ids come from the caller.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tern_domain::{
    account::{AccountName, FrequencyCap, Prices, QuietHours, SandboxSettings, Sender, Timezone},
    ids::{AccountId, ApiKeyId, UserId},
};

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub name: AccountName,
    pub mms_enabled: bool,
    pub write_key: String,
    pub created_at: DateTime<Utc>,
}

/// What creating an account needs.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: AccountId,
    pub name: AccountName,
    pub write_key: String,
    pub created_at: DateTime<Utc>,
}

/// An API key's record; the secret itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub account_id: AccountId,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What creating an API key needs.
#[derive(Debug, Clone)]
pub struct NewApiKeyRecord {
    pub id: ApiKeyId,
    pub account_id: AccountId,
    pub prefix: String,
    pub hash: String,
    pub created_at: DateTime<Utc>,
}

/// A panel user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub account_id: AccountId,
    pub email: String,
    pub role: tern_domain::access::Role,
    pub created_at: DateTime<Utc>,
}

/// What creating a user needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub account_id: AccountId,
    pub email: tern_domain::account::Email,
    pub role: tern_domain::access::Role,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A panel sign-in, found by the hash of its cookie's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user_id: UserId,
    pub account_id: AccountId,
    /// The user's e-mail, for the panel's header.
    pub email: String,
    /// What every form and every unsafe API call from the panel must carry.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An invitation to join an account's panel: a one-time link whose token is kept as a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub token_hash: String,
    pub account_id: AccountId,
    pub email: tern_domain::account::Email,
    pub role: tern_domain::access::Role,
    /// Who invited (`Actor::by`).
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// One entry of an account's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Assigned by the store; 0 in a new entry.
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who acted: `key:{id}`, `user:{id}`, `operator`, or `contact` (a keyword).
    pub actor: String,
    /// What was done, e.g. `settings.changed`, `campaign.launched`.
    pub action: String,
    /// What it was done to (an id), if anything in particular.
    pub target: Option<String>,
    /// What changed, as JSON.
    pub detail: serde_json::Value,
}

/// Twilio credentials, secrets sealed with the operator's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedTwilioCredentials {
    pub account_sid: String,
    pub auth_token_sealed: String,
    pub api_key_sid: Option<String>,
    pub api_key_secret_sealed: Option<String>,
}

/// An account's settings. Stored whole: each change replaces the record in one write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub timezone: Timezone,
    pub quiet_hours: QuietHours,
    pub frequency_cap: Option<FrequencyCap>,
    pub opt_out_footer: String,
    pub help_reply: String,
    pub test_numbers: Vec<String>,
    pub prices: Prices,
    pub senders: Vec<Sender>,
    pub twilio: Option<SealedTwilioCredentials>,
    /// Used when `twilio` is not set.
    #[serde(default)]
    pub sandbox: SandboxSettings,
    /// The account's own domains: links from data are tracked, and product pictures fetched,
    /// only there.
    #[serde(default)]
    pub own_domains: Vec<String>,
    /// Whether Segment `identify` calls (made with the write key, which web pages and apps
    /// embed) may change consent. Even then they never end an opt-out.
    #[serde(default)]
    pub identify_sets_consent: bool,
    /// The currency the account's revenue is counted in (ISO 4217); revenue in another is
    /// listed apart, never converted.
    #[serde(default = "default_currency")]
    pub currency: String,
    /// How the account's messages sound, for the AI writer.
    #[serde(default)]
    pub brand_voice: tern_domain::writer::BrandVoice,
    /// Whether the AI writer is offered (where the operator configured an endpoint).
    #[serde(default = "yes")]
    pub ai_writer: bool,
    /// Grows by one with each save; a save names the revision it was computed from. Kept beside
    /// the document, not in it.
    #[serde(skip)]
    pub revision: i64,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            timezone: Timezone::default(),
            quiet_hours: QuietHours::default(),
            frequency_cap: None,
            opt_out_footer: "Reply STOP to opt out".to_owned(),
            help_reply: "Reply STOP to opt out. Msg&data rates may apply.".to_owned(),
            test_numbers: Vec::new(),
            prices: Prices::default(),
            senders: Vec::new(),
            twilio: None,
            sandbox: SandboxSettings::default(),
            own_domains: Vec::new(),
            identify_sets_consent: false,
            currency: default_currency(),
            brand_voice: Default::default(),
            ai_writer: true,
            revision: 0,
        }
    }
}

fn default_currency() -> String {
    "USD".to_owned()
}

fn yes() -> bool {
    true
}

/// A media item: an accepted, cleaned image, stored once per account by its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaItem {
    pub id: tern_domain::ids::MediaId,
    pub account_id: AccountId,
    /// Hex SHA-256 of the stored (cleaned) bytes; names the blob.
    pub sha256: String,
    /// 128-bit random token of the public address Twilio fetches.
    pub token: String,
    pub format: tern_domain::media::MediaFormat,
    pub bytes: u64,
    /// The size as uploaded, before metadata was removed.
    pub original_bytes: u64,
    pub width: u32,
    pub height: u32,
    pub frames: u32,
    pub file_name: String,
    /// The API key that uploaded it.
    pub uploaded_by: Option<ApiKeyId>,
    pub created_at: DateTime<Utc>,
}
