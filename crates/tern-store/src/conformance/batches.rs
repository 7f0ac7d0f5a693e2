//! Stories of batches larger than one statement: a backend splits them as its database needs,
//! and what the caller sees is the same as for a small batch.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use tern_domain::contact::{Consent, ConsentSource, ContactState};

use super::{account, at};
use crate::{ContactWrite, NewEvent, Store};

/// More rows than any backend writes in one statement, and not a multiple of its batch size.
const CONTACTS: usize = 4_321;

/// More attribute names than any backend records in one statement.
const NAMES: usize = 2_345;

fn new_contact(i: usize) -> ContactWrite {
    let mut attributes = Map::new();
    attributes.insert(format!("n{:05}", i % NAMES), json!(i));
    ContactWrite {
        state: ContactState {
            id: None,
            external_id: Some(format!("x{i:05}")),
            phone: Some(format!("+1415555{i:04}")),
            country: Some("US".into()),
            attributes,
            consent: Consent::Subscribed,
            timezone: None,
        },
        revision: None,
        consent_source: Some(ConsentSource::Import),
        consent_proof: None,
    }
}

pub async fn batches_larger_than_a_statement_are_written_and_read_whole(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let writes: Vec<ContactWrite> = (0..CONTACTS).map(new_contact).collect();

    let ids = store.write_contacts(acme, &writes, at(10)).await.unwrap();

    assert_eq!(ids.len(), CONTACTS);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        CONTACTS,
        "every new contact has an id of its own"
    );
    let external_ids: Vec<String> = writes
        .iter()
        .filter_map(|w| w.state.external_id.clone())
        .collect();
    let phones: Vec<String> = writes
        .iter()
        .filter_map(|w| w.state.phone.clone())
        .collect();
    let by_keys = store
        .contacts_by_keys(acme, &external_ids, &phones)
        .await
        .unwrap();
    assert_eq!(by_keys.len(), CONTACTS, "found once each, by either key");
    let position: HashMap<_, _> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    for contact in &by_keys {
        let i = position[&contact.id];
        assert_eq!(contact.state.external_id, writes[i].state.external_id);
        assert_eq!(contact.state.attributes, writes[i].state.attributes);
    }
    let reversed: Vec<_> = ids.iter().rev().copied().collect();
    let by_ids: Vec<_> = store
        .contacts_by_ids(acme, &reversed)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(by_ids, sorted, "every contact, in id order");
    let last = store
        .consent_history(acme, ids[CONTACTS - 1])
        .await
        .unwrap();
    assert_eq!(
        last.iter().map(|c| c.changed_at).collect::<Vec<_>>(),
        [at(10)]
    );
    let names = store.attribute_names(acme).await.unwrap();
    let expected: Vec<String> = (0..NAMES).map(|i| format!("n{i:05}")).collect();
    assert_eq!(names, expected);

    let events: Vec<NewEvent> = ids
        .iter()
        .enumerate()
        .map(|(i, contact)| NewEvent {
            contact_id: Some(*contact),
            anonymous_id: None,
            message_id: Some(format!("m{i}")),
            name: "Page Viewed".into(),
            properties: json!({ "path": format!("/{i}") })
                .as_object()
                .cloned()
                .unwrap_or_default(),
            occurred_at: at(20),
        })
        .collect();
    let first = store.record_events(acme, &events, at(30)).await.unwrap();
    let again = store.record_events(acme, &events, at(31)).await.unwrap();
    assert_eq!((first.recorded, first.duplicates), (CONTACTS as u64, 0));
    assert_eq!((again.recorded, again.duplicates), (0, CONTACTS as u64));
    let seen = store
        .contact_events(acme, ids[CONTACTS - 1], 10)
        .await
        .unwrap();
    assert_eq!(
        seen.iter()
            .map(|e| e.properties.get("path").cloned())
            .collect::<Vec<_>>(),
        [Some(Value::from(format!("/{}", CONTACTS - 1)))]
    );
}
