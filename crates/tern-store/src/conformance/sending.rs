//! Stories of sending under real conditions: a slow sender holds nobody else up, consent and
//! the MMS switch are asked when a message is claimed, a cancel stops what is still being
//! written or retried, a provider that keeps failing pauses its account's claims for a while,
//! lookups that fail back off, and a status that arrives before its send is kept for it.

use chrono::Duration;
use tern_domain::{
    contact::{Consent, ConsentSource},
    delivery::outcome::ProviderStatus,
};

use super::{
    account, at,
    outbox::{contacts, launched, message, plan},
};
use crate::{
    BREAKER_FAILURES, CampaignChange, ContactWrite, MessageState, Outcome, ProviderAnswers,
    StatusUpdate, Store, StoreError,
};
use tern_domain::campaign::CampaignStatus;

fn lease(t: i64) -> chrono::DateTime<chrono::Utc> {
    at(t) + Duration::seconds(30)
}

pub async fn a_slow_sender_holds_up_no_other_sender_campaign_account_or_test(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    // Acme's big campaign on a sender of one segment a second, due first.
    let slow_run = launched(store, acme, 10, plan()).await;
    let acme_ids = contacts(store, acme, 40).await;
    let slow: Vec<_> = acme_ids
        .iter()
        .map(|c| {
            let mut m = message(*c, &format!("+1415666{:04}", c.0), 1);
            m.sender = "+18005550100".into();
            m.links.clear();
            m
        })
        .collect();
    store
        .add_messages(&slow_run, &slow, acme_ids.last().copied(), true)
        .await
        .unwrap();
    // Globex's small campaign on a fast sender, due a second later.
    let fast_run = launched(store, globex, 11, plan()).await;
    let globex_ids = contacts(store, globex, 5).await;
    let fast: Vec<_> = globex_ids
        .iter()
        .map(|c| {
            let mut m = message(*c, &format!("+1415777{:04}", c.0), 50);
            m.sender = "+14155550200".into();
            m.due_at = at(101);
            m.links.clear();
            m
        })
        .collect();
    store
        .add_messages(&fast_run, &fast, globex_ids.last().copied(), true)
        .await
        .unwrap();

    // Every claim finds Globex's messages though Acme's older backlog has no room.
    let first = store.claim(at(101), lease(101), 10).await.unwrap();
    let of = |claimed: &[crate::Claimed], campaign| {
        claimed.iter().filter(|c| c.campaign_id == campaign).count()
    };
    assert_eq!(of(&first, slow_run.campaign_id), 1, "{first:?}");
    assert_eq!(of(&first, fast_run.campaign_id), 5, "{first:?}");
    // Globex's go at once, evenly spaced by their sender's limit, within the horizon.
    let mut moments: Vec<_> = first
        .iter()
        .filter(|c| c.campaign_id == fast_run.campaign_id)
        .map(|c| c.not_before)
        .collect();
    moments.sort();
    // The first a moment after the claim (its booking lead), the rest spaced by the limit.
    let lead = tern_domain::delivery::pacing::BOOKING_LEAD;
    assert_eq!(moments[0], at(101) + lead);
    assert!(
        moments
            .windows(2)
            .all(|w| w[1] - w[0] >= Duration::milliseconds(21))
    );
    assert!(moments.iter().all(|m| *m < at(102) + lead));

    // The slow sender's next moment is a second (and its spacing) later: nothing before.
    assert!(
        store
            .claim(at(101), lease(101), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let next = store.claim(at(102), lease(102), 10).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(
        next[0].not_before,
        at(102) + lead + Duration::milliseconds(50)
    );
}

pub async fn consent_and_the_mms_switch_are_asked_when_a_message_is_claimed(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let run = launched(store, acme, 10, plan()).await;
    let ids = contacts(store, acme, 4).await;
    let mut messages: Vec<_> = ids
        .iter()
        .map(|c| message(*c, &format!("+1415555{}", c.0), 50))
        .collect();
    // The fourth is a text message: the MMS switch does not concern it.
    messages[3].media.clear();
    store
        .add_messages(&run, &messages, ids.last().copied(), true)
        .await
        .unwrap();
    // After the messages were written: the first contact opts out, the second's consent is
    // withdrawn to unknown, and the operator turns the account's MMS off.
    for (id, consent) in [(ids[0], Consent::Unsubscribed), (ids[1], Consent::Unknown)] {
        let contact = store.contact(acme, id).await.unwrap();
        let mut state = contact.state.clone();
        state.consent = consent;
        let write = ContactWrite {
            state,
            revision: Some(contact.revision),
            consent_source: Some(ConsentSource::Api),
            consent_proof: None,
        };
        store.write_contacts(acme, &[write], at(50)).await.unwrap();
    }
    store.set_mms_enabled(acme, false).await.unwrap();
    // A test message is not marketing: it goes whatever the consent.
    let mut test = message(ids[0], "+14155550999", 50);
    test.contact_id = None;
    test.media.clear();
    test.links.clear();
    store
        .add_test_messages(acme, run.campaign_id, &[test], 20)
        .await
        .unwrap();

    let claimed = store.claim(at(100), lease(100), 10).await.unwrap();
    let mut sent: Vec<_> = claimed.iter().map(|c| c.to.clone()).collect();
    sent.sort();
    let mut expected = vec![format!("+1415555{}", ids[3].0), "+14155550999".to_string()];
    expected.sort();
    assert_eq!(sent, expected);
    let reasons: Vec<_> = store
        .messages(acme, run.campaign_id, false, 0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.contact_id.unwrap(), m.state, m.reason))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (ids[0], MessageState::Skipped, Some("unsubscribed".into())),
            (ids[1], MessageState::Skipped, Some("no_consent".into())),
            (ids[2], MessageState::Skipped, Some("mms_disabled".into())),
            (ids[3], MessageState::Sending, None),
        ]
    );
}

