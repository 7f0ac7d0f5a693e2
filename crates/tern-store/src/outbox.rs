//! The outbox: every message a campaign sends or skips, written before it leaves and again when
//! the provider answers, so that no message is sent twice or lost whatever stops the process.
//!
//! A message moves `queued` → `sending` (claimed with a lease, committed before the provider is
//! called) → `sent` | `failed`, or back to `queued` (retry, deferral); `skipped` and `cancelled`
//! are final too. A `sending` message whose lease ran out had its outcome lost: it is reconciled
//! with the provider's own list before anything is retried.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tern_domain::{
    campaign::CampaignStatus,
    delivery::{outcome::ProviderStatus, pacing::RunPlan},
    ids::{AccountId, CampaignId, ContactId},
};

use crate::{CampaignChange, CampaignRecord, StoreResult};

/// A message's place in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    Queued,
    /// Claimed by a dispatcher: the provider may have it.
    Sending,
    /// Accepted by the provider; its status tells what happened next.
    Sent,
    Failed,
    Skipped,
    Cancelled,
}

/// A launched campaign's audience, written into the outbox batch by batch.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub campaign_id: CampaignId,
    pub account_id: AccountId,
    pub plan: RunPlan,
    /// Messages are due from then on.
    pub send_at: DateTime<Utc>,
    /// The last contact written (audience order is contact id).
    pub cursor: Option<ContactId>,
    pub materialised: bool,
    pub started_at: DateTime<Utc>,
    /// What the launch fixed (campaign, segments, settings, media), read instead of live data
    /// while the audience is written; `None` for runs launched before snapshots were kept.
    pub snapshot: Option<serde_json::Value>,
}

/// One message to write into the outbox: queued, or skipped with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// `None` for a test message.
    pub contact_id: Option<ContactId>,
    /// E.164, or what the contact holds when it is not a valid number (skipped).
    pub to: String,
    /// The sender's address (number, short code or `MG…`), empty when skipped.
    pub sender: String,
    /// The sender's limit in segments per second.
    pub sender_rate: u32,
    pub body: String,
    /// Public addresses of the pictures (MMS).
    pub media: Vec<String>,
    /// SMS segments, or 1 for an MMS: what the rate limits count.
    pub units: u32,
    /// The recipient's IANA zone, for quiet hours.
    pub timezone: Option<String>,
    pub due_at: DateTime<Utc>,
    /// `Some(reason)` writes the message as skipped.
    pub skipped: Option<String>,
    /// Tracked links in the body: short code → original address.
    pub links: Vec<(String, String)>,
    /// The trigger it answers (empty for a Single campaign's or a test message): one message
    /// per campaign, contact and key.
    pub trigger_key: String,
    /// After this moment it is not sent (a triggered message's lateness budget).
    pub expires_at: Option<DateTime<Utc>>,
}

/// A message claimed for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub id: i64,
    pub account_id: AccountId,
    pub campaign_id: CampaignId,
    pub contact_id: Option<ContactId>,
    pub to: String,
    pub sender: String,
    pub body: String,
    pub media: Vec<String>,
    pub attempts: u32,
    /// When this attempt was claimed: reconciliation looks for messages created since.
    pub claimed_at: DateTime<Utc>,
    /// The moment the rate limits booked for it (database time): not handed over before.
    pub not_before: DateTime<Utc>,
    /// The claim's lease (database time): no provider call may start too late to end before it.
    pub lease_until: DateTime<Utc>,
    /// Since when reconciliation has failed to ask the provider about it.
    pub lookup_failing_since: Option<DateTime<Utc>>,
    /// After this moment the provider must not deliver it (`ValidityPeriod`).
    pub expires_at: Option<DateTime<Utc>>,
}

