#![no_main]
//! Any bytes as a segment definition, a Segment call and a CSV-style contact: no panic, and what
//! is accepted is consistent (a parsed definition reparses; an accepted draft applies).

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use tern_domain::{
    audience::Condition,
    contact::{ConsentSource, ContactDraft, ContactInput},
    tracking::read_call,
};

fuzz_target!(|input: &[u8]| {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(input) {
        if let Ok(condition) = Condition::parse(&json) {
            assert_eq!(Condition::parse(&json), Ok(condition));
        }
        let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        let _ = read_call(None, &json, now, Some(now));
        let _ = ContactDraft::parse(
            ContactInput { attributes: Some(json), external_id: Some("x"), ..Default::default() },
            None,
        );
    }
    if let Ok(text) = std::str::from_utf8(input) {
        let mut cells = text.splitn(3, ',');
        let (id, phone, consent) = (cells.next(), cells.next(), cells.next());
        if let Ok(draft) = ContactDraft::parse(
            ContactInput { external_id: id, phone, consent, attributes: None },
            None,
        ) {
            let first = draft.apply(None, ConsentSource::Import);
            assert_eq!(draft.apply(Some(&first), ConsentSource::Import), first, "applying twice changes nothing");
        }
    }
});
