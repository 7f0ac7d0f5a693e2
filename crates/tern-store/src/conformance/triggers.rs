//! Triggered campaigns: triggers found with the events and consent changes that fire them,
//! once per key, and settled once.

use chrono::Duration;
use serde_json::{Value, json};
use tern_domain::{
    campaign::{CampaignStatus, CampaignType, Channel, trigger::TriggerState},
    contact::ConsentSource,
    ids::{AccountId, CampaignId, ContactId},
};

use super::{
    account, at,
    audience::{insert, state},
    id,
    outbox::{contacts, message, plan},
};
use crate::{
    CampaignChange, CampaignRecord, ContactWrite, MessageState, NewEvent, Outcome, RunRecord,
    Store, TriggerOutcome, TriggerRecord, TriggerRule,
};

/// An active triggered campaign of `kind`, activated at `at(2)` with a delay of `delay`.
async fn active(
    store: &dyn Store,
    account: AccountId,
    n: u8,
    kind: CampaignType,
    delay: Duration,
) -> CampaignId {
    let campaign = CampaignRecord {
        id: id(n),
        account_id: account,
        name: format!("t{n}"),
        kind,
        channel: Channel::Sms,
        status: CampaignStatus::Draft,
        steps: json!({}).as_object().cloned().unwrap(),
        archived_at: None,
        created_by: "key".into(),
        updated_by: "key".into(),
        revision: 1,
        created_at: at(1),
        updated_at: at(1),
    };
    let change = |what: &str| CampaignChange {
        what: what.into(),
        by: "key".into(),
        at: at(2),
    };
    store
        .create_campaign(&campaign, &change("created"))
        .await
        .unwrap();
    let run = RunRecord {
        campaign_id: campaign.id,
        account_id: account,
        plan: plan(),
        send_at: at(2),
        cursor: None,
        materialised: true,
        started_at: at(2),
        snapshot: None,
    };
    let rule = TriggerRule {
        campaign_id: campaign.id,
        account_id: account,
        kind,
        delay,
        lateness: Duration::hours(24),
        activated_at: at(2),
        ends_at: None,
        version: 1,
    };
    let activated = CampaignRecord {
        status: CampaignStatus::Active,
        revision: 2,
        ..campaign
    };
    store
        .activate(
            &activated,
            &change("activated"),
            &run,
            &rule,
            &json!({"v": 1}),
        )
        .await
        .unwrap();
    activated.id
}

fn event(contact: ContactId, name: &str, properties: Value, t: i64) -> NewEvent {
    NewEvent {
        contact_id: Some(contact),
        anonymous_id: None,
        message_id: None,
        name: name.to_owned(),
        properties: properties.as_object().cloned().unwrap_or_default(),
        occurred_at: at(t),
    }
}

async fn of(
    store: &dyn Store,
    account: AccountId,
    campaign: CampaignId,
    contact: ContactId,
) -> Vec<TriggerRecord> {
    let all = store
        .campaign_triggers(account, campaign, 0, 100)
        .await
        .unwrap();
    all.into_iter()
        .filter(|t| t.contact_id == contact)
        .collect()
}

