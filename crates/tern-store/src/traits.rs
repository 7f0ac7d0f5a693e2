//! The storage capabilities. Every method that reads or writes an account's data takes the
//! account's id, so that nothing of one account is reachable from another by mistake.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tern_domain::ids::{AccountId, ApiKeyId, UserId};

use crate::{
    Account, AccountSettings, ApiKeyRecord, AuditEntry, Campaigns, Contacts, Events, Imports,
    Invite, NewAccount, NewApiKeyRecord, NewUser, Outbox, Reports, Segments, Session, StoreError,
    Triggers, User,
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
    /// The account's user with this id, and their password hash.
    async fn user(&self, account: AccountId, id: UserId) -> StoreResult<(User, String)>;
    /// Removes a user with their sessions and the invitations they made (`created_by`, as
    /// invitations name their maker). `Conflict { constraint: "last_admin" }` when the account
    /// would be left without an admin.
    async fn delete_user(
        &self,
        account: AccountId,
        id: UserId,
        created_by: &str,
    ) -> StoreResult<()>;
    /// Replaces a user's password hash and ends all their sessions, in one transaction.
    async fn set_password(&self, account: AccountId, id: UserId, hash: &str) -> StoreResult<()>;
    async fn create_invite(&self, invite: &Invite) -> StoreResult<()>;
    /// The account's invitations not yet accepted or expired by `now`.
    async fn list_invites(
        &self,
        account: AccountId,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Invite>>;
    async fn delete_invite(&self, account: AccountId, token_hash: &str) -> StoreResult<()>;
    /// The live invitation with this token hash.
    async fn invite(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Invite>;
    /// Creates the invited user and uses the invitation up, in one transaction; `NotFound` when
    /// it expired or was used (a link works once).
    async fn accept_invite(
        &self,
        token_hash: &str,
        user: NewUser,
        now: DateTime<Utc>,
    ) -> StoreResult<User>;
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
    /// Until when the latest of these keys (an e-mail, an address) must wait before another
    /// sign-in attempt, if any must at `now`.
    async fn sign_in_blocked(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<DateTime<Utc>>>;
    /// Counts a failed sign-in for `key` (the count starts again after a day without one); past
    /// `free` failures in a row the key must wait (`access::wait_after_failures`): answers until
    /// when, if it must.
    async fn record_sign_in_failure(
        &self,
        key: &str,
        free: u32,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<DateTime<Utc>>>;
    /// Forgets a key's failures (after a successful sign-in).
    async fn clear_sign_in_failures(&self, key: &str) -> StoreResult<()>;
}

/// Who changed what and when.
#[async_trait]
pub trait Audit: Send + Sync {
    async fn record_audit(&self, account: AccountId, entry: &AuditEntry) -> StoreResult<()>;
    /// The account's entries, newest first, with an id below `before` when given.
    async fn audit_entries(
        &self,
        account: AccountId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>>;
}

/// Per-account settings.
#[async_trait]
pub trait Settings: Send + Sync {
    /// The settings with their `revision`.
    async fn settings(&self, account: AccountId) -> StoreResult<AccountSettings>;
    /// Saves `settings` if the stored ones are still at `settings.revision` (`Conflict {
    /// constraint: "settings_revision" }` otherwise); answers the new revision.
    async fn save_settings(
        &self,
        account: AccountId,
        settings: &AccountSettings,
    ) -> StoreResult<i64>;
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
    + Audit
    + Settings
    + Media
    + Contacts
    + Events
    + Segments
    + Imports
    + Campaigns
    + Outbox
    + Triggers
    + Reports
    + Health
{
}

impl<T> Store for T where
    T: Accounts
        + ApiKeys
        + Users
        + Sessions
        + Audit
        + Settings
        + Media
        + Contacts
        + Events
        + Segments
        + Imports
        + Campaigns
        + Outbox
        + Triggers
        + Reports
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
