//! Stories of the outbox: a run written batch by batch, claims that respect rate windows, quiet
//! hours and the cap, outcomes settled only by the attempt that claimed, forward-only statuses,
//! and what pause, cancel and erasure do.

use chrono::Duration;
use serde_json::json;
use tern_domain::{
    account::{FrequencyCap, QuietHours},
    campaign::{CampaignStatus, CampaignType, Channel},
    delivery::{outcome::ProviderStatus, pacing::RunPlan},
    ids::{AccountId, ContactId},
};

use super::{
    account, at,
    audience::{insert, state},
    id,
};
use crate::{
    CampaignChange, CampaignRecord, MessageState, NewHit, NewMessage, Outcome, RunRecord,
    StatusUpdate, Store, StoreError,
};

pub(super) fn plan() -> RunPlan {
    RunPlan {
        throttle: None,
        // Always open: the stories below choose their hours.
        quiet_hours: QuietHours {
            allowed_from: "00:00".parse().unwrap(),
            allowed_until: "23:59".parse().unwrap(),
        },
        frequency_cap: None,
    }
}

pub(super) fn capped_plan(cap: FrequencyCap) -> RunPlan {
    RunPlan {
        frequency_cap: Some(cap),
        ..plan()
    }
}

pub(super) fn message(contact: ContactId, to: &str, rate: u32) -> NewMessage {
    NewMessage {
        contact_id: Some(contact),
        to: to.into(),
        sender: "+15005550006".into(),
        sender_rate: rate,
        body: format!("Hi {to} https://t.example/l/{}", contact.0),
        media: vec!["https://t.example/m/a".into()],
        units: 1,
        timezone: Some("America/New_York".into()),
        due_at: at(100),
        skipped: None,
        links: vec![(
            format!("code{}", contact.0),
            "https://shop.example/sale".into(),
        )],
        trigger_key: String::new(),
        expires_at: None,
    }
}

/// A running campaign of the account (which may send pictures), launched at `at(2)`.
pub(super) async fn launched(
    store: &dyn Store,
    account: AccountId,
    n: u8,
    plan: RunPlan,
) -> RunRecord {
    store.set_mms_enabled(account, true).await.unwrap();
    let campaign = CampaignRecord {
        id: id(n),
        account_id: account,
        name: format!("c{n}"),
        kind: CampaignType::Single,
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
        plan,
        send_at: at(100),
        cursor: None,
        materialised: false,
        started_at: at(2),
        snapshot: Some(json!({"kept": "as launched"})),
    };
    let running = CampaignRecord {
        status: CampaignStatus::Running,
        revision: 2,
        ..campaign
    };
    store
        .start_run(&running, &change("launched"), &run)
        .await
        .unwrap();
    run
}

pub(super) async fn contacts(store: &dyn Store, account: AccountId, n: usize) -> Vec<ContactId> {
    let writes: Vec<_> = (0..n)
        .map(|i| {
            insert(state(
                &format!("r{i}"),
                Some(&format!("+1415555{:04}", 100 + i)),
                json!({}),
                "subscribed",
            ))
        })
        .collect();
    store.write_contacts(account, &writes, at(5)).await.unwrap()
}

