//! The report's raw facts: touches, goal events within a window, status history, recipients
//! by filter, the chart's buckets and what was billed, per account.

use chrono::Duration;
use serde_json::json;
use tern_domain::{delivery::outcome::ProviderStatus, ids::ContactId};

use super::{
    account, at,
    outbox::{contacts, launched, message, plan},
};
use crate::{
    HOLDOUT, MessageState, NewEvent, NewHit, Outcome, RecipientsQuery, StatusUpdate, Store,
};

fn order(contact: ContactId, n: i64, seconds: i64) -> NewEvent {
    NewEvent {
        contact_id: Some(contact),
        anonymous_id: None,
        message_id: Some(format!("order-{n}")),
        name: "Order Completed".into(),
        properties: json!({"total": n}).as_object().cloned().unwrap(),
        occurred_at: at(seconds),
    }
}

pub async fn a_reports_facts_are_its_own_touches_events_statuses_and_buckets(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    let ids = contacts(store, acme, 3).await;
    let run = launched(store, acme, 30, plan()).await;
    // ids[0] and ids[1] are sent; ids[2] is held out (its touch: when it would have been sent).
    let mut held = message(ids[2], "+14155550102", 100);
    held.skipped = Some(HOLDOUT.into());
    held.links.clear();
    store
        .add_messages(
            &run,
            &[
                message(ids[0], "+14155550100", 100),
                message(ids[1], "+14155550101", 100),
                held,
            ],
            Some(ids[2]),
            true,
        )
        .await
        .unwrap();
    let claimed = store
        .claim(at(100), at(100) + Duration::seconds(30), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    let sent: Vec<Outcome> = claimed
        .iter()
        .enumerate()
        .map(|(i, c)| Outcome::Sent {
            id: c.id,
            attempts: 1,
            sid: format!("SMr{i}"),
            status: ProviderStatus::Queued,
        })
        .collect();
    store.record(&sent, at(101)).await.unwrap();
    // ids[0]'s message is delivered at 160 (a later report of `sent` changes nothing of it).
    for (status, seconds) in [
        (ProviderStatus::Delivered, 160),
        (ProviderStatus::Sent, 170),
    ] {
        let update = StatusUpdate {
            sid: "SMr0".into(),
            status,
            error_code: None,
            error_message: None,
        };
        store
            .apply_status(acme, &update, at(seconds))
            .await
            .unwrap();
    }

    // Orders: before any touch, within an hour of each, and long after.
    store
        .record_events(
            acme,
            &[
                order(ids[0], 1, 50),
                order(ids[0], 2, 1000),
                order(ids[1], 3, 2000),
                order(ids[2], 4, 500),
                order(ids[1], 5, 100_000),
            ],
            at(100_001),
        )
        .await
        .unwrap();
    let hour = Duration::hours(1);
    let events = store
        .goal_events(acme, run.campaign_id, "Order Completed", hour)
        .await
        .unwrap();
    let totals: Vec<i64> = events
        .iter()
        .map(|e| e.properties["total"].as_i64().unwrap())
        .collect();
    assert_eq!(
        totals,
        [4, 2, 3],
        "by time: the held out's, then the sent ones'"
    );
    assert!(
        store
            .goal_events(acme, run.campaign_id, "Other", hour)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .goal_events(globex, run.campaign_id, "Order Completed", hour)
            .await
            .unwrap()
            .is_empty()
    );

    // Touches: delivered, else sent, else due; across the account's campaigns only.
    let touches = store
        .contact_touches(acme, &ids, at(0), at(200))
        .await
        .unwrap();
    let mut found: Vec<(ContactId, i64, bool)> = touches
        .iter()
        .map(|t| {
            (
                t.contact_id,
                t.at.timestamp() - at(0).timestamp(),
                t.holdout,
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (ids[0], 160, false),
            (ids[1], 101, false),
            (ids[2], 100, true)
        ]
    );
    assert!(
        store
            .contact_touches(globex, &ids, at(0), at(200))
            .await
            .unwrap()
            .is_empty()
    );

    // The history keeps each reported status once, in order.
    let first = claimed.iter().find(|c| c.to == "+14155550100").unwrap().id;
    let history = store.message_statuses(acme, &[first]).await.unwrap();
    let statuses: Vec<_> = history.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        [
            ProviderStatus::Queued,
            ProviderStatus::Delivered,
            ProviderStatus::Sent
        ]
    );
    assert!(
        store
            .message_statuses(globex, &[first])
            .await
            .unwrap()
            .is_empty()
    );

    // Recipients by state, reason, ids and page.
    let all = RecipientsQuery {
        limit: 10,
        ..RecipientsQuery::default()
    };
    let rows = store.recipients(acme, run.campaign_id, &all).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].delivered_at, Some(at(160)));
    let skipped = RecipientsQuery {
        state: Some(MessageState::Skipped),
        reason: Some(HOLDOUT.into()),
        ..all.clone()
    };
    let rows = store
        .recipients(acme, run.campaign_id, &skipped)
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|r| r.contact_id).collect::<Vec<_>>(),
        [Some(ids[2])]
    );
    let page = RecipientsQuery {
        after: Some(first),
        limit: 1,
        only: Some(vec![first, first + 1, first + 2]),
        ..RecipientsQuery::default()
    };
    assert_eq!(
        store
            .recipients(acme, run.campaign_id, &page)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .recipients(globex, run.campaign_id, &all)
            .await
            .unwrap()
            .is_empty()
    );

    // The chart's buckets, what was billed, the hits on the account's links.
    let buckets = store
        .timeline(acme, run.campaign_id, at(100), Duration::seconds(60))
        .await
        .unwrap();
    assert_eq!(buckets, [(0, 2, 0), (1, 0, 1)]);
    let totals = store.report_totals(acme, run.campaign_id).await.unwrap();
    assert_eq!(totals.first_sent, Some(at(101)));
    assert_eq!(totals.last_touch, Some(at(160)));
    assert_eq!(totals.billed.len(), 1);
    assert_eq!(
        (totals.billed[0].mms, totals.billed[0].units),
        (true, 2),
        "one unit per picture message"
    );
    let hit = NewHit {
        code: format!("code{}", ids[0].0),
        at: at(200),
        head: false,
        user_agent: None,
        accept_language: true,
        address: None,
    };
    store.record_hits(std::slice::from_ref(&hit)).await.unwrap();
    let hits = store.message_hits(acme, &[first]).await.unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].delivered_at, Some(at(160)));
    // Around a hit: the account's hits from its address within the span, whatever the link.
    let second = NewHit {
        code: format!("code{}", ids[1].0),
        at: at(205),
        address: Some("192.0.2.1".into()),
        ..hit.clone()
    };
    let far = NewHit {
        at: at(300),
        ..second.clone()
    };
    store.record_hits(&[second, far]).await.unwrap();
    let mine = NewHit {
        address: Some("192.0.2.1".into()),
        ..hit
    };
    store.record_hits(&[mine]).await.unwrap();
    let probe = store
        .message_hits(acme, &[first])
        .await
        .unwrap()
        .into_iter()
        .filter(|h| h.address.is_some())
        .collect::<Vec<_>>();
    let near = store
        .hits_near(acme, &probe, Duration::seconds(10))
        .await
        .unwrap();
    let mut times: Vec<i64> = near
        .iter()
        .map(|h| h.at.timestamp() - at(0).timestamp())
        .collect();
    times.sort_unstable();
    assert_eq!(times, [200, 205]);
    assert!(
        store
            .hits_near(globex, &probe, Duration::seconds(10))
            .await
            .unwrap()
            .is_empty()
    );
    // A touch sent before `since` is still found when it was clicked since (its window starts
    // at the click); one neither sent nor clicked since is not.
    let clicked = store
        .contact_touches(acme, &ids, at(150), at(400))
        .await
        .unwrap();
    let mut found: Vec<ContactId> = clicked.iter().map(|t| t.contact_id).collect();
    found.sort();
    assert_eq!(found, [ids[0], ids[1]]);
}
