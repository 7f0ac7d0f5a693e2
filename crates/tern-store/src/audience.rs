//! Records and capabilities of the audience: contacts, their events and carts, saved segments and
//! CSV imports.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use tern_domain::{
    audience::Condition,
    contact::{Cart, Consent, ConsentProof, ConsentSource, ContactState},
    ids::{AccountId, ContactId, ImportId, SegmentId},
};

use crate::StoreResult;

/// A stored contact.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub id: ContactId,
    pub account_id: AccountId,
    pub state: ContactState,
    pub consent_source: Option<ConsentSource>,
    pub consent_changed_at: Option<DateTime<Utc>>,
    /// Grows by one with each change; updates name the revision they were computed from.
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One contact to write: a new one (`state.id` is `None`) or a change of the stored one at
/// `revision`.
#[derive(Debug, Clone)]
pub struct ContactWrite {
    pub state: ContactState,
    pub revision: Option<i64>,
    /// Set when the consent changes: the history records it with this source.
    pub consent_source: Option<ConsentSource>,
    /// The proof of new consent the change carried, recorded with it.
    pub consent_proof: Option<ConsentProof>,
}

/// What a contacts listing asks for.
#[derive(Debug, Clone, Default)]
pub struct ContactQuery {
    /// Only contacts with an id greater than this (the cursor).
    pub after: Option<ContactId>,
    pub limit: u32,
    pub consent: Option<Consent>,
    pub country: Option<String>,
    /// Matches the start of the phone (E.164) or of the external id.
    pub search: Option<String>,
}

/// One entry of a contact's consent history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentChange {
    pub consent: Consent,
    pub source: ConsentSource,
    pub changed_at: DateTime<Utc>,
    pub proof: Option<ConsentProof>,
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub contact_id: Option<ContactId>,
    pub anonymous_id: Option<String>,
    pub message_id: Option<String>,
    pub name: String,
    pub properties: Map<String, Value>,
    pub occurred_at: DateTime<Utc>,
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub id: i64,
    pub contact_id: Option<ContactId>,
    pub message_id: Option<String>,
    pub name: String,
    pub properties: Map<String, Value>,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

/// What recording a set of events did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EventsRecorded {
    pub recorded: u64,
    /// Skipped: an event with the same `messageId` was recorded before.
    pub duplicates: u64,
    pub carts_changed: u64,
}

/// A saved segment.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SegmentRecord {
    pub id: SegmentId,
    pub account_id: AccountId,
    pub name: String,
    /// The definition as given; it parsed into a [`Condition`] when saved.
    pub definition: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where a CSV import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Running,
    Completed,
    Failed,
}

/// A row an import refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RejectedRow {
    pub line: u64,
    pub field: String,
    pub message: String,
}

/// A CSV import and its progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportRecord {
    pub id: ImportId,
    pub account_id: AccountId,
    pub file_name: String,
    pub status: ImportStatus,
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub rows_done: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// The first rejected rows (at most [`MAX_REPORTED_ROWS`]).
    pub rejected_rows: Vec<RejectedRow>,
    /// Rows that asked to subscribe a contact who had opted out: their consent stayed.
    pub consent_kept: u64,
    /// The lines of the first of them (at most [`MAX_REPORTED_ROWS`]).
    pub consent_kept_lines: Vec<u64>,
    /// Why a failed import stopped.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl ImportRecord {
    /// A running import with nothing done yet.
    pub fn started(
        id: ImportId,
        account_id: AccountId,
        file_name: String,
        bytes_total: u64,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            account_id,
            file_name,
            status: ImportStatus::Running,
            bytes_total,
            bytes_done: 0,
            rows_done: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            rejected: 0,
            rejected_rows: Vec::new(),
            consent_kept: 0,
            consent_kept_lines: Vec::new(),
            error: None,
            created_at: now,
            finished_at: None,
        }
    }
}

/// How many rejected rows an import keeps for its report.
pub const MAX_REPORTED_ROWS: usize = 1000;

