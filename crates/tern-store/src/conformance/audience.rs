//! Stories of contacts, events, carts, segments and imports.

use serde_json::{Value, json};
use tern_domain::{
    audience::Condition,
    contact::{CartStatus, Consent, ConsentSource, ContactDraft, ContactInput, ContactState},
    ids::{AccountId, ContactId},
};

use super::{account, at, id};
use crate::{
    ContactQuery, ContactWrite, ImportRecord, ImportStatus, NewEvent, RejectedRow, SegmentRecord,
    Store, StoreError,
};

pub(super) fn state(
    external_id: &str,
    phone: Option<&str>,
    attributes: Value,
    consent: &str,
) -> ContactState {
    ContactDraft::parse(
        ContactInput {
            external_id: Some(external_id),
            phone,
            attributes: Some(attributes),
            consent: Some(consent),
        },
        None,
    )
    .expect("valid draft")
    .apply(None, ConsentSource::Import)
}

pub(super) fn insert(state: ContactState) -> ContactWrite {
    ContactWrite {
        state,
        revision: None,
        consent_source: Some(ConsentSource::Import),
        consent_proof: None,
    }
}

fn event(contact: ContactId, message_id: &str, name: &str, properties: Value, t: i64) -> NewEvent {
    NewEvent {
        contact_id: Some(contact),
        anonymous_id: None,
        message_id: Some(message_id.to_owned()),
        name: name.to_owned(),
        properties: properties.as_object().cloned().unwrap_or_default(),
        occurred_at: at(t),
    }
}

