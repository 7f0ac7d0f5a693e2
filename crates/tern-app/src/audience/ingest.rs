//! Segment calls into contacts and events: `identify` upserts the contact (traits become
//! attributes, a `phone` trait sets the phone, an `sms_consent` trait its consent); `track`
//! records an event for the contact its `userId` names, creating the contact if it is new.
//! A request is taken whole or refused whole. The write key is public (web pages and apps embed
//! it), so `sms_consent` counts only where the account's settings allow it
//! (`identify_sets_consent`), and even then never ends an opt-out.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tern_domain::{
    account::InvalidSetting,
    contact::{ConsentSource, ContactDraft, ContactInput},
    ids::{AccountId, ContactId},
    tracking::{Call, CallKind},
};
use tern_store::{EventsRecorded, NewEvent, Store, StoreResult};

use super::upsert_all;

/// Traits that set contact fields instead of attributes.
const PHONE_TRAIT: &str = "phone";
const CONSENT_TRAIT: &str = "sms_consent";

/// What one request did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Ingested {
    pub calls: usize,
    pub contacts_upserted: usize,
    #[serde(flatten)]
    pub events: EventsRecorded,
}

/// Ingests `calls`; a call that cannot be applied refuses the request with its index.
pub async fn ingest(
    store: &dyn Store,
    account: AccountId,
    calls: &[Call],
    consent_allowed: bool,
    received_at: DateTime<Utc>,
) -> StoreResult<Result<Ingested, (usize, InvalidSetting)>> {
    // One draft per identify, and one bare draft per user a track names, in call order.
    let mut drafts = Vec::new();
    let mut draft_calls = Vec::new();
    for (index, call) in calls.iter().enumerate() {
        let Some(user_id) = call.user_id.as_deref() else {
            continue;
        };
        let draft = match call.kind {
            CallKind::Identify => identify_draft(user_id, call).map(|mut draft| {
                if !consent_allowed {
                    draft.consent = None;
                }
                draft
            }),
            CallKind::Track => ContactDraft::parse(
                ContactInput {
                    external_id: Some(user_id),
                    ..Default::default()
                },
                None,
            )
            .map_err(|mut problems| problems.remove(0)),
            _ => continue,
        };
        match draft {
            Ok(draft) => {
                drafts.push((draft, ConsentSource::Identify));
                draft_calls.push(index);
            }
            Err(problem) => return Ok(Err((index, problem))),
        }
    }
    let upserted = match upsert_all(store, account, &drafts, received_at).await? {
        Ok(upserted) => upserted,
        Err((draft, problem)) => return Ok(Err((draft_calls[draft], problem))),
    };
    let contact_of: HashMap<&str, ContactId> = draft_calls
        .iter()
        .zip(&upserted)
        .filter_map(|(&call, done)| Some((calls[call].user_id.as_deref()?, done.id)))
        .collect();

    for call in calls.iter().filter(|c| c.kind == CallKind::Identify) {
        if let (Some(anonymous), Some(user)) = (&call.anonymous_id, &call.user_id) {
            store
                .link_anonymous_events(account, anonymous, contact_of[user.as_str()])
                .await?;
        }
    }
    let events: Vec<NewEvent> = calls
        .iter()
        .filter(|c| c.kind == CallKind::Track)
        .map(|call| NewEvent {
            contact_id: call.user_id.as_deref().map(|u| contact_of[u]),
            anonymous_id: call.anonymous_id.clone(),
            message_id: call.message_id.clone(),
            name: call.event.clone().unwrap_or_default(),
            properties: call.properties.clone(),
            occurred_at: call.timestamp,
        })
        .collect();
    let recorded = if events.is_empty() {
        EventsRecorded::default()
    } else {
        store.record_events(account, &events, received_at).await?
    };
    Ok(Ok(Ingested {
        calls: calls.len(),
        contacts_upserted: upserted.len(),
        events: recorded,
    }))
}

fn identify_draft(user_id: &str, call: &Call) -> Result<ContactDraft, InvalidSetting> {
    let mut traits = call.traits.clone();
    let phone = traits.remove(PHONE_TRAIT);
    let consent = traits.remove(CONSENT_TRAIT);
    let text = |value: &Option<Value>, name: &str| -> Result<Option<String>, InvalidSetting> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Bool(b)) if name == CONSENT_TRAIT => Ok(Some(
                if *b { "subscribed" } else { "unsubscribed" }.to_owned(),
            )),
            Some(_) => Err(InvalidSetting::new(
                format!("traits.{name}"),
                "must be a string",
            )),
        }
    };
    let phone = text(&phone, PHONE_TRAIT)?;
    let consent = text(&consent, CONSENT_TRAIT)?;
    ContactDraft::parse(
        ContactInput {
            external_id: Some(user_id),
            phone: phone.as_deref(),
            attributes: Some(Value::Object(traits)),
            consent: consent.as_deref(),
        },
        None,
    )
    .map_err(|mut problems| {
        let mut problem = problems.remove(0);
        if problem.field == "phone" || problem.field == "consent" {
            problem.field = format!(
                "traits.{}",
                if problem.field == "phone" {
                    PHONE_TRAIT
                } else {
                    CONSENT_TRAIT
                }
            );
        }
        problem
    })
}
