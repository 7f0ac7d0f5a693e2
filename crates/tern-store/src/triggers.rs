//! Triggered campaigns: each active campaign's rule, the versions it was edited into, and the
//! triggers its contacts' carts and subscriptions fire.
//!
//! A trigger is found in the transaction that records what fired it (a cart's change, a
//! consent change), under a unique key (campaign, contact, cart occurrence or `welcome`), so
//! that neither a retry nor a second node finds it twice. When it falls due it is settled once:
//! skipped with a reason, or its message written into the outbox, where the dispatchers take it
//! like any other.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tern_domain::{
    campaign::{CampaignType, trigger::TriggerState},
    delivery::pacing::RunPlan,
    ids::{AccountId, CampaignId, ContactId},
};

use crate::{CampaignChange, CampaignRecord, NewMessage, RunRecord, StoreResult};

/// What finds an active campaign's triggers.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerRule {
    pub campaign_id: CampaignId,
    pub account_id: AccountId,
    pub kind: CampaignType,
    /// After the cart's last activity, or after subscribing.
    pub delay: chrono::Duration,
    /// How long after it falls due a trigger may still be sent: one found later than that is
    /// written skipped (`too_late`) at once.
    pub lateness: chrono::Duration,
    /// Only what is received from then on fires it: switching a campaign on messages no
    /// backlog.
    pub activated_at: DateTime<Utc>,
    /// From then on it finds nothing, and the campaign completes.
    pub ends_at: Option<DateTime<Utc>>,
    /// The version triggers found now are sent from.
    pub version: u32,
}

/// One trigger and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriggerRecord {
    pub id: i64,
    pub account_id: AccountId,
    pub campaign_id: CampaignId,
    pub contact_id: ContactId,
    /// The cart's occurrence (`cart:…`, `at:…`) or `welcome`.
    pub key: String,
    /// `cart` or `subscribed`.
    pub cause: String,
    /// The campaign's version it is sent from.
    pub version: u32,
    /// When the cart's occurrence began, or when the contact subscribed.
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub state: TriggerState,
    pub reason: Option<String>,
    /// The message written when it fell due.
    pub message_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a due trigger comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum TriggerOutcome {
    /// Not sent, for this reason (`ordered`, `unsubscribed`, `too_late`, …).
    Skip(String),
    /// Its message, unless the contact got one of the campaign's messages within
    /// `period_days` (then skipped as `period`).
    Send {
        message: Box<NewMessage>,
        period_days: Option<u32>,
    },
}

/// How many of a campaign's triggers share a state and a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerCount {
    pub state: TriggerState,
    pub reason: Option<String>,
    pub count: u64,
}

#[async_trait]
pub trait Triggers: Send + Sync {
    /// Saves the campaign (now active, at `campaign.revision`, made from the one before), its
    /// run (the plan its messages are paced by; no audience to write), its rule and the
    /// rule's first version, in one transaction.
    async fn activate(
        &self,
        campaign: &CampaignRecord,
        change: &CampaignChange,
        run: &RunRecord,
        rule: &TriggerRule,
        snapshot: &serde_json::Value,
    ) -> StoreResult<()>;
    /// An active (or paused) campaign's rule.
    async fn trigger_rule(
        &self,
        account: AccountId,
        campaign: CampaignId,
    ) -> StoreResult<TriggerRule>;
    /// Records a new version of an active campaign (what an edit fixed) and makes it the one
    /// triggers found from now on are sent from, with its Launch step's `plan` for every
    /// message from now on; returns its number. What waits keeps its own version.
    async fn add_version(
        &self,
        rule: &TriggerRule,
        plan: &RunPlan,
        snapshot: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> StoreResult<u32>;
    /// What a version fixed.
    async fn version_snapshot(
        &self,
        campaign: CampaignId,
        version: u32,
    ) -> StoreResult<serde_json::Value>;
    /// Waiting triggers due by `now` of active campaigns, earliest first, from the due-time
    /// index.
    async fn due_triggers(&self, now: DateTime<Utc>, limit: u32)
    -> StoreResult<Vec<TriggerRecord>>;
    /// Whether the contact completed an order at or after `since` (by the event's own time).
    async fn ordered_since(
        &self,
        account: AccountId,
        contact: ContactId,
        since: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Settles a waiting trigger, in one transaction: skipped, or its message written (once:
    /// the message is unique per campaign, contact and trigger key). `false` when it was no
    /// longer waiting (another node settled it, or an order cancelled it).
    async fn settle_trigger(
        &self,
        trigger: &TriggerRecord,
        outcome: &TriggerOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// A campaign's triggers after id `after`, in id order.
    async fn campaign_triggers(
        &self,
        account: AccountId,
        campaign: CampaignId,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<TriggerRecord>>;
    /// A contact's triggers across the account's campaigns, newest first, with each
    /// campaign's name.
    async fn contact_triggers(
        &self,
        account: AccountId,
        contact: ContactId,
        limit: u32,
    ) -> StoreResult<Vec<(String, TriggerRecord)>>;
    /// A campaign's triggers counted by state and reason.
    async fn trigger_counts(
        &self,
        account: AccountId,
        campaign: CampaignId,
    ) -> StoreResult<Vec<TriggerCount>>;
}