pub async fn triggers_are_found_with_what_fires_them_and_settled_once(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let ids = contacts(store, acme, 3).await;
    let shoe = json!({"product_id": "shoe", "price": 40});
    // Before any campaign is active, a cart finds nothing.
    store
        .record_events(
            acme,
            &[event(ids[2], "Product Added", shoe.clone(), 5)],
            at(6),
        )
        .await
        .unwrap();
    let carts = active(
        store,
        acme,
        10,
        CampaignType::CartReminder,
        Duration::minutes(15),
    )
    .await;
    assert!(of(store, acme, carts, ids[2]).await.is_empty());

    // A cart waits for its delay after the last activity; more activity moves it, not doubles it.
    let added = [event(ids[0], "Product Added", shoe.clone(), 10)];
    store.record_events(acme, &added, at(11)).await.unwrap();
    let moved = [event(
        ids[0],
        "Cart Viewed",
        json!({"products": [shoe]}),
        20,
    )];
    store.record_events(acme, &moved, at(21)).await.unwrap();
    let found = of(store, acme, carts, ids[0]).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let trigger = found[0].clone();
    assert_eq!(
        (trigger.state, trigger.cause.as_str(), trigger.version),
        (TriggerState::Waiting, "cart", 1)
    );
    assert_eq!(
        (trigger.started_at, trigger.due_at),
        (at(10), at(20) + Duration::minutes(15))
    );
    assert!(
        store
            .due_triggers(trigger.due_at - Duration::seconds(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.due_triggers(trigger.due_at, 10).await.unwrap(),
        vec![trigger.clone()]
    );
    assert!(!store.ordered_since(acme, ids[0], at(10)).await.unwrap());

    // Settled once: the second settlement (another node) changes nothing.
    let mut reminder = message(ids[0], "+14155550100", 5);
    reminder.trigger_key = trigger.key.clone();
    reminder.expires_at = Some(trigger.due_at + Duration::hours(24));
    reminder.due_at = trigger.due_at;
    reminder.media.clear();
    let send = TriggerOutcome::Send {
        message: Box::new(reminder),
        period_days: Some(7),
    };
    assert!(
        store
            .settle_trigger(&trigger, &send, trigger.due_at)
            .await
            .unwrap()
    );
    assert!(
        !store
            .settle_trigger(&trigger, &send, trigger.due_at)
            .await
            .unwrap()
    );
    let messages = store.messages(acme, carts, false, 0, 10).await.unwrap();
    assert_eq!(messages.len(), 1);
    let settled = &of(store, acme, carts, ids[0]).await[0];
    assert_eq!(
        (settled.state, settled.message_id),
        (TriggerState::Sent, Some(messages[0].id))
    );
    // The claim carries its expiry, for the provider's validity period.
    let claimed = store
        .claim(trigger.due_at, trigger.due_at + Duration::seconds(30), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        claimed[0].expires_at,
        Some(trigger.due_at + Duration::hours(24))
    );
    // The shopper orders while the reminder is with a dispatcher, which then puts it back (a
    // retry): claimed again, it is skipped, never sent after the order, and its trigger says so.
    let order = [event(ids[0], "Order Completed", json!({}), 25)];
    store.record_events(acme, &order, at(26)).await.unwrap();
    let retry = Outcome::Requeue {
        id: claimed[0].id,
        attempts: claimed[0].attempts,
        due_at: trigger.due_at,
        error: None,
    };
    store.record(&[retry], trigger.due_at).await.unwrap();
    let again = trigger.due_at + Duration::seconds(5);
    let reclaimed = store
        .claim(again, again + Duration::seconds(30), 10)
        .await
        .unwrap();
    assert!(reclaimed.is_empty(), "{reclaimed:?}");
    let skipped = &store.messages(acme, carts, false, 0, 10).await.unwrap()[0];
    assert_eq!(
        (skipped.state, skipped.reason.as_deref()),
        (MessageState::Skipped, Some("ordered"))
    );
    let trigger_now = &of(store, acme, carts, ids[0]).await[0];
    assert_eq!(
        (trigger_now.state, trigger_now.reason.as_deref()),
        (TriggerState::Cancelled, Some("ordered"))
    );

    // An order cancels what waits for a cart begun before it (in one call, the cart never
    // waited at all).
    let hat = json!({"product_id": "hat", "price": 9});
    let added = [event(ids[1], "Product Added", hat, 30)];
    store.record_events(acme, &added, at(32)).await.unwrap();
    assert_eq!(
        of(store, acme, carts, ids[1]).await[0].state,
        TriggerState::Waiting
    );
    let order = [event(ids[1], "Order Completed", json!({}), 31)];
    store.record_events(acme, &order, at(33)).await.unwrap();
    let ordered = &of(store, acme, carts, ids[1]).await[0];
    assert_eq!(
        (ordered.state, ordered.reason.as_deref()),
        (TriggerState::Cancelled, Some("ordered"))
    );
    assert!(store.ordered_since(acme, ids[1], at(30)).await.unwrap());

    // Cancelling the campaign cancels what waits; the rule goes.
    store
        .record_events(
            acme,
            &[event(
                ids[2],
                "Cart Viewed",
                json!({"products": [{"product_id": "x", "price": 1}]}),
                40,
            )],
            at(41),
        )
        .await
        .unwrap();
    let change = CampaignChange {
        what: "cancelled".into(),
        by: "key".into(),
        at: at(42),
    };
    store
        .set_run_status(
            acme,
            carts,
            &[CampaignStatus::Active],
            CampaignStatus::Cancelled,
            &change,
        )
        .await
        .unwrap();
    let late = &of(store, acme, carts, ids[2]).await[0];
    assert_eq!(late.reason.as_deref(), Some("campaign_cancelled"));
    let counts = store.trigger_counts(acme, carts).await.unwrap();
    assert_eq!(counts.iter().map(|c| c.count).sum::<u64>(), 3);
    assert!(store.trigger_rule(acme, carts).await.is_err());

    // Another account sees none of it.
    let globex = account(store, 2, "globex").await;
    assert!(
        store
            .campaign_triggers(globex, carts, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .trigger_counts(globex, carts)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_subscription_is_welcomed_once_and_an_import_never(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let welcome = active(store, acme, 11, CampaignType::Welcome, Duration::zero()).await;
    let write = |external: &str, phone: &str, consent: &str, source| ContactWrite {
        state: state(external, Some(phone), json!({}), consent),
        revision: None,
        consent_source: Some(source),
        consent_proof: None,
    };
    let ids = store
        .write_contacts(
            acme,
            &[
                write("api", "+14155550100", "subscribed", ConsentSource::Api),
                insert(state(
                    "imported",
                    Some("+14155550101"),
                    json!({}),
                    "subscribed",
                )),
            ],
            at(10),
        )
        .await
        .unwrap();
    let found = store.campaign_triggers(acme, welcome, 0, 10).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].contact_id, found[0].key.as_str(), found[0].due_at),
        (ids[0], "welcome", at(10))
    );
    // Out and in again: still one welcome, ever.
    let mut again = write("api", "+14155550100", "subscribed", ConsentSource::Keyword);
    again.state.id = Some(ids[0]);
    let current = store.contact(acme, ids[0]).await.unwrap();
    again.revision = Some(current.revision);
    store.write_contacts(acme, &[again], at(20)).await.unwrap();
    assert_eq!(
        store
            .campaign_triggers(acme, welcome, 0, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let versions = store.version_snapshot(welcome, 1).await.unwrap();
    assert_eq!(versions, json!({"v": 1}));
}
