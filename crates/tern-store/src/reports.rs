//! What a campaign's report is computed from: raw facts only. Tracked-link hits with what the
//! request showed, each message's touch (delivered, else sent; for a held-out recipient, when
//! it would have been sent) and status history, and the account's goal events. Which hits are
//! people and which message each conversion is credited to is decided on reading, by the
//! rules of `tern_domain::goals`, so a changed window or bot rule applies to the past too.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tern_domain::{
    delivery::outcome::ProviderStatus,
    ids::{AccountId, CampaignId, ContactId},
};

use crate::{MessageState, StoreResult};

/// The skip reason of a recipient a campaign keeps unsent to measure its lift.
pub const HOLDOUT: &str = "holdout";

/// A tracked link's hit, as the request showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHit {
    pub code: String,
    pub at: DateTime<Utc>,
    /// A `HEAD` request.
    pub head: bool,
    pub user_agent: Option<String>,
    /// Whether the request carried `Accept-Language`.
    pub accept_language: bool,
    /// The client's address (an IPv6 one as its /64).
    pub address: Option<String>,
}

/// A stored hit with what classifying it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitRecord {
    pub id: i64,
    pub message_id: Option<i64>,
    pub at: DateTime<Utc>,
    pub head: bool,
    pub user_agent: Option<String>,
    pub accept_language: bool,
    pub address: Option<String>,
    /// The hit message's delivery receipt.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A message as attribution sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TouchRecord {
    pub message_id: i64,
    pub campaign_id: CampaignId,
    pub contact_id: ContactId,
    /// Delivered, else sent; for a held-out recipient, when the message would have been sent.
    pub at: DateTime<Utc>,
    pub holdout: bool,
}

/// One of the account's events that may be a goal's conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalEvent {
    pub id: i64,
    pub contact_id: ContactId,
    pub name: String,
    pub at: DateTime<Utc>,
    pub properties: Map<String, Value>,
}

/// Which of a campaign's recipients a page of the report lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientsQuery {
    /// Messages after this id (keyset paging).
    pub after: Option<i64>,
    pub limit: u32,
    pub state: Option<MessageState>,
    pub reason: Option<String>,
    /// Only these messages (ascending ids), when given.
    pub only: Option<Vec<i64>>,
}

/// One recipient's message in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientRecord {
    pub message_id: i64,
    pub contact_id: Option<ContactId>,
    pub to: String,
    pub state: MessageState,
    pub reason: Option<String>,
    pub provider_status: Option<ProviderStatus>,
    pub error_code: Option<u32>,
    pub due_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A status the provider reported for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRecord {
    pub message_id: i64,
    pub status: ProviderStatus,
    pub error_code: Option<u32>,
    pub at: DateTime<Utc>,
}

/// What a campaign's report counts in the database, beside its message figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportTotals {
    /// Recipients who opted out after their message was sent.
    pub opt_outs: u64,
    /// What the provider bills for the sent messages, by sender: SMS segments, MMS messages.
    pub billed: Vec<Billed>,
    /// The first send and the last touch (sent or delivered), for the chart's span.
    pub first_sent: Option<DateTime<Utc>>,
    pub last_touch: Option<DateTime<Utc>>,
}

/// What a sender's sent messages cost in units: SMS segments, or MMS messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billed {
    pub sender: String,
    pub mms: bool,
    pub units: u64,
}

/// Sent and delivered messages per bucket of the chart: `(bucket, sent, delivered)`, bucket `i`
/// covering `[start + i × width, start + (i + 1) × width)`.
pub type TimelineCounts = Vec<(u32, u64, u64)>;

#[async_trait]
pub trait Reports: Send + Sync {
    /// Where a tracked link leads (reading only: hits are recorded in batches).
    async fn link_target(&self, code: &str) -> StoreResult<String>;
    /// Records hits in one transaction; a code that names no link is ignored.
    async fn record_hits(&self, hits: &[NewHit]) -> StoreResult<()>;
    /// Every hit on the campaign's links (test messages' aside).
    async fn campaign_hits(
        &self,
        account: AccountId,
        campaign: CampaignId,
    ) -> StoreResult<Vec<HitRecord>>;
    /// The account's hits from the addresses of `hits` within `around` of any of them from the
    /// same address (themselves included): what judging them as bursts needs, whichever
    /// campaign's report loaded them.
    async fn hits_near(
        &self,
        account: AccountId,
        hits: &[HitRecord],
        around: chrono::Duration,
    ) -> StoreResult<Vec<HitRecord>>;
    /// Every hit on these messages' links.
    async fn message_hits(
        &self,
        account: AccountId,
        messages: &[i64],
    ) -> StoreResult<Vec<HitRecord>>;
    /// Events called `name` by the campaign's recipients (sent or held out) within `window`
    /// after their touch, or after a hit on their message's links.
    async fn goal_events(
        &self,
        account: AccountId,
        campaign: CampaignId,
        name: &str,
        window: chrono::Duration,
    ) -> StoreResult<Vec<GoalEvent>>;
    /// The touches of any campaign of the account (sent or held out, tests aside) on these
    /// contacts that went by `until`, and went since `since` or were clicked since.
    async fn contact_touches(
        &self,
        account: AccountId,
        contacts: &[ContactId],
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<TouchRecord>>;
    /// A page of the campaign's recipients, in message id order.
    async fn recipients(
        &self,
        account: AccountId,
        campaign: CampaignId,
        query: &RecipientsQuery,
    ) -> StoreResult<Vec<RecipientRecord>>;
    /// The statuses reported for these messages, each message's in order.
    async fn message_statuses(
        &self,
        account: AccountId,
        messages: &[i64],
    ) -> StoreResult<Vec<StatusRecord>>;
    async fn report_totals(
        &self,
        account: AccountId,
        campaign: CampaignId,
    ) -> StoreResult<ReportTotals>;
    /// Sent and delivered messages per bucket from `start`.
    async fn timeline(
        &self,
        account: AccountId,
        campaign: CampaignId,
        start: DateTime<Utc>,
        width: chrono::Duration,
    ) -> StoreResult<TimelineCounts>;
}