/// What became of a claimed message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The provider has it (from its answer, or found by reconciliation).
    Sent {
        id: i64,
        /// The claim's attempt: only the attempt that claimed a message settles it.
        attempts: u32,
        sid: String,
        status: ProviderStatus,
    },
    /// Not sent: queued again for `due_at` (a retry, or reconciled as absent).
    Requeue {
        id: i64,
        attempts: u32,
        due_at: DateTime<Utc>,
        error: Option<String>,
    },
    /// Final: refused by the provider or given up.
    Failed {
        id: i64,
        attempts: u32,
        /// `invalid_number`, `unsubscribed`, `not_sms_capable`, `failed`, `account_stopped`, …
        reason: String,
        code: Option<u32>,
        message: String,
    },
    /// Never handed to the provider (its moment passed, or its lease would end first): queued
    /// again as it was, the attempt not counted.
    Release { id: i64, attempts: u32 },
    /// Reconciliation could not ask the provider: still `sending`, looked up again at
    /// `retry_at`; the time of the first failure is kept.
    LookupFailed {
        id: i64,
        attempts: u32,
        retry_at: DateTime<Utc>,
    },
}

/// What one account's provider answered since the last report: a failure is an answer that
/// says nothing of the message (5xx, no answer), not a refusal of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderAnswers {
    pub account: AccountId,
    pub succeeded: u32,
    pub failed: u32,
}

/// An account's circuit breaker: after failures in a row its messages are not claimed until
/// `open_until`, then tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Breaker {
    pub failures: u32,
    pub open_until: Option<DateTime<Utc>>,
    /// How many times it opened.
    pub opened: u32,
}

/// Failures in a row that open an account's breaker, and for how long.
pub const BREAKER_FAILURES: u32 = 20;
pub const BREAKER_OPEN_SECS: i64 = 15;

/// A message as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageRecord {
    pub id: i64,
    pub campaign_id: CampaignId,
    pub contact_id: Option<ContactId>,
    pub test: bool,
    pub to: String,
    pub sender: String,
    pub body: String,
    pub media: Vec<String>,
    pub state: MessageState,
    pub reason: Option<String>,
    pub error_code: Option<u32>,
    pub error_message: Option<String>,
    pub provider_sid: Option<String>,
    pub provider_status: Option<ProviderStatus>,
    pub attempts: u32,
    /// When it is (or was last) due: deferrals and retries move it.
    pub due_at: DateTime<Utc>,
    /// When the last attempt was handed to a dispatcher for the provider.
    pub claimed_at: Option<DateTime<Utc>>,
    /// When the provider's acceptance was recorded.
    pub sent_at: Option<DateTime<Utc>>,
    /// The last change of any kind (for a sent message, its current provider status).
    pub updated_at: DateTime<Utc>,
}

/// One of a contact's messages, with its campaign's name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactMessage {
    pub campaign_name: String,
    pub message: MessageRecord,
}

/// A status callback's news for a message.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub sid: String,
    pub status: ProviderStatus,
    pub error_code: Option<u32>,
    pub error_message: Option<String>,
}

/// How many of a campaign's messages (tests aside) share a state, a provider status, a reason
/// and an error code.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageCount {
    pub campaign: CampaignId,
    pub state: MessageState,
    pub provider_status: Option<ProviderStatus>,
    /// Why it was skipped or failed; `None` in counts made without reasons.
    pub reason: Option<String>,
    /// The provider's error code; `None` in counts made without reasons.
    pub error_code: Option<u32>,
    pub count: u64,
}

/// What campaign figures are counted from: messages by state, provider status and (when asked
/// for) reason and error code, and which audiences are all written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignCounts {
    pub messages: Vec<MessageCount>,
    /// The campaigns, of those asked about, whose whole audience is in the outbox.
    pub written: Vec<CampaignId>,
}