pub async fn a_cancel_stops_what_is_still_written_or_retried(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let run = launched(store, acme, 10, plan()).await;
    let ids = contacts(store, acme, 3).await;
    let batch = |i: usize| {
        let mut m = message(ids[i], &format!("+1415555{}", ids[i].0), 50);
        m.links.clear();
        m
    };
    store
        .add_messages(&run, &[batch(0)], Some(ids[0]), false)
        .await
        .unwrap();
    let claimed = store.claim(at(100), lease(100), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    store
        .set_run_status(
            acme,
            run.campaign_id,
            &[CampaignStatus::Running],
            CampaignStatus::Cancelled,
            &CampaignChange {
                what: "cancelled".into(),
                by: "key".into(),
                at: at(101),
            },
        )
        .await
        .unwrap();
    // A node still writing the audience writes no more of it.
    let run = store.run(acme, run.campaign_id).await.unwrap();
    let late = store
        .add_messages(&run, &[batch(1), batch(2)], Some(ids[2]), true)
        .await;
    assert!(matches!(late, Err(StoreError::Conflict { .. })), "{late:?}");
    // The message in flight fails with a retry: it is cancelled, not queued again.
    store
        .record(
            &[Outcome::Requeue {
                id: claimed[0].id,
                attempts: 1,
                due_at: at(110),
                error: Some("503".into()),
            }],
            at(102),
        )
        .await
        .unwrap();
    let left = store
        .messages(acme, run.campaign_id, false, 0, 10)
        .await
        .unwrap();
    assert_eq!(
        left.iter().map(|m| m.state).collect::<Vec<_>>(),
        vec![MessageState::Cancelled]
    );
}

pub async fn a_failing_provider_pauses_its_accounts_claims_for_a_while(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    let acme_run = launched(store, acme, 10, plan()).await;
    let globex_run = launched(store, globex, 11, plan()).await;
    for (account, run, phone) in [
        (acme, &acme_run, "+1415666"),
        (globex, &globex_run, "+1415777"),
    ] {
        let ids = contacts(store, account, 2).await;
        let messages: Vec<_> = ids
            .iter()
            .map(|c| {
                let mut m = message(*c, &format!("{phone}{:04}", c.0), 50);
                m.sender = format!("{phone}0000");
                m.links.clear();
                m
            })
            .collect();
        store
            .add_messages(run, &messages, ids.last().copied(), true)
            .await
            .unwrap();
    }
    let failing = |failed| ProviderAnswers {
        account: acme,
        succeeded: 0,
        failed,
    };
    // Failures in a row, short of the threshold; a success starts the count again.
    let opened = store
        .provider_answers(&[failing(BREAKER_FAILURES - 1)], at(99))
        .await
        .unwrap();
    assert!(opened.is_empty());
    let ok = ProviderAnswers {
        account: acme,
        succeeded: 1,
        failed: 0,
    };
    store.provider_answers(&[ok], at(99)).await.unwrap();
    assert_eq!(store.breaker(acme).await.unwrap().unwrap().failures, 0);
    store
        .provider_answers(&[failing(BREAKER_FAILURES - 1)], at(99))
        .await
        .unwrap();
    let opened = store
        .provider_answers(&[failing(1)], at(100))
        .await
        .unwrap();
    assert_eq!(opened, vec![acme]);
    let breaker = store.breaker(acme).await.unwrap().unwrap();
    assert_eq!(breaker.opened, 1);
    assert!(breaker.open_until.unwrap() > at(110));
    assert!(store.breaker(globex).await.unwrap().is_none());

    // While it is open only the other account's messages are claimed.
    let during = store.claim(at(100), lease(100), 10).await.unwrap();
    assert!(!during.is_empty());
    assert!(during.iter().all(|c| c.account_id == globex), "{during:?}");
    // Then one message a claim probes the provider; a failure opens the breaker again.
    let probe = store.claim(at(130), lease(130), 10).await.unwrap();
    assert_eq!(probe.len(), 1);
    assert_eq!(probe[0].account_id, acme);
    assert_eq!(
        store
            .provider_answers(&[failing(1)], at(131))
            .await
            .unwrap(),
        vec![acme]
    );
    assert!(
        store
            .claim(at(132), lease(132), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A success closes it: the rest goes.
    store.provider_answers(&[ok], at(150)).await.unwrap();
    let after = store.claim(at(150), lease(150), 10).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].account_id, acme);
    assert_eq!(store.breaker(acme).await.unwrap().unwrap().opened, 2);
}

pub async fn lookups_that_fail_back_off_and_keep_their_first_failure(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let run = launched(store, acme, 10, plan()).await;
    let ids = contacts(store, acme, 1).await;
    let mut m = message(ids[0], "+14155550100", 50);
    m.links.clear();
    store
        .add_messages(&run, &[m], Some(ids[0]), true)
        .await
        .unwrap();
    let claimed = store.claim(at(100), lease(100), 10).await.unwrap();
    let lost = store.expired(at(131), lease(131), 10).await.unwrap();
    assert_eq!(lost[0].lookup_failing_since, None);
    let failed = |retry_at| Outcome::LookupFailed {
        id: claimed[0].id,
        attempts: 1,
        retry_at,
    };
    store.record(&[failed(at(140))], at(131)).await.unwrap();
    // Not asked again before the retry time; then with the first failure's time.
    assert!(
        store
            .expired(at(139), lease(139), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store.expired(at(141), lease(141), 10).await.unwrap();
    assert_eq!(again[0].lookup_failing_since, Some(at(131)));
    store.record(&[failed(at(200))], at(141)).await.unwrap();
    let third = store.expired(at(201), lease(201), 10).await.unwrap();
    assert_eq!(third[0].lookup_failing_since, Some(at(131)));
    // Found at last: sent, and the failures forgotten.
    store
        .record(
            &[Outcome::Sent {
                id: claimed[0].id,
                attempts: 1,
                sid: "SMfound".into(),
                status: ProviderStatus::Sent,
            }],
            at(202),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .known_sids(&["SMfound".into(), "SMother".into()])
            .await
            .unwrap(),
        vec!["SMfound".to_string()]
    );
}

pub async fn an_early_status_waits_for_its_own_accounts_send(store: &dyn Store) {
    let acme = account(store, 1, "acme").await;
    let globex = account(store, 2, "globex").await;
    let run = launched(store, acme, 10, plan()).await;
    let ids = contacts(store, acme, 1).await;
    let mut m = message(ids[0], "+14155550100", 50);
    m.links.clear();
    store
        .add_messages(&run, &[m], Some(ids[0]), true)
        .await
        .unwrap();
    let claimed = store.claim(at(100), lease(100), 10).await.unwrap();
    // Another account's callback names the sid first: it must not touch acme's message.
    let update = |status| StatusUpdate {
        sid: "SMearly".into(),
        status,
        error_code: None,
        error_message: None,
    };
    store
        .apply_status(globex, &update(ProviderStatus::Failed), at(100))
        .await
        .unwrap();
    store
        .apply_status(acme, &update(ProviderStatus::Delivered), at(100))
        .await
        .unwrap();
    store
        .record(
            &[Outcome::Sent {
                id: claimed[0].id,
                attempts: 1,
                sid: "SMearly".into(),
                status: ProviderStatus::Queued,
            }],
            at(101),
        )
        .await
        .unwrap();
    let sent = store
        .messages(acme, run.campaign_id, false, 0, 10)
        .await
        .unwrap();
    assert_eq!(sent[0].provider_status, Some(ProviderStatus::Delivered));
    assert_eq!(sent[0].error_code, None);
}

pub async fn the_first_nodes_secret_key_is_the_one_recorded(store: &dyn Store) {
    assert_eq!(store.key_fingerprint("aaaa").await.unwrap(), "aaaa");
    assert_eq!(store.key_fingerprint("aaaa").await.unwrap(), "aaaa");
    assert_eq!(store.key_fingerprint("bbbb").await.unwrap(), "aaaa");
    let now = chrono::Utc::now();
    let database = store.database_time().await.unwrap();
    assert!(
        (database - now).abs() < Duration::minutes(5),
        "{database} {now}"
    );
}

pub async fn each_campaigns_cap_counts_its_own_days(store: &dyn Store) {
    use tern_domain::account::FrequencyCap;
    let acme = account(store, 1, "acme").await;
    let ids = contacts(store, acme, 1).await;
    let capped = |days| crate::conformance::outbox::capped_plan(FrequencyCap { messages: 1, days });
    // A message ten days ago...
    let earlier = launched(store, acme, 10, plan()).await;
    let mut first = message(ids[0], "+14155550100", 50);
    first.links.clear();
    store
        .add_messages(&earlier, &[first.clone()], Some(ids[0]), true)
        .await
        .unwrap();
    let sent = store.claim(at(100), lease(100), 10).await.unwrap();
    store
        .record(
            &[Outcome::Sent {
                id: sent[0].id,
                attempts: 1,
                sid: "SMearlier".into(),
                status: ProviderStatus::Delivered,
            }],
            at(100),
        )
        .await
        .unwrap();
    // ...caps a campaign allowing one a month, not one allowing one a day.
    let monthly = launched(store, acme, 11, capped(30)).await;
    let daily = launched(store, acme, 12, capped(1)).await;
    for run in [&monthly, &daily] {
        let mut m = first.clone();
        m.due_at = at(100 + 10 * 86_400);
        store
            .add_messages(run, &[m], Some(ids[0]), true)
            .await
            .unwrap();
    }
    let later = 100 + 10 * 86_400;
    let claimed = store.claim(at(later), lease(later), 10).await.unwrap();
    assert_eq!(
        claimed.iter().map(|c| c.campaign_id).collect::<Vec<_>>(),
        vec![daily.campaign_id]
    );
    let skipped = store
        .messages(acme, monthly.campaign_id, false, 0, 10)
        .await
        .unwrap();
    assert_eq!(skipped[0].reason.as_deref(), Some("frequency_cap"));
}
