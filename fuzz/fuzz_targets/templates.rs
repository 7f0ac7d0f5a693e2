//! Message templates: any text is checked without panicking, and whatever passes the check
//! renders within its bounds for a contact with attributes and for one without.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use tern_domain::{
    contact::{Consent, ContactState},
    template::{MAX_OUTPUT_BYTES, Values, Vocabulary, check},
};

fuzz_target!(|source: &str| {
    let vocabulary = Vocabulary {
        attributes: ["first_name", "tier", "items"].map(String::from).into(),
        cart: true,
    };
    let Ok(template) = check(source, &vocabulary) else {
        return;
    };
    let contact = ContactState {
        id: None,
        external_id: Some("u1".into()),
        phone: Some("+14155552671".into()),
        country: Some("US".into()),
        attributes: json!({"first_name": "Ayşe", "tier": 3, "items": ["a", "b", "c"]})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        consent: Consent::Subscribed,
        timezone: None,
    };
    for values in [Values::new(&contact, None), Values::nobody(true)] {
        if let Ok(text) = template.render(&values) {
            assert!(text.len() <= MAX_OUTPUT_BYTES);
        }
    }
});
