//! A contact's profile: what the contact page and `GET …/contacts/{id}/profile` show to answer
//! "why did this person (not) get it" — attributes, consent and its history, recent events,
//! the cart, and every message a campaign sent or skipped for them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tern_domain::ids::{AccountId, ContactId};
use tern_store::{Account, ContactMessage, MessageState, Store};
use utoipa::ToSchema;

use crate::{
    AppError, AppResult, AppState,
    audience::contacts::{
        CartView, ConsentChangeView, ContactView, EventView, account_zone, contact_id,
    },
    campaigns::{triggers::TriggerView, views::MessageView},
};

/// The newest messages a profile lists.
pub const PROFILE_MESSAGES: u32 = 100;
/// The newest events a profile lists.
pub const PROFILE_EVENTS: u32 = 20;

/// One contact, everything known of them.
#[derive(Serialize, ToSchema)]
pub struct ContactProfile {
    /// With the cart.
    pub contact: ContactView,
    /// Every consent change with what made it (`source`), oldest first.
    pub consent_history: Vec<ConsentChangeView>,
    /// The newest 20 events, newest first.
    pub events: Vec<EventView>,
    /// The newest 100 messages across campaigns (test messages aside), newest first.
    pub messages: Vec<ContactMessageView>,
    /// Older messages exist beyond those listed.
    pub more_messages: bool,
    /// The newest 100 triggers of Cart Reminder and Welcome campaigns for the contact, newest
    /// first: what fired each and what became of it.
    pub triggers: Vec<ContactTriggerView>,
}

/// A trigger of the contact, with its campaign.
#[derive(Serialize, ToSchema)]
pub struct ContactTriggerView {
    pub campaign_id: String,
    pub campaign_name: String,
    #[serde(flatten)]
    pub trigger: TriggerView,
}

/// A message to the contact, with its campaign and what its stored times prove.
#[derive(Serialize, ToSchema)]
pub struct ContactMessageView {
    pub campaign_id: String,
    pub campaign_name: String,
    #[serde(flatten)]
    pub message: MessageView,
    /// When the last attempt was handed to the provider.
    pub claimed_at: Option<DateTime<Utc>>,
    /// In time order. Only the latest of each kind is stored: earlier provider statuses and
    /// attempts are not kept.
    pub timeline: Vec<TimelineEntry>,
}

/// One moment in a message's life, as the outbox's columns record it.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct TimelineEntry {
    /// `due` (when it was last due to go), `handed_to_provider` (the last attempt),
    /// `accepted` (the provider took it), `provider_status` (the latest status, recorded
    /// then), `failed`, `skipped` or `cancelled`.
    pub step: String,
    pub at: DateTime<Utc>,
    /// The provider status, the reason, or the attempt's number.
    pub detail: Option<String>,
}

/// Reads a contact's profile; another account's contact (or none) is `NotFound`.
pub async fn contact_profile(
    store: &dyn Store,
    account: AccountId,
    id: ContactId,
) -> Result<ContactProfile, AppError> {
    let contact = store.contact(account, id).await?;
    let (cart, history, events, mut messages, triggers) = tokio::try_join!(
        store.cart(account, id),
        store.consent_history(account, id),
        store.contact_events(account, id, PROFILE_EVENTS),
        store.contact_messages(account, id, PROFILE_MESSAGES + 1),
        store.contact_triggers(account, id, PROFILE_MESSAGES),
    )?;
    let more_messages = messages.len() > PROFILE_MESSAGES as usize;
    messages.truncate(PROFILE_MESSAGES as usize);
    let mut view = ContactView::new(contact, account_zone(store, account).await?);
    view.cart = cart.map(CartView::from);
    Ok(ContactProfile {
        contact: view,
        consent_history: history.into_iter().map(ConsentChangeView::from).collect(),
        events: events.into_iter().map(EventView::from).collect(),
        messages: messages.into_iter().map(message_view).collect(),
        more_messages,
        triggers: triggers
            .into_iter()
            .map(|(campaign_name, trigger)| ContactTriggerView {
                campaign_id: trigger.campaign_id.to_string(),
                campaign_name,
                trigger: TriggerView::from(trigger),
            })
            .collect(),
    })
}

