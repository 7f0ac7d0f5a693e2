//! A plain evaluator of segment conditions over contacts in memory, the oracle the SQL compiler
//! is checked against on random definitions.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};
use tern_domain::{
    audience::{Comparison, Condition, Op},
    contact::ContactState,
};

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
        Condition::Attribute(comparison) => compare(&contact.attributes, comparison),
        Condition::Event(event) => {
            let since = event.within_days.map(|d| now - TimeDelta::days(d.into()));
            let count = events
                .iter()
                .filter(|e| e.name == event.name && since.is_none_or(|s| e.at >= s))
                .filter(|e| event.filters.iter().all(|f| compare(&e.properties, f)))
                .count() as u32;
            count >= event.at_least && event.at_most.is_none_or(|most| count <= most)
        }
    }
}

fn compare(doc: &Map<String, Value>, comparison: &Comparison) -> bool {
    let member = doc.get(&comparison.name).filter(|v| !v.is_null());
    let value = comparison.value.as_ref();
    match (comparison.op, member, value) {
        (Op::Exists, member, _) => member.is_some(),
        (Op::Ne, _, _) => !compare(
            doc,
            &Comparison {
                op: Op::Eq,
                ..comparison.clone()
            },
        ),
        (_, None, _) | (_, _, None) => false,
        (Op::Eq, Some(m), Some(v)) => match (m, v) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            (a, b) => a == b,
        },
        (Op::Lt | Op::Gt, Some(m), Some(v)) => {
            let order = match (m, v) {
                (Value::Number(a), Value::Number(b)) => a.as_f64().partial_cmp(&b.as_f64()),
                (Value::String(a), Value::String(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
                _ => None,
            };
            order
                == Some(if comparison.op == Op::Lt {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Greater
                })
        }
        (Op::Contains, Some(m), Some(Value::String(needle))) => match m {
            Value::String(s) => s.contains(needle.as_str()),
            Value::Array(items) => items.iter().any(|i| i.as_str() == Some(needle.as_str())),
            _ => false,
        },
        (Op::Contains, _, _) => false,
    }
}
