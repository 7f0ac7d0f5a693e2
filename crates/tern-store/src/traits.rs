//! The storage capabilities. Every method that reads or writes an account's data takes the
//! account's id, so that nothing of one account is reachable from another by mistake.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tern_domain::ids::{AccountId, ApiKeyId};

use crate::{
    Account, AccountSettings, ApiKeyRecord, Campaigns, Contacts, Events, Imports, NewAccount,
    NewApiKeyRecord, NewUser, Outbox, Segments, Session, StoreError, User,
};

/// How fresh a key's last-used time is kept.
pub const LAST_USE_RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// Whether a key last used at `last` should record a use at `now`.
pub fn last_use_is_stale(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last.is_none_or(|last| now - last >= LAST_USE_RESOLUTION)
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Tenants and the operator's switches on them.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Creates an account with default settings, in one transaction.
    async fn create_account(&self, account: NewAccount) -> StoreResult<Account>;
    async fn account(&self, id: AccountId) -> StoreResult<Account>;
    async fn account_by_name(&self, name: &str) -> StoreResult<Account>;
    async fn account_by_write_key(&self, write_key: &str) -> StoreResult<Account>;
    async fn list_accounts(&self) -> StoreResult<Vec<Account>>;
    async fn set_mms_enabled(&self, id: AccountId, enabled: bool) -> StoreResult<Account>;
}

/// API keys, stored as hashes.
#[async_trait]
pub trait ApiKeys: Send + Sync {
    async fn create_api_key(&self, key: NewApiKeyRecord) -> StoreResult<ApiKeyRecord>;
    /// The live (not revoked) key with this hash. Its last-used time becomes `now` when it is
    /// older than [`LAST_USE_RESOLUTION`], so that busy keys do not cost a write per request.
    async fn use_api_key(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<ApiKeyRecord>;
    async fn api_key(&self, id: ApiKeyId) -> StoreResult<ApiKeyRecord>;
    async fn list_api_keys(&self, account: AccountId) -> StoreResult<Vec<ApiKeyRecord>>;
    /// Revokes a key; revoking a revoked key keeps its first revocation time.
    async fn revoke_api_key(
        &self,
        account: Option<AccountId>,
        id: ApiKeyId,
        now: DateTime<Utc>,
    ) -> StoreResult<ApiKeyRecord>;
}

/// Panel users.
#[async_trait]
pub trait Users: Send + Sync {
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    async fn list_users(&self, account: AccountId) -> StoreResult<Vec<User>>;
    /// The user with this e-mail and their password hash.
    async fn user_by_email(&self, email: &str) -> StoreResult<(User, String)>;
}

/// Panel sign-ins.
#[async_trait]
pub trait Sessions: Send + Sync {
    /// Starts a session (`session.email` is ignored: it is the user's), and ends the user's
    /// sessions that expired by its start.
    async fn create_session(&self, session: Session) -> StoreResult<()>;
    /// The session with this token hash, unless it has expired by `now`.
    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Session>;
    /// Ends a session (ending one that is gone is not an error).
    async fn end_session(&self, token_hash: &str) -> StoreResult<()>;
}

/// Per-account settings.
#[async_trait]
pub trait Settings: Send + Sync {
    async fn settings(&self, account: AccountId) -> StoreResult<AccountSettings>;
    async fn save_settings(
        &self,
        account: AccountId,
        settings: &AccountSettings,
    ) -> StoreResult<()>;
}

/// The database itself.
#[async_trait]
pub trait Health: Send + Sync {
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Whether the database answers and every migration is applied.
    async fn ready(&self) -> StoreResult<Readiness>;
    /// Records `fingerprint` as the secret key's if none is recorded yet; returns the one
    /// recorded (another node's, when it differs).
    async fn key_fingerprint(&self, fingerprint: &str) -> StoreResult<String>;
}

/// What `/readyz` reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Readiness {
    pub applied_migrations: i64,
    pub known_migrations: i64,
}

impl Readiness {
    pub fn current(&self) -> bool {
        self.applied_migrations == self.known_migrations
    }
}

/// Everything a Tern node stores.
pub trait Store:
    Accounts
    + ApiKeys
    + Users
    + Sessions
    + Settings
    + Media
    + Contacts
    + Events
    + Segments
    + Imports
    + Campaigns
    + Outbox
    + Health
{
}

impl<T> Store for T where
    T: Accounts
        + ApiKeys
        + Users
        + Sessions
        + Settings
        + Media
        + Contacts
        + Events
        + Segments
        + Imports
        + Campaigns
        + Outbox
        + Health
{
}

/// The media library's records (the bytes live in a blob store).
#[async_trait]
pub trait Media: Send + Sync {
    /// Stores the item unless the account has the same bytes already; returns the stored item and
    /// whether it is new.
    async fn create_media(&self, item: crate::MediaItem) -> StoreResult<(crate::MediaItem, bool)>;
    async fn media(
        &self,
        account: AccountId,
        id: tern_domain::ids::MediaId,
    ) -> StoreResult<crate::MediaItem>;
    async fn media_by_token(&self, token: &str) -> StoreResult<crate::MediaItem>;
    async fn list_media(&self, account: AccountId) -> StoreResult<Vec<crate::MediaItem>>;
    async fn delete_media(
        &self,
        account: AccountId,
        id: tern_domain::ids::MediaId,
    ) -> StoreResult<crate::MediaItem>;
}