pub async fn contacts_upsert_by_revision_and_stay_in_their_account(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    let ids = store
        .write_contacts(
            acme,
            &[
                insert(state(
                    "u1",
                    Some("+14155550101"),
                    json!({"tier": "gold"}),
                    "subscribed",
                )),
                insert(state("u2", Some("+33612345678"), json!({}), "unknown")),
            ],
            at(10),
        )
        .await
        .unwrap();
    let u1 = store.contact(acme, ids[0]).await.unwrap();
    assert_eq!(u1.state.phone.as_deref(), Some("+14155550101"));
    assert_eq!(u1.state.country.as_deref(), Some("US"));
    assert_eq!(u1.state.timezone.as_deref(), Some("America/Los_Angeles"));
    assert_eq!((u1.revision, u1.created_at), (1, at(10)));
    assert_eq!(u1.state.attributes["tier"], "gold");

    let found = store
        .contacts_by_keys(acme, &["u2".into()], &["+14155550101".into()])
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    assert!(
        store
            .contacts_by_keys(globex, &["u1".into()], &[])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.contact(globex, ids[0]).await,
        Err(StoreError::NotFound)
    ));

    let mut changed = u1.state.clone();
    changed.attributes.insert("tier".into(), json!("platinum"));
    let update = ContactWrite {
        state: changed,
        revision: Some(u1.revision),
        consent_source: None,
        consent_proof: None,
    };
    store
        .write_contacts(acme, std::slice::from_ref(&update), at(20))
        .await
        .unwrap();
    let after = store.contact(acme, ids[0]).await.unwrap();
    assert_eq!((after.revision, after.updated_at), (2, at(20)));
    assert_eq!(after.state.attributes["tier"], "platinum");
    assert!(
        matches!(
            store.write_contacts(acme, &[update], at(30)).await,
            Err(StoreError::Conflict { .. })
        ),
        "an update from a stale revision is refused"
    );
    let twin = insert(state("u1", None, json!({}), "unknown"));
    let fresh = insert(state("u3", None, json!({}), "unknown"));
    assert!(matches!(
        store.write_contacts(acme, &[fresh, twin], at(30)).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(
        store
            .contacts_by_keys(acme, &["u3".into()], &[])
            .await
            .unwrap()
            .is_empty(),
        "a refused batch writes nothing"
    );
    // Another account may hold the same keys.
    store
        .write_contacts(
            globex,
            &[insert(state(
                "u1",
                Some("+14155550101"),
                json!({}),
                "unknown",
            ))],
            at(30),
        )
        .await
        .unwrap();

    let page =
        |query: ContactQuery| async move { store.list_contacts(acme, &query).await.unwrap() };
    let first = page(ContactQuery {
        limit: 1,
        ..Default::default()
    })
    .await;
    assert_eq!(first[0].id, ids[0]);
    let second = page(ContactQuery {
        limit: 5,
        after: Some(first[0].id),
        ..Default::default()
    })
    .await;
    assert_eq!(second.iter().map(|c| c.id).collect::<Vec<_>>(), [ids[1]]);
    let french = page(ContactQuery {
        limit: 5,
        country: Some("FR".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(french.len(), 1);
    let subscribed = page(ContactQuery {
        limit: 5,
        consent: Some(Consent::Subscribed),
        ..Default::default()
    })
    .await;
    assert_eq!(subscribed.len(), 1);
    let search = page(ContactQuery {
        limit: 5,
        search: Some("+3361".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(search[0].id, ids[1]);

    store
        .record_events(
            acme,
            &[event(
                ids[0],
                "m1",
                "Product Added",
                json!({"product_id": "p"}),
                40,
            )],
            at(40),
        )
        .await
        .unwrap();
    store.delete_contact(acme, ids[0]).await.unwrap();
    assert!(matches!(
        store.contact(acme, ids[0]).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .contact_events(acme, ids[0], 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.cart(acme, ids[0]).await.unwrap(), None);
    assert!(matches!(
        store.delete_contact(globex, ids[1]).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        page(ContactQuery {
            limit: 5,
            ..Default::default()
        })
        .await
        .len(),
        1
    );
}

fn proof() -> tern_domain::contact::ConsentProof {
    tern_domain::contact::ConsentProof::new("web form", at(25), "https://shop.example/join", at(30))
        .unwrap()
}

pub async fn consent_changes_are_kept_in_order(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let [id] = store
        .write_contacts(
            acme,
            &[insert(state("u1", None, json!({}), "subscribed"))],
            at(10),
        )
        .await
        .unwrap()[..]
    else {
        panic!("one id")
    };
    for (consent, source, t) in [
        (Consent::Unsubscribed, ConsentSource::Keyword, 20),
        (Consent::Subscribed, ConsentSource::Api, 30),
    ] {
        let current = store.contact(acme, id).await.unwrap();
        let mut next = current.state.clone();
        next.consent = consent;
        let write = ContactWrite {
            state: next,
            revision: Some(current.revision),
            consent_source: Some(source),
            consent_proof: (source == ConsentSource::Api).then(proof),
        };
        store.write_contacts(acme, &[write], at(t)).await.unwrap();
    }
    let history = store.consent_history(acme, id).await.unwrap();
    let proofs: Vec<_> = history.iter().map(|c| c.proof.clone()).collect();
    assert_eq!(
        proofs,
        [None, None, Some(proof())],
        "the proof is kept with its change"
    );
    let seen: Vec<_> = history
        .iter()
        .map(|c| (c.consent, c.source, c.changed_at))
        .collect();
    assert_eq!(
        seen,
        [
            (Consent::Subscribed, ConsentSource::Import, at(10)),
            (Consent::Unsubscribed, ConsentSource::Keyword, at(20)),
            (Consent::Subscribed, ConsentSource::Api, at(30)),
        ]
    );
    let contact = store.contact(acme, id).await.unwrap();
    assert_eq!(
        (contact.consent_source, contact.consent_changed_at),
        (Some(ConsentSource::Api), Some(at(30)))
    );
    let globex = account(store, 2, "globex").await;
    assert!(matches!(
        store.consent_history(globex, id).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn events_are_deduplicated_and_drive_carts(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    let ids = store
        .write_contacts(
            acme,
            &[insert(state("u1", None, json!({}), "unknown"))],
            at(1),
        )
        .await
        .unwrap();
    let shoe = json!({"product_id": "p1", "name": "Shoe", "price": 40, "quantity": 1,
        "image_url": "https://shop.example/p1.jpg", "url": "https://shop.example/p1"});
    let batch = [
        event(ids[0], "m1", "Product Added", shoe.clone(), 10),
        event(ids[0], "m2", "Product Added", shoe.clone(), 11),
        event(ids[0], "m2", "Product Added", shoe.clone(), 11),
        event(ids[0], "m3", "Page Viewed", json!({"path": "/"}), 12),
    ];
    let first = store.record_events(acme, &batch, at(20)).await.unwrap();
    assert_eq!(
        (first.recorded, first.duplicates, first.carts_changed),
        (3, 1, 1)
    );
    let again = store.record_events(acme, &batch, at(21)).await.unwrap();
    assert_eq!(
        (again.recorded, again.duplicates),
        (0, 4),
        "a retried batch records nothing"
    );
    let cart = store.cart(acme, ids[0]).await.unwrap().unwrap();
    assert_eq!(
        (cart.items[0].quantity, cart.total(), cart.status),
        (2, 80.0, CartStatus::Open)
    );
    assert_eq!(
        cart.items[0].image_url.as_deref(),
        Some("https://shop.example/p1.jpg")
    );

    let order = [event(
        ids[0],
        "m4",
        "Order Completed",
        json!({"total": 80}),
        13,
    )];
    store.record_events(acme, &order, at(22)).await.unwrap();
    let cart = store.cart(acme, ids[0]).await.unwrap().unwrap();
    assert_eq!((cart.items.len(), cart.status), (0, CartStatus::Ordered));

    let events = store.contact_events(acme, ids[0], 10).await.unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Order Completed",
            "Page Viewed",
            "Product Added",
            "Product Added"
        ]
    );
    assert_eq!(events[0].received_at, at(22));
    assert!(
        store
            .contact_events(globex, ids[0], 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.cart(globex, ids[0]).await.unwrap(), None);
    // Message ids are per account.
    let theirs = store
        .write_contacts(
            globex,
            &[insert(state("g1", None, json!({}), "unknown"))],
            at(1),
        )
        .await
        .unwrap();
    let recorded = store
        .record_events(
            globex,
            &[event(theirs[0], "m1", "Cart Viewed", json!({}), 10)],
            at(30),
        )
        .await
        .unwrap();
    assert_eq!(recorded.recorded, 1);

    let anonymous = NewEvent {
        contact_id: None,
        anonymous_id: Some("anon-7".into()),
        ..event(ids[0], "m5", "Product Viewed", json!({}), 14)
    };
    store
        .record_events(acme, &[anonymous], at(30))
        .await
        .unwrap();
    assert_eq!(
        store
            .link_anonymous_events(acme, "anon-7", ids[0])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.contact_events(acme, ids[0], 10).await.unwrap().len(),
        5
    );
}

/// Contacts built to tell the conditions apart; returns (account, ids by external id order).
async fn audience(store: &dyn Store) -> (AccountId, Vec<ContactId>) {
    let acme = account(store, 1, "acme").await;
    let people = [
        (
            "a",
            Some("+14155550101"),
            json!({"tier": "gold", "age": 30, "tags": ["vip"], "city": "San Francisco"}),
            "subscribed",
        ),
        (
            "b",
            Some("+16045550102"),
            json!({"tier": "silver", "age": 45, "vip": true}),
            "subscribed",
        ),
        (
            "c",
            Some("+33612345678"),
            json!({"tier": "gold", "age": "unknown"}),
            "unsubscribed",
        ),
        ("d", None, json!({"tier": 5, "city": "Sanford"}), "unknown"),
        ("e", Some("+61255501234"), json!({}), "subscribed"),
    ];
    let writes: Vec<_> = people
        .iter()
        .map(|(ext, phone, attrs, consent)| insert(state(ext, *phone, attrs.clone(), consent)))
        .collect();
    let ids = store.write_contacts(acme, &writes, at(0)).await.unwrap();
    let day = 86_400;
    let now = 100 * day;
    let events = [
        event(
            ids[0],
            "1",
            "Order Completed",
            json!({"total": 120, "coupon": "WELCOME10"}),
            now - day,
        ),
        event(
            ids[0],
            "2",
            "Order Completed",
            json!({"total": 20}),
            now - 2 * day,
        ),
        event(
            ids[1],
            "3",
            "Order Completed",
            json!({"total": 15}),
            now - 40 * day,
        ),
        event(
            ids[2],
            "4",
            "Order Completed",
            json!({"total": 200}),
            now - 3 * day,
        ),
        event(ids[3], "5", "Cart Viewed", json!({}), now - day),
    ];
    store.record_events(acme, &events, at(now)).await.unwrap();
    // Another account's look-alikes must never be counted.
    let globex = account(store, 2, "globex").await;
    store
        .write_contacts(
            globex,
            &[insert(state(
                "a",
                Some("+14155550101"),
                json!({"tier": "gold"}),
                "subscribed",
            ))],
            at(0),
        )
        .await
        .unwrap();
    (acme, ids)
}

pub async fn segments_are_counted_and_streamed_in_the_database(store: &dyn Store) {
    let (acme, ids) = audience(store).await;
    let now = at(100 * 86_400);
    let cases: Vec<(Value, Vec<usize>)> = vec![
        (
            json!({"attribute": "tier", "op": "=", "value": "gold"}),
            vec![0, 2],
        ),
        (json!({"attribute": "tier", "op": "=", "value": 5}), vec![3]),
        (
            json!({"attribute": "tier", "op": "!=", "value": "gold"}),
            vec![1, 3, 4],
        ),
        (json!({"attribute": "age", "op": ">", "value": 35}), vec![1]),
        (json!({"attribute": "age", "op": "<", "value": 35}), vec![0]),
        (
            json!({"attribute": "city", "op": "contains", "value": "San"}),
            vec![0, 3],
        ),
        (
            json!({"attribute": "tags", "op": "contains", "value": "vip"}),
            vec![0],
        ),
        (
            json!({"attribute": "vip", "op": "=", "value": true}),
            vec![1],
        ),
        (json!({"attribute": "age", "op": "exists"}), vec![0, 1, 2]),
        (
            json!({"not": {"attribute": "age", "op": "exists"}}),
            vec![3, 4],
        ),
        (json!({"consent": ["subscribed"]}), vec![0, 1, 4]),
        (json!({"country": ["US", "CA"]}), vec![0, 1]),
        (json!({"not": {"country": "US"}}), vec![1, 2, 3, 4]),
        (
            json!({"event": "Order Completed", "within_days": 30}),
            vec![0, 2],
        ),
        (json!({"event": "Order Completed", "at_least": 2}), vec![0]),
        (
            json!({"event": "Order Completed", "at_most": 1}),
            vec![1, 2, 3, 4],
        ),
        (
            json!({"event": "Order Completed", "where": [{"property": "total", "op": ">", "value": 100}]}),
            vec![0, 2],
        ),
        (
            json!({"event": "Order Completed", "where": [{"property": "coupon", "op": "exists"}]}),
            vec![0],
        ),
        (
            json!({"not_performed": "Order Completed", "within_days": 30}),
            vec![1, 3, 4],
        ),
        (
            json!({"and": [
                {"consent": "subscribed"},
                {"or": [{"country": "US"}, {"attribute": "vip", "op": "=", "value": true}]},
                {"event": "Order Completed", "within_days": 60}
            ]}),
            vec![0, 1],
        ),
    ];
    for (definition, expected) in cases {
        let condition = Condition::parse(&definition).unwrap();
        let expected: Vec<ContactId> = expected.iter().map(|&i| ids[i]).collect();
        let count = store.count_matching(acme, &condition, now).await.unwrap();
        assert_eq!(count, expected.len() as u64, "count of {definition}");
        let mut streamed = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .matching_contacts(acme, &condition, now, after, 2)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = Some(*last);
            streamed.extend(page);
        }
        assert_eq!(streamed, expected, "members of {definition}");
    }
}

pub async fn segments_and_imports_round_trip_per_account(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    let segment = SegmentRecord {
        id: id(10),
        account_id: acme,
        name: "Gold".into(),
        definition: json!({"attribute": "tier", "op": "=", "value": "gold"}),
        created_at: at(1),
        updated_at: at(1),
    };
    store.create_segment(segment.clone()).await.unwrap();
    let twin = SegmentRecord {
        id: id(11),
        ..segment.clone()
    };
    assert!(matches!(
        store.create_segment(twin).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.segment(acme, id(10)).await.unwrap(), segment);
    assert!(matches!(
        store.segment(globex, id(10)).await,
        Err(StoreError::NotFound)
    ));
    let renamed = SegmentRecord {
        name: "Golden".into(),
        updated_at: at(2),
        ..segment.clone()
    };
    assert_eq!(
        store.update_segment(renamed.clone()).await.unwrap(),
        renamed
    );
    let stolen = SegmentRecord {
        account_id: globex,
        ..renamed.clone()
    };
    assert!(matches!(
        store.update_segment(stolen).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_segments(acme).await.unwrap(), [renamed]);
    assert!(store.list_segments(globex).await.unwrap().is_empty());
    assert!(matches!(
        store.delete_segment(globex, id(10)).await,
        Err(StoreError::NotFound)
    ));
    store.delete_segment(acme, id(10)).await.unwrap();
    assert!(store.list_segments(acme).await.unwrap().is_empty());

    let mut import = ImportRecord::started(id(20), acme, "contacts.csv".into(), 1000, at(5));
    store.create_import(&import).await.unwrap();
    import.status = ImportStatus::Completed;
    import.bytes_done = 1000;
    import.rows_done = 3;
    import.created = 2;
    import.rejected = 1;
    import.rejected_rows = vec![RejectedRow {
        line: 3,
        field: "phone".into(),
        message: "too short".into(),
    }];
    import.finished_at = Some(at(6));
    store.save_import(&import).await.unwrap();
    assert_eq!(store.import(acme, id(20)).await.unwrap(), import);
    assert!(matches!(
        store.import(globex, id(20)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_imports(acme).await.unwrap(), [import]);
    assert!(store.list_imports(globex).await.unwrap().is_empty());
}

/// A small deterministic generator, so that a failure names a reproducible case.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.roll(items.len())].clone()
    }
}

fn random_leaf(dice: &mut Dice) -> Value {
    let values = [
        json!("gold"),
        json!("silver"),
        json!(5),
        json!(30),
        json!(2.5),
        json!(true),
        json!("Ab"),
        json!("vip"),
    ];
    let names = ["tier", "age", "tags", "city", "vip"];
    match dice.roll(6) {
        0 => {
            let op = dice.pick(&["=", "!=", "<", ">", "contains", "exists"]);
            let mut leaf = json!({"attribute": dice.pick(&names), "op": op});
            leaf["value"] = match op {
                "exists" => return leaf,
                "contains" => dice.pick(&[json!("go"), json!("vip"), json!("A"), json!("new")]),
                "<" | ">" => {
                    dice.pick(&[json!(5), json!(30), json!(2.5), json!("B"), json!("gold")])
                }
                _ => dice.pick(&values),
            };
            leaf
        }
        1 => {
            json!({"consent": dice.pick(&[json!("subscribed"), json!(["unknown", "unsubscribed"])])})
        }
        2 => json!({"country": dice.pick(&[json!("US"), json!(["FR", "AU"])])}),
        3 => {
            json!({"not_performed": dice.pick(&["Order Completed", "Cart Viewed"]), "within_days": dice.pick(&[1, 7, 60])})
        }
        _ => {
            let mut leaf = json!({"event": dice.pick(&["Order Completed", "Cart Viewed"])});
            if dice.roll(2) == 0 {
                leaf["within_days"] = json!(dice.pick(&[1, 7, 60]));
            }
            match dice.roll(3) {
                0 => leaf["at_least"] = json!(dice.pick(&[1, 2, 3])),
                1 => leaf["at_most"] = json!(dice.pick(&[0, 1, 2])),
                _ => {}
            }
            if dice.roll(2) == 0 {
                let op = dice.pick(&[">", "<", "=", "exists"]);
                let mut filter = json!({"property": dice.pick(&["total", "coupon"]), "op": op});
                if op != "exists" {
                    filter["value"] = dice.pick(&[json!(50), json!(10), json!("SAVE")]);
                }
                leaf["where"] = json!([filter]);
            }
            leaf
        }
    }
}

fn random_definition(dice: &mut Dice, depth: usize) -> Value {
    match (depth, dice.roll(5)) {
        (0, _) | (_, 0..2) => random_leaf(dice),
        (_, 2) => json!({"not": random_definition(dice, depth - 1)}),
        (_, n) => {
            let parts: Vec<Value> = (0..2 + dice.roll(2))
                .map(|_| random_definition(dice, depth - 1))
                .collect();
            if n == 3 {
                json!({"and": parts})
            } else {
                json!({"or": parts})
            }
        }
    }
}

pub async fn segments_agree_with_a_reference_evaluator_on_random_definitions(store: &dyn Store) {
    use super::reference::{SeenEvent, matches};
    let acme = account(store, 1, "acme").await;
    let mut dice = Dice(7);
    let phones = [
        Some("+14155550101"),
        Some("+33612345678"),
        Some("+61255501234"),
        None,
    ];
    let attribute_values = [
        json!("gold"),
        json!("silver"),
        json!(5),
        json!(30),
        json!(2.5),
        json!(true),
        json!("Ab"),
        json!("B"),
        json!(["vip", "new"]),
        json!(["new"]),
        json!("vip"),
        json!(null),
    ];
    let mut states = Vec::new();
    for i in 0..60 {
        let mut attributes = serde_json::Map::new();
        for name in ["tier", "age", "tags", "city", "vip"] {
            if dice.roll(3) > 0 {
                attributes.insert(name.into(), dice.pick(&attribute_values));
            }
        }
        let phone = phones[i % phones.len()].map(|p| format!("{}{}", &p[..p.len() - 2], 10 + i));
        let consent = dice.pick(&["subscribed", "unsubscribed", "unknown"]);
        states.push(state(
            &format!("r{i}"),
            phone.as_deref(),
            Value::Object(attributes),
            consent,
        ));
    }
    let writes: Vec<_> = states.iter().cloned().map(insert).collect();
    let ids = store.write_contacts(acme, &writes, at(0)).await.unwrap();
    let day = 86_400;
    let now = 100 * day;
    let mut seen: Vec<Vec<SeenEvent>> = (0..ids.len()).map(|_| Vec::new()).collect();
    let mut events = Vec::new();
    for n in 0..150 {
        let who = dice.roll(ids.len());
        let name = dice.pick(&["Order Completed", "Cart Viewed"]);
        let properties = dice.pick(&[
            json!({"total": 80}),
            json!({"total": 20, "coupon": "SAVE"}),
            json!({"total": "50"}),
            json!({}),
        ]);
        let t = now - dice.pick(&[0, 1, 3, 10, 30, 90]) as i64 * day - 60;
        events.push(event(
            ids[who],
            &format!("r{n}"),
            name,
            properties.clone(),
            t,
        ));
        seen[who].push(SeenEvent {
            name: name.into(),
            properties: properties.as_object().cloned().unwrap(),
            at: at(t),
        });
    }
    store.record_events(acme, &events, at(now)).await.unwrap();
    let stored: Vec<ContactState> = {
        let mut all = Vec::new();
        for id in &ids {
            all.push(store.contact(acme, *id).await.unwrap().state);
        }
        all
    };
    let mut telling = 0;
    for case in 0..150 {
        let definition = random_definition(&mut dice, 3);
        let condition = Condition::parse(&definition)
            .unwrap_or_else(|p| panic!("case {case}: {definition}: {p:?}"));
        let expected: Vec<ContactId> = ids
            .iter()
            .zip(&stored)
            .zip(&seen)
            .filter(|((_, contact), events)| matches(&condition, contact, events, at(now)))
            .map(|((id, _), _)| *id)
            .collect();
        telling += usize::from(!expected.is_empty() && expected.len() < ids.len());
        let members = store
            .matching_contacts(acme, &condition, at(now), None, 1000)
            .await
            .unwrap();
        assert_eq!(members, expected, "case {case}: {definition}");
        let count = store
            .count_matching(acme, &condition, at(now))
            .await
            .unwrap();
        assert_eq!(count, expected.len() as u64, "case {case}: {definition}");
    }
    assert!(
        telling >= 75,
        "only {telling} of 150 definitions split the contacts"
    );
}

pub async fn a_numbers_opt_out_outlives_its_contact(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    let phone = "+14155550101".to_owned();
    let [id] = store
        .write_contacts(
            acme,
            &[insert(state("u1", Some(&phone), json!({}), "subscribed"))],
            at(10),
        )
        .await
        .unwrap()[..]
    else {
        panic!("one id")
    };
    let phones = std::slice::from_ref(&phone);
    assert!(store.opted_out(acme, phones).await.unwrap().is_empty());
    let change = |consent: Consent, source: ConsentSource| async move {
        let current = store.contact(acme, id).await.unwrap();
        ContactWrite {
            state: ContactState {
                consent,
                ..current.state
            },
            revision: Some(current.revision),
            consent_source: Some(source),
            consent_proof: None,
        }
    };
    let stop = change(Consent::Unsubscribed, ConsentSource::Keyword).await;
    store.write_contacts(acme, &[stop], at(20)).await.unwrap();
    assert_eq!(
        store.opted_out(acme, phones).await.unwrap(),
        [(phone.clone(), at(20))]
    );
    assert!(store.opted_out(globex, phones).await.unwrap().is_empty());
    store.delete_contact(acme, id).await.unwrap();
    assert_eq!(
        store.opted_out(acme, phones).await.unwrap(),
        [(phone.clone(), at(20))],
        "the number stays opted out when its contact goes"
    );
    // The number's START (a new contact, subscribed by keyword) takes it off the list.
    let start = ContactWrite {
        consent_source: Some(ConsentSource::Keyword),
        ..insert(state("u2", Some(&phone), json!({}), "subscribed"))
    };
    store.write_contacts(acme, &[start], at(30)).await.unwrap();
    assert!(store.opted_out(acme, phones).await.unwrap().is_empty());
}