/// Everything known of one contact in one read: attributes, consent with its history, recent
/// events, the cart, and each message a campaign sent or skipped for them, with why.
pub async fn profile(state: &AppState, account: &Account, id: &str) -> AppResult<ContactProfile> {
    contact_profile(state.store.as_ref(), account.id, contact_id(id)?).await
}

fn message_view(found: ContactMessage) -> ContactMessageView {
    let message = found.message;
    ContactMessageView {
        campaign_id: message.campaign_id.to_string(),
        campaign_name: found.campaign_name,
        claimed_at: message.claimed_at,
        timeline: timeline(&message),
        message: MessageView::from(message),
    }
}

/// What the columns prove, and no more: `due_at` is the last time it was due (deferrals and
/// retries move it), `claimed_at` the last attempt, `sent_at` the provider's acceptance, and
/// `updated_at` the last change — for a sent message, when its current status was recorded.
fn timeline(m: &tern_store::MessageRecord) -> Vec<TimelineEntry> {
    let entry = |step: &str, at, detail: Option<String>| TimelineEntry {
        step: step.to_owned(),
        at,
        detail,
    };
    let mut entries = Vec::new();
    // A skipped message never waited: it was written skipped (or skipped when claimed).
    if m.state != MessageState::Skipped {
        entries.push(entry("due", m.due_at, None));
    }
    if let Some(at) = m.claimed_at {
        entries.push(entry(
            "handed_to_provider",
            at,
            Some(format!("attempt {}", m.attempts)),
        ));
    }
    if let Some(at) = m.sent_at {
        entries.push(entry("accepted", at, m.provider_sid.clone()));
    }
    match m.state {
        // Only a status the provider reported: an accepted message may have none yet.
        MessageState::Sent => {
            if let Some(status) = m.provider_status {
                let status = tern_store::decode::json_text(&status);
                entries.push(entry("provider_status", m.updated_at, Some(status)));
            }
        }
        MessageState::Failed => entries.push(entry("failed", m.updated_at, m.reason.clone())),
        MessageState::Skipped => entries.push(entry("skipped", m.updated_at, m.reason.clone())),
        MessageState::Cancelled => entries.push(entry("cancelled", m.updated_at, None)),
        MessageState::Queued | MessageState::Sending => {}
    }
    entries.sort_by_key(|e| e.at);
    entries
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use tern_domain::delivery::outcome::ProviderStatus;
    use tern_store::MessageRecord;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
    }

    fn record(state: MessageState) -> MessageRecord {
        MessageRecord {
            id: 1,
            campaign_id: uuid::Uuid::nil().into(),
            contact_id: Some(ContactId(7)),
            test: false,
            to: "+14155550100".into(),
            sender: "+15005550006".into(),
            body: "Hi".into(),
            media: Vec::new(),
            state,
            reason: None,
            error_code: None,
            error_message: None,
            provider_sid: None,
            provider_status: None,
            attempts: 0,
            due_at: at(10),
            claimed_at: None,
            sent_at: None,
            updated_at: at(1),
        }
    }

    fn steps(entries: &[TimelineEntry]) -> Vec<(&str, i64, Option<&str>)> {
        entries
            .iter()
            .map(|e| {
                let seconds = e.at.timestamp() - 1_700_000_000;
                (e.step.as_str(), seconds, e.detail.as_deref())
            })
            .collect()
    }

    #[test]
    fn a_delivered_message_shows_due_handed_over_accepted_and_its_latest_status() {
        let message = MessageRecord {
            attempts: 2,
            claimed_at: Some(at(12)),
            sent_at: Some(at(13)),
            updated_at: at(20),
            provider_sid: Some("SM1".into()),
            provider_status: Some(ProviderStatus::Delivered),
            ..record(MessageState::Sent)
        };
        assert_eq!(
            steps(&timeline(&message)),
            vec![
                ("due", 10, None),
                ("handed_to_provider", 12, Some("attempt 2")),
                ("accepted", 13, Some("SM1")),
                ("provider_status", 20, Some("delivered")),
            ]
        );
    }

    #[test]
    fn a_skipped_message_shows_only_when_and_why_it_was_skipped() {
        let message = MessageRecord {
            reason: Some("unsubscribed".into()),
            ..record(MessageState::Skipped)
        };
        assert_eq!(
            steps(&timeline(&message)),
            vec![("skipped", 1, Some("unsubscribed"))]
        );
    }
}