/// Contacts and their consent.
#[async_trait]
pub trait Contacts: Send + Sync {
    /// Which of these numbers opted out (with the latest opt-out's time), whatever contact holds
    /// them now, if any.
    async fn opted_out(
        &self,
        account: AccountId,
        phones: &[String],
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>>;
    /// The account's contacts having any of these external ids or phones.
    async fn contacts_by_keys(
        &self,
        account: AccountId,
        external_ids: &[String],
        phones: &[String],
    ) -> StoreResult<Vec<Contact>>;
    /// The account's contacts with these ids, in id order (others' ids find nothing).
    async fn contacts_by_ids(
        &self,
        account: AccountId,
        ids: &[ContactId],
    ) -> StoreResult<Vec<Contact>>;
    /// Writes all of `writes` in one transaction and returns their ids in order. An update whose
    /// contact moved past its revision, or an insert colliding with a stored contact, fails the
    /// whole batch with a conflict: the caller reads again and retries.
    async fn write_contacts(
        &self,
        account: AccountId,
        writes: &[ContactWrite],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<ContactId>>;
    /// Every attribute name some contact of the account has had, sorted.
    async fn attribute_names(&self, account: AccountId) -> StoreResult<Vec<String>>;
    async fn contact(&self, account: AccountId, id: ContactId) -> StoreResult<Contact>;
    async fn list_contacts(
        &self,
        account: AccountId,
        query: &ContactQuery,
    ) -> StoreResult<Vec<Contact>>;
    /// Erases the contact with its events, cart and consent history.
    async fn delete_contact(&self, account: AccountId, id: ContactId) -> StoreResult<()>;
    /// Oldest first.
    async fn consent_history(
        &self,
        account: AccountId,
        id: ContactId,
    ) -> StoreResult<Vec<ConsentChange>>;
}

/// Events and the carts they drive.
#[async_trait]
pub trait Events: Send + Sync {
    /// Records events in one transaction, skipping those whose `message_id` the account has
    /// seen, and applies the new e-commerce events to their contacts' carts.
    async fn record_events(
        &self,
        account: AccountId,
        events: &[NewEvent],
        received_at: DateTime<Utc>,
    ) -> StoreResult<EventsRecorded>;
    /// Links an anonymous visitor's earlier events to the contact they turned out to be.
    async fn link_anonymous_events(
        &self,
        account: AccountId,
        anonymous_id: &str,
        contact: ContactId,
    ) -> StoreResult<u64>;
    /// Newest first.
    async fn contact_events(
        &self,
        account: AccountId,
        contact: ContactId,
        limit: u32,
    ) -> StoreResult<Vec<Event>>;
    async fn cart(&self, account: AccountId, contact: ContactId) -> StoreResult<Option<Cart>>;
}

/// The attribute names a batch of writes holds, sorted and distinct.
pub fn attribute_names(writes: &[ContactWrite]) -> Vec<&str> {
    let names: std::collections::BTreeSet<&str> = writes
        .iter()
        .flat_map(|w| w.state.attributes.keys().map(String::as_str))
        .collect();
    names.into_iter().collect()
}

/// Saved segments and their evaluation, which runs in the database.
#[async_trait]
pub trait Segments: Send + Sync {
    async fn create_segment(&self, segment: SegmentRecord) -> StoreResult<SegmentRecord>;
    async fn segment(&self, account: AccountId, id: SegmentId) -> StoreResult<SegmentRecord>;
    async fn list_segments(&self, account: AccountId) -> StoreResult<Vec<SegmentRecord>>;
    /// Replaces name and definition.
    async fn update_segment(&self, segment: SegmentRecord) -> StoreResult<SegmentRecord>;
    async fn delete_segment(&self, account: AccountId, id: SegmentId) -> StoreResult<()>;
    /// How many of the account's contacts match, event windows counted back from `now`.
    async fn count_matching(
        &self,
        account: AccountId,
        condition: &Condition,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// The matching contacts counted by country, phone presence and consent: what an estimate
    /// needs.
    async fn audience_groups(
        &self,
        account: AccountId,
        condition: &Condition,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<tern_domain::campaign::estimate::AudienceGroup>>;
    /// For each attribute name, its longest value among the matching contacts (as JSON), for
    /// the worst case of a personalised message; names no matching contact has are left out.
    async fn longest_values(
        &self,
        account: AccountId,
        condition: &Condition,
        names: &[String],
        now: DateTime<Utc>,
    ) -> StoreResult<serde_json::Map<String, serde_json::Value>>;
    /// The next `limit` matching contacts after `after`, in id order: call again with the last
    /// id to stream the whole segment without holding it.
    async fn matching_contacts(
        &self,
        account: AccountId,
        condition: &Condition,
        now: DateTime<Utc>,
        after: Option<ContactId>,
        limit: u32,
    ) -> StoreResult<Vec<ContactId>>;
}

/// CSV imports, whose progress any node can read.
#[async_trait]
pub trait Imports: Send + Sync {
    async fn create_import(&self, import: &ImportRecord) -> StoreResult<()>;
    /// Replaces the import's progress.
    async fn save_import(&self, import: &ImportRecord) -> StoreResult<()>;
    async fn import(&self, account: AccountId, id: ImportId) -> StoreResult<ImportRecord>;
    /// Newest first.
    async fn list_imports(&self, account: AccountId) -> StoreResult<Vec<ImportRecord>>;
}

/// Applies new events, oldest first, to the carts they concern; returns the carts that changed.
/// Shared by both backends so that carts follow one rule.
pub fn apply_to_carts<'a>(
    carts: &mut std::collections::HashMap<ContactId, Cart>,
    events: impl IntoIterator<Item = &'a NewEvent>,
) -> Vec<ContactId> {
    let mut events: Vec<&NewEvent> = events
        .into_iter()
        .filter(|e| e.contact_id.is_some() && tern_domain::contact::is_cart_event(&e.name))
        .collect();
    events.sort_by_key(|e| e.occurred_at);
    let mut changed = Vec::new();
    for event in events {
        let Some(contact) = event.contact_id else {
            continue;
        };
        let next = tern_domain::contact::apply_cart_event(
            carts.get(&contact),
            &event.name,
            &event.properties,
            event.occurred_at,
        );
        if let Some(next) = next {
            carts.insert(contact, next);
            if !changed.contains(&contact) {
                changed.push(contact);
            }
        }
    }
    changed
}
