//! Calls of Segment's HTTP tracking API (`identify`, `track`, `batch`, …) read as Segment reads
//! them, so that shops' existing analytics libraries can send to Tern unchanged.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// Largest single call Segment accepts.
pub const MAX_CALL_BYTES: usize = 32 * 1024;
/// Largest batch request Segment accepts.
pub const MAX_BATCH_BYTES: usize = 500 * 1024;
/// Longest event name kept.
pub const MAX_EVENT_NAME: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Identify,
    Track,
    Page,
    Screen,
    Group,
    Alias,
}

impl CallKind {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "identify" => Self::Identify,
            "track" => Self::Track,
            "page" => Self::Page,
            "screen" => Self::Screen,
            "group" => Self::Group,
            "alias" => Self::Alias,
            _ => return None,
        })
    }
}

/// One call, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub kind: CallKind,
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    /// Segment's deduplication key; calls without one are never deduplicated.
    pub message_id: Option<String>,
    /// The event name of a `track`.
    pub event: Option<String>,
    pub properties: Map<String, Value>,
    pub traits: Map<String, Value>,
    /// When it happened, corrected for the sender's clock as Segment does.
    pub timestamp: DateTime<Utc>,
}

/// Reads a call. `kind` comes from the endpoint (`/v1/track`) or, in a batch, from the call's
/// `type`. `sent_at` is the request's `sentAt`, when the batch gives one.
pub fn read_call(
    kind: Option<CallKind>,
    json: &Value,
    received_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
) -> Result<Call, String> {
    let object = json.as_object().ok_or("a call must be a JSON object")?;
    let kind = match kind {
        Some(kind) => kind,
        None => {
            let name = object.get("type").and_then(Value::as_str).ok_or(
                "a batch call needs a type: identify, track, page, screen, group or alias",
            )?;
            CallKind::parse(name).ok_or_else(|| format!("unknown call type {name:?}"))?
        }
    };
    let text = serde_json::to_string(json).unwrap_or_default();
    // serde_json writes a NUL as this escape: no id, name or property means anything with one.
    if text.contains("\\u0000") {
        return Err("the call holds a NUL character".into());
    }
    let size = text.len();
    if size > MAX_CALL_BYTES {
        return Err(format!(
            "the call is {size} bytes; Segment's limit is {MAX_CALL_BYTES} bytes per call"
        ));
    }
    let id = |key: &str| -> Result<Option<String>, String> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) if s.len() <= 255 => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(format!("{key} must be a string of at most 255 bytes")),
        }
    };
    let user_id = id("userId")?;
    let anonymous_id = id("anonymousId")?;
    if user_id.is_none() && anonymous_id.is_none() {
        return Err("a call needs a userId or an anonymousId".to_owned());
    }
    let event = match kind {
        CallKind::Track => match object.get("event").and_then(Value::as_str).map(str::trim) {
            Some(name) if !name.is_empty() && name.len() <= MAX_EVENT_NAME => Some(name.to_owned()),
            _ => {
                return Err(format!(
                    "a track call needs an event name of 1 to {MAX_EVENT_NAME} bytes"
                ));
            }
        },
        _ => None,
    };
    let map = |key: &str| -> Result<Map<String, Value>, String> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map.clone()),
            Some(_) => Err(format!("{key} must be an object")),
        }
    };
    let mut traits = map("traits")?;
    if traits.is_empty()
        && let Some(Value::Object(context)) = object.get("context")
        && let Some(Value::Object(context_traits)) = context.get("traits")
    {
        traits = context_traits.clone();
    }
    let time = |key: &str| -> Result<Option<DateTime<Utc>>, String> {
        match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|_| format!("{key} {s:?} is not an ISO 8601 time")),
            Some(_) => Err(format!("{key} must be an ISO 8601 string")),
        }
    };
    let sent_at = time("sentAt")?.or(sent_at);
    let timestamp = match time("timestamp")? {
        // The sender's clock may be off: shift by the difference between its sentAt and our
        // receipt, as Segment does.
        Some(at) => sent_at.map_or(at, |sent| at + (received_at - sent)),
        None => received_at,
    };
    // Nothing happened after it was received: a time ahead (a fast clock without `sentAt`)
    // would freeze the contact's cart and hide later orders from it.
    let timestamp = timestamp.min(received_at);
    Ok(Call {
        kind,
        user_id,
        anonymous_id,
        message_id: id("messageId")?,
        event,
        properties: map("properties")?,
        traits,
        timestamp,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use serde_json::json;

    use super::*;

    #[test]
    fn a_track_call_reads_with_its_clock_corrected() {
        let now = Utc::now();
        let sent = now - TimeDelta::seconds(100); // the sender's clock is 100 s slow
        let happened = sent - TimeDelta::seconds(5);
        let call = read_call(
            None,
            &json!({"type": "track", "userId": 42, "event": "Product Added",
                    "messageId": "m-1", "properties": {"price": 3},
                    "timestamp": happened.to_rfc3339()}),
            now,
            Some(sent),
        )
        .unwrap();
        assert_eq!(call.kind, CallKind::Track);
        assert_eq!(call.user_id.as_deref(), Some("42"));
        assert_eq!(call.timestamp, now - TimeDelta::seconds(5));
    }

    #[test]
    fn bad_calls_say_what_is_wrong() {
        let now = Utc::now();
        let err = |json: Value| read_call(None, &json, now, None).unwrap_err();
        assert!(err(json!({"type": "track", "event": "x"})).contains("userId"));
        assert!(err(json!({"type": "track", "userId": "u"})).contains("event name"));
        assert!(err(json!({"type": "jump", "userId": "u"})).contains("jump"));
        assert!(
            err(json!({"type": "identify", "userId": "u", "timestamp": "yesterday"}))
                .contains("ISO 8601")
        );
        let big = "x".repeat(MAX_CALL_BYTES);
        assert!(
            err(json!({"type": "identify", "userId": "u", "traits": {"bio": big}}))
                .contains("32768")
        );
    }

    #[test]
    fn identify_traits_may_come_in_the_context() {
        let call = read_call(
            Some(CallKind::Identify),
            &json!({"userId": "u", "context": {"traits": {"phone": "+15555550100"}}}),
            Utc::now(),
            None,
        )
        .unwrap();
        assert_eq!(call.traits["phone"], "+15555550100");
    }
}
