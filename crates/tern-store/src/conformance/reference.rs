//! A plain evaluator of segment conditions over contacts in memory, the oracle the SQL compiler
//! is checked against on random definitions.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};
use tern_domain::{audience::Condition, contact::ContactState};

/// An event as the oracle sees it.
pub struct SeenEvent {
    pub name: String,
    pub properties: Map<String, Value>,
    pub at: DateTime<Utc>,
}

pub fn matches(
    condition: &Condition,
    contact: &ContactState,
    events: &[SeenEvent],
    now: DateTime<Utc>,
) -> bool {
    match condition {
        Condition::And(parts) => parts.iter().all(|p| matches(p, contact, events, now)),
        Condition::Or(parts) => parts.iter().any(|p| matches(p, contact, events, now)),
        Condition::Not(inner) => !matches(inner, contact, events, now),
        Condition::Consent(list) => list.contains(&contact.consent),
        Condition::Country(list) => contact.country.as_ref().is_some_and(|c| list.contains(c)),
        Condition::Attribute(comparison) => comparison.holds(&contact.attributes),
        Condition::Event(event) => {
            let since = event.within_days.map(|d| now - TimeDelta::days(d.into()));
            let count = events
                .iter()
                .filter(|e| e.name == event.name && since.is_none_or(|s| e.at >= s))
                .filter(|e| event.filters.iter().all(|f| f.holds(&e.properties)))
                .count() as u32;
            count >= event.at_least && event.at_most.is_none_or(|most| count <= most)
        }
    }
}