/// The outbox and the runs that fill it. Times that leases, due times and rate limits are
/// judged by come from the database's clock ([`Outbox::database_time`]), so that nodes whose
/// clocks disagree still agree on them.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// The database's clock now.
    async fn database_time(&self) -> StoreResult<DateTime<Utc>>;
    /// Saves the campaign (now scheduled or running, at `campaign.revision`, made from the one
    /// before) and its run, in one transaction.
    async fn start_run(
        &self,
        campaign: &CampaignRecord,
        change: &CampaignChange,
        run: &RunRecord,
    ) -> StoreResult<()>;
    async fn run(&self, account: AccountId, campaign: CampaignId) -> StoreResult<RunRecord>;
    /// Runs whose audience is not all written yet, of campaigns not cancelled.
    async fn open_runs(&self) -> StoreResult<Vec<RunRecord>>;
    /// Writes a batch of the run's messages and moves its cursor from `from` to `to` (and marks
    /// it materialised when `done`), in one transaction. A recipient already written is left
    /// as it is. `Conflict` when the cursor is no longer at `from` (another node wrote it).
    async fn add_messages(
        &self,
        run: &RunRecord,
        messages: &[NewMessage],
        to: Option<ContactId>,
        done: bool,
    ) -> StoreResult<()>;
    /// Queues test messages of a campaign (no run needed); returns their ids. `Conflict {
    /// constraint: "test_messages_per_hour" }` when the account would pass `hourly_limit` test
    /// messages queued in the last hour.
    async fn add_test_messages(
        &self,
        account: AccountId,
        campaign: CampaignId,
        messages: &[NewMessage],
        hourly_limit: u32,
    ) -> StoreResult<Vec<i64>>;
    /// Claims up to `limit` due messages of running campaigns (and test messages) that consent,
    /// quiet hours, the frequency cap and the rate buckets let go within the pacing horizon,
    /// each with its moment, leased until `lease_until`; defers or skips the others as the
    /// rules say. Due messages are looked for sender by sender, only where the sender (and
    /// the campaign's throttle) has room, so a slow sender's backlog holds nobody else up;
    /// accounts whose breaker is open are passed over. Claims are serialised across nodes.
    async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Claimed>>;
    /// Records outcomes, in one transaction. Only messages still `sending` change; a message
    /// put back in the queue of a cancelled campaign is cancelled instead.
    async fn record(&self, outcomes: &[Outcome], now: DateTime<Utc>) -> StoreResult<()>;
    /// Counts providers' answers into the accounts' breakers; returns the accounts whose
    /// breaker opened now.
    async fn provider_answers(
        &self,
        answers: &[ProviderAnswers],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<AccountId>>;
    /// An account's breaker, if its provider ever failed.
    async fn breaker(&self, account: AccountId) -> StoreResult<Option<Breaker>>;
    /// Of these provider message ids, those some message of the outbox already holds.
    async fn known_sids(&self, sids: &[String]) -> StoreResult<Vec<String>>;
    /// Takes over `sending` messages whose lease ended before `now`, oldest first, leased anew
    /// until `lease_until`: their outcome is unknown and must be reconciled.
    async fn expired(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Claimed>>;
    /// Applies a status callback: the provider status only moves forward. A status for a send
    /// not recorded yet is kept until it is (whichever of the two commits last applies it);
    /// another account's message is `NotFound`.
    async fn apply_status(
        &self,
        account: AccountId,
        update: &StatusUpdate,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Pauses, resumes or cancels: moves the campaign from one of `from` to `to` (cancelling
    /// also cancels its queued messages). `Conflict` when it is in none of `from`.
    async fn set_run_status(
        &self,
        account: AccountId,
        campaign: CampaignId,
        from: &[CampaignStatus],
        to: CampaignStatus,
        change: &CampaignChange,
    ) -> StoreResult<CampaignRecord>;
    /// Scheduled campaigns whose time came become running; running ones with their audience
    /// written and nothing left to send become completed; statuses kept a day for sends never
    /// recorded are dropped. Returns the campaigns changed.
    async fn advance_runs(&self, now: DateTime<Utc>) -> StoreResult<Vec<CampaignId>>;
    /// What the figures of these campaigns of the account are counted from, for the listing and
    /// a campaign's progress alike; by reason and error code too when `by_reason` (the listing
    /// does without, and its counts come from the index alone).
    async fn campaign_counts(
        &self,
        account: AccountId,
        campaigns: &[CampaignId],
        by_reason: bool,
    ) -> StoreResult<CampaignCounts>;
    /// A campaign's messages after id `after`, in id order; test messages only when `test`.
    async fn messages(
        &self,
        account: AccountId,
        campaign: CampaignId,
        test: bool,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<MessageRecord>>;
    /// A contact's messages across the account's campaigns (test messages aside), newest
    /// first, at most `limit`.
    async fn contact_messages(
        &self,
        account: AccountId,
        contact: ContactId,
        limit: u32,
    ) -> StoreResult<Vec<ContactMessage>>;
}