pub async fn the_outbox_is_written_once_and_claimed_within_the_rate(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let ids = contacts(store, acme, 4).await;
    let run = launched(store, acme, 10, plan()).await;
    assert_eq!(store.open_runs().await.unwrap(), vec![run.clone()]);

    // First batch: two queued, one skipped.
    let mut skipped = message(ids[2], "+14155550102", 2);
    skipped.skipped = Some("no_consent".into());
    skipped.links.clear();
    let first = [
        message(ids[0], "+14155550100", 2),
        message(ids[1], "+14155550101", 2),
        skipped,
    ];
    store
        .add_messages(&run, &first, Some(ids[2]), false)
        .await
        .unwrap();
    // A node that read the run before that batch cannot write its batch again.
    let stale = store.add_messages(&run, &first, Some(ids[2]), false).await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    let run = store.run(acme, run.campaign_id).await.unwrap();
    assert_eq!(run.cursor, Some(ids[2]));
    // Figures count what is written so far, and say the audience is not all written yet.
    let partial = store
        .campaign_counts(acme, &[run.campaign_id], false)
        .await
        .unwrap();
    assert!(partial.written.is_empty(), "{partial:?}");
    assert_eq!(partial.messages.iter().map(|m| m.count).sum::<u64>(), 3);
    // The last batch repeats a recipient (as after a crash): it keeps its one message.
    store
        .add_messages(
            &run,
            &[
                message(ids[1], "+14155550101", 2),
                message(ids[3], "+14155550103", 2),
            ],
            Some(ids[3]),
            true,
        )
        .await
        .unwrap();
    assert!(store.open_runs().await.unwrap().is_empty());
    let all = store
        .messages(acme, run.campaign_id, false, 0, 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 4);

    // Nothing is due before the send time; then the sender's 2 per second hold.
    let lease = |t: i64| at(t) + Duration::seconds(30);
    assert!(store.claim(at(99), lease(99), 10).await.unwrap().is_empty());
    let claimed = store.claim(at(100), lease(100), 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(claimed[0].to, "+14155550100");
    assert_eq!(claimed[0].media, vec!["https://t.example/m/a".to_string()]);
    assert!(
        store
            .claim(at(100), lease(100), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let next_second = store.claim(at(101), lease(101), 10).await.unwrap();
    assert_eq!(next_second.len(), 1);

    // Outcomes: sent, retried, and one that a later attempt no longer owns.
    store
        .record(
            &[
                Outcome::Sent {
                    id: claimed[0].id,
                    attempts: 1,
                    sid: "SM0".into(),
                    status: ProviderStatus::Queued,
                },
                Outcome::Requeue {
                    id: claimed[1].id,
                    attempts: 1,
                    due_at: at(105),
                    error: Some("connection refused".into()),
                },
                Outcome::Sent {
                    id: next_second[0].id,
                    attempts: 7,
                    sid: "SM-stale".into(),
                    status: ProviderStatus::Queued,
                },
            ],
            at(101),
        )
        .await
        .unwrap();
    let retry = store.claim(at(105), lease(105), 10).await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!((retry[0].id, retry[0].attempts), (claimed[1].id, 2));

    // The stale outcome changed nothing: when the lease ends, the message is taken over for
    // reconciliation, once.
    assert!(
        store
            .expired(at(120), lease(120), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let lost = store.expired(at(132), lease(132), 10).await.unwrap();
    assert_eq!(
        lost.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![next_second[0].id]
    );
    assert!(
        store
            .expired(at(133), lease(133), 10)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .record(
            &[
                Outcome::Failed {
                    id: retry[0].id,
                    attempts: 2,
                    reason: "invalid_number".into(),
                    code: Some(21211),
                    message: "the phone number is not valid".into(),
                },
                Outcome::Sent {
                    id: lost[0].id,
                    attempts: 1,
                    sid: "SM3".into(),
                    status: ProviderStatus::Sent,
                },
            ],
            at(141),
        )
        .await
        .unwrap();

    // Statuses only move forward; one that comes before its send is kept for it.
    let status = |sid: &str, s| StatusUpdate {
        sid: sid.into(),
        status: s,
        error_code: None,
        error_message: None,
    };
    store
        .apply_status(acme, &status("SM0", ProviderStatus::Delivered), at(150))
        .await
        .unwrap();
    store
        .apply_status(acme, &status("SM0", ProviderStatus::Sent), at(151))
        .await
        .unwrap();
    let globex = account(store, 2, "globex").await;
    assert!(matches!(
        store
            .apply_status(globex, &status("SM0", ProviderStatus::Failed), at(151))
            .await,
        Err(StoreError::NotFound)
    ));
    let undelivered = StatusUpdate {
        error_code: Some(30003),
        error_message: Some("the phone is off or out of reach".into()),
        ..status("SM3", ProviderStatus::Undelivered)
    };
    store
        .apply_status(acme, &undelivered, at(152))
        .await
        .unwrap();
    let all = store
        .messages(acme, run.campaign_id, false, 0, 100)
        .await
        .unwrap();
    let by_to = |to: &str| all.iter().find(|m| m.to == to).unwrap().clone();
    let first = by_to("+14155550100");
    assert_eq!(first.state, MessageState::Sent);
    assert_eq!(first.provider_status, Some(ProviderStatus::Delivered));
    let failed = by_to("+14155550101");
    assert_eq!(failed.state, MessageState::Failed);
    assert_eq!(failed.reason.as_deref(), Some("invalid_number"));
    assert_eq!(failed.error_code, Some(21211));
    assert_eq!(by_to("+14155550102").reason.as_deref(), Some("no_consent"));

    // Counts by state, status, reason and error code; nothing left, so the campaign completes.
    let campaign_id = run.campaign_id;
    let counted = |by_reason| async move {
        let counts = store
            .campaign_counts(acme, &[campaign_id], by_reason)
            .await
            .unwrap();
        assert_eq!(counts.written, vec![campaign_id]);
        let mut rows: Vec<_> = counts
            .messages
            .iter()
            .map(|m| {
                let reason = m.reason.clone();
                (m.state, m.provider_status, reason, m.error_code, m.count)
            })
            .collect();
        rows.sort_by_key(|row| format!("{row:?}"));
        rows
    };
    let reason = |r: &str| Some(r.to_owned());
    use {MessageState as M, ProviderStatus as P};
    assert_eq!(
        counted(true).await,
        vec![
            (M::Failed, None, reason("invalid_number"), Some(21211), 1),
            (M::Sent, Some(P::Delivered), None, None, 1),
            (M::Sent, Some(P::Undelivered), None, Some(30003), 1),
            (M::Skipped, None, reason("no_consent"), None, 1),
        ]
    );
    // Without reasons (the listing), the same counts.
    assert_eq!(
        counted(false).await,
        vec![
            (M::Failed, None, None, None, 1),
            (M::Sent, Some(P::Delivered), None, None, 1),
            (M::Sent, Some(P::Undelivered), None, None, 1),
            (M::Skipped, None, None, None, 1),
        ]
    );
    assert_eq!(
        store
            .campaign_counts(globex, &[run.campaign_id], true)
            .await
            .unwrap(),
        Default::default()
    );
    assert_eq!(
        store.advance_runs(at(150)).await.unwrap(),
        vec![run.campaign_id]
    );
    let campaign = store.campaign(acme, run.campaign_id).await.unwrap();
    assert_eq!(campaign.status, CampaignStatus::Completed);
    // The contacts of a batch, by id, in their account only.
    let found = store.contacts_by_ids(acme, &ids[..2]).await.unwrap();
    assert_eq!(
        found.iter().map(|c| c.id).collect::<Vec<_>>(),
        ids[..2].to_vec()
    );
    assert!(
        store
            .contacts_by_ids(globex, &ids)
            .await
            .unwrap()
            .is_empty()
    );

    // A contact's messages across campaigns, newest first, with the campaign's name and what
    // the timestamps prove; test messages and other accounts' contacts stay out.
    let other = launched(store, acme, 11, plan()).await;
    let mut later = message(ids[1], "+14155550101", 2);
    later.skipped = Some("frequency_cap".into());
    later.links.clear();
    store
        .add_messages(&other, &[later], Some(ids[1]), true)
        .await
        .unwrap();
    let drafted = launched(store, acme, 12, plan()).await;
    let mut test = message(ids[1], "+14155550101", 2);
    test.links.clear();
    store
        .add_test_messages(acme, drafted.campaign_id, &[test], 20)
        .await
        .unwrap();
    let of_failed = store.contact_messages(acme, ids[1], 100).await.unwrap();
    assert_eq!(
        of_failed
            .iter()
            .map(|m| (m.campaign_name.as_str(), m.message.state))
            .collect::<Vec<_>>(),
        vec![
            ("c11", MessageState::Skipped),
            ("c10", MessageState::Failed)
        ],
        "{of_failed:?}"
    );
    assert!(of_failed.iter().all(|m| !m.message.test));
    let failed = &of_failed[1].message;
    assert_eq!(failed.reason.as_deref(), Some("invalid_number"));
    assert_eq!(failed.error_code, Some(21211));
    assert_eq!(failed.claimed_at, Some(at(105)));
    assert_eq!((failed.sent_at, failed.updated_at), (None, at(141)));
    let of_sent = store.contact_messages(acme, ids[0], 100).await.unwrap();
    assert_eq!(of_sent.len(), 1);
    let sent = &of_sent[0].message;
    assert_eq!(sent.provider_status, Some(ProviderStatus::Delivered));
    assert_eq!(
        (sent.claimed_at, sent.sent_at, sent.updated_at),
        (Some(at(100)), Some(at(101)), at(150))
    );
    assert_eq!(
        store.contact_messages(acme, ids[1], 1).await.unwrap().len(),
        1
    );
    assert!(
        store
            .contact_messages(globex, ids[1], 100)
            .await
            .unwrap()
            .is_empty()
    );

    // Tracked links lead to their address; hits are recorded with their facts, per account,
    // and a hit on a code that names no link is dropped.
    let code = format!("code{}", ids[0].0);
    assert_eq!(
        store.link_target(&code).await.unwrap(),
        "https://shop.example/sale"
    );
    let hit = |code: &str, head: bool| NewHit {
        code: code.to_owned(),
        at: at(160),
        head,
        user_agent: Some("Mozilla/5.0".into()),
        accept_language: !head,
        address: Some("203.0.113.7".into()),
    };
    store
        .record_hits(&[hit(&code, false), hit(&code, true), hit("nope", false)])
        .await
        .unwrap();
    let hits = store.campaign_hits(acme, run.campaign_id).await.unwrap();
    assert_eq!(hits.len(), 2);
    assert!(
        hits.iter()
            .all(|h| h.at == at(160) && h.message_id.is_some())
    );
    assert_eq!(
        hits.iter().filter(|h| h.head && !h.accept_language).count(),
        1
    );
    assert!(
        store
            .campaign_hits(globex, run.campaign_id)
            .await
            .unwrap()
            .is_empty()
    );
    let message = hits[0].message_id.unwrap();
    assert_eq!(store.message_hits(acme, &[message]).await.unwrap().len(), 2);
    assert!(
        store
            .message_hits(globex, &[message])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.link_target("nope").await,
        Err(StoreError::NotFound)
    ));

    // Erasing a contact erases their messages and links.
    store.delete_contact(acme, ids[0]).await.unwrap();
    let left = store
        .messages(acme, run.campaign_id, false, 0, 100)
        .await
        .unwrap();
    assert!(left.iter().all(|m| m.contact_id != Some(ids[0])));
    assert!(matches!(
        store.link_target(&code).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .campaign_hits(acme, run.campaign_id)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn paused_and_quiet_campaigns_wait_and_cancelled_ones_stop(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let ids = contacts(store, acme, 3).await;
    // 09:00 to 17:00 in the recipients' zone (New York), at most one message a week.
    let quiet = RunPlan {
        throttle: Some(100),
        quiet_hours: QuietHours {
            allowed_from: "09:00".parse().unwrap(),
            allowed_until: "17:00".parse().unwrap(),
        },
        frequency_cap: Some(FrequencyCap {
            messages: 1,
            days: 7,
        }),
    };
    let run = launched(store, acme, 10, quiet).await;
    let messages: Vec<_> = ids
        .iter()
        .map(|c| message(*c, &format!("+1415555{}", c.0), 50))
        .collect();
    store
        .add_messages(&run, &messages, ids.last().copied(), true)
        .await
        .unwrap();
    let change = |what: &str| CampaignChange {
        what: what.into(),
        by: "key".into(),
        at: at(3),
    };

    // Paused: nothing is claimed; resumed: the claim goes on.
    store
        .set_run_status(
            acme,
            run.campaign_id,
            &[CampaignStatus::Running],
            CampaignStatus::Paused,
            &change("paused"),
        )
        .await
        .unwrap();
    let noon_ny = "2026-06-01T16:00:00Z".parse().unwrap();
    let lease = noon_ny + Duration::seconds(30);
    assert!(store.claim(noon_ny, lease, 10).await.unwrap().is_empty());
    let again = store
        .set_run_status(
            acme,
            run.campaign_id,
            &[CampaignStatus::Running],
            CampaignStatus::Paused,
            &change("paused"),
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })));
    store
        .set_run_status(
            acme,
            run.campaign_id,
            &[CampaignStatus::Paused],
            CampaignStatus::Running,
            &change("resumed"),
        )
        .await
        .unwrap();

    // At 02:00 in New York the messages are deferred to 09:00 there.
    let night_ny: chrono::DateTime<chrono::Utc> = "2026-06-01T06:00:00Z".parse().unwrap();
    assert!(
        store
            .claim(night_ny, night_ny + Duration::seconds(30), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let deferred = store
        .messages(acme, run.campaign_id, false, 0, 10)
        .await
        .unwrap();
    let nine_ny: chrono::DateTime<chrono::Utc> = "2026-06-01T13:00:00Z".parse().unwrap();
    assert!(deferred.iter().all(|m| m.due_at == nine_ny), "{deferred:?}");

    // One contact already had a message this week (another campaign): capped.
    let other = launched(store, acme, 11, plan()).await;
    let mut earlier = message(ids[0], "+14155550999", 50);
    earlier.links.clear();
    store
        .add_messages(&other, &[earlier], Some(ids[0]), true)
        .await
        .unwrap();
    let first = store.claim(nine_ny, lease, 1).await.unwrap();
    store
        .record(
            &[Outcome::Sent {
                id: first[0].id,
                attempts: 1,
                sid: "SMother".into(),
                status: ProviderStatus::Queued,
            }],
            nine_ny,
        )
        .await
        .unwrap();
    let claimed = store.claim(nine_ny, lease, 2).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].contact_id, Some(ids[1]));
    let capped = store
        .messages(acme, run.campaign_id, false, 0, 10)
        .await
        .unwrap();
    let first_contact = capped
        .iter()
        .find(|m| m.contact_id == Some(ids[0]))
        .unwrap();
    assert_eq!(first_contact.state, MessageState::Skipped);
    assert_eq!(first_contact.reason.as_deref(), Some("frequency_cap"));

    // Cancelled: the queued message is cancelled, the one in flight is left to settle.
    store
        .set_run_status(
            acme,
            run.campaign_id,
            &[CampaignStatus::Running, CampaignStatus::Paused],
            CampaignStatus::Cancelled,
            &change("cancelled"),
        )
        .await
        .unwrap();
    let after = store
        .messages(acme, run.campaign_id, false, 0, 10)
        .await
        .unwrap();
    let state_of = |c: ContactId| {
        after
            .iter()
            .find(|m| m.contact_id == Some(c))
            .unwrap()
            .state
    };
    assert_eq!(state_of(ids[1]), MessageState::Sending);
    assert_eq!(state_of(ids[2]), MessageState::Cancelled);
}

pub async fn the_frequency_cap_counts_messages_in_flight_and_in_the_same_claim(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let ids = contacts(store, acme, 2).await;
    let capped = RunPlan {
        frequency_cap: Some(FrequencyCap {
            messages: 1,
            days: 1,
        }),
        ..plan()
    };
    let mut runs = Vec::new();
    for n in [10, 11, 12] {
        let run = launched(store, acme, n, capped).await;
        let mut messages = vec![message(ids[0], "+14155550100", 100)];
        if n != 10 {
            messages.push(message(ids[1], "+14155550101", 100));
        }
        for m in &mut messages {
            m.links.clear();
        }
        store
            .add_messages(&run, &messages, Some(ids[1]), true)
            .await
            .unwrap();
        runs.push(run);
    }
    let lease = at(200) + Duration::seconds(30);
    // The first campaign's message is in flight (claimed, no answer yet)...
    let first = store.claim(at(200), lease, 1).await.unwrap();
    assert_eq!(first.len(), 1);
    // ...so the others' messages to that contact are capped; of the two to the other contact
    // in one claim, one goes.
    let rest = store.claim(at(200), lease, 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|c| c.contact_id).collect::<Vec<_>>(),
        vec![Some(ids[1])]
    );
    let mut reasons = Vec::new();
    for run in &runs[1..] {
        for m in store
            .messages(acme, run.campaign_id, false, 0, 10)
            .await
            .unwrap()
        {
            reasons.push((m.contact_id, m.state, m.reason));
        }
    }
    let skipped = |c: ContactId| {
        reasons
            .iter()
            .filter(|(id, state, reason)| {
                *id == Some(c)
                    && *state == MessageState::Skipped
                    && reason.as_deref() == Some("frequency_cap")
            })
            .count()
    };
    assert_eq!(skipped(ids[0]), 2, "{reasons:?}");
    assert_eq!(skipped(ids[1]), 1, "{reasons:?}");
}
