//! A campaign's figures are one set: the listing, the progress and the campaign page count
//! alike, and what the carrier reported undelivered is sent, never failed.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tern_domain::{
    account::QuietHours,
    campaign::CampaignStatus,
    delivery::pacing::RunPlan,
    ids::{AccountId, ContactId},
};
use tern_store::{CampaignChange, CampaignRecord, NewMessage, RunRecord};
use tern_testkit::{TestApp, spawn_app};

use crate::{
    campaign_send::{campaign, contact, progress, sandbox_account, wait_for},
    panel::{Browser, PASSWORD, user},
};

const REGULAR: u64 = 24;

/// A figure of a JSON answer, as a number.
fn n(value: &Value, field: &str) -> u64 {
    value[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {field} in {value}"))
}

fn sum(value: &Value, field: &str) -> u64 {
    value[field]
        .as_object()
        .unwrap_or_else(|| panic!("no {field} in {value}"))
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum()
}

/// What every progress answer holds, whenever it is read.
fn check_counts(p: &Value) {
    let parts = [
        "queued",
        "sending",
        "sent",
        "failed",
        "cancelled",
        "skipped",
    ];
    let whole: u64 = parts.iter().map(|f| n(p, f)).sum();
    assert_eq!(whole, n(p, "total"), "each message counted once: {p}");
    assert!(
        n(p, "delivered") + n(p, "undelivered") <= n(p, "sent"),
        "delivered and undelivered are parts of sent: {p}"
    );
    assert_eq!(sum(p, "failed_by_reason"), n(p, "failed"), "{p}");
    assert_eq!(sum(p, "undelivered_by_reason"), n(p, "undelivered"), "{p}");
    assert_eq!(sum(p, "skipped_by_reason"), n(p, "skipped"), "{p}");
}

async fn listed_figures(app: &TestApp, key: &str, id: &str) -> Value {
    let listed = app.get("/api/v1/campaigns", key).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let ours = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
        .clone();
    ours["figures"].clone()
}

/// The text of the first element after `marker` in a page, up to the next `<`.
fn text_after<'a>(page: &'a str, marker: &str) -> &'a str {
    let start = page
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {page}"))
        + marker.len();
    page[start..].split('<').next().unwrap()
}

#[tokio::test]
async fn the_listing_and_the_progress_agree_and_undelivered_is_sent_never_failed() {
    let app = spawn_app().await;
    let account = sandbox_account(&app, 100).await;
    let key = &account.key;
    // Half of what the sandbox accepts is reported undelivered (30003), the other half
    // delivered; the callbacks come late enough for sent messages to await them a while.
    let settings = app
        .patch(
            "/api/v1/settings",
            key,
            json!({"sandbox": {"latency_ms": 1500, "failure_percent": 50}}),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    for i in 0..REGULAR {
        let phone = format!("+1415555{:04}", 200 + i);
        contact(&app, key, json!({"phone": phone, "consent": "subscribed"})).await;
    }
    // Twilio's test numbers, refused as Twilio refuses them: invalid, unroutable, no SMS.
    for phone in ["+15005550001", "+15005550002", "+15005550009"] {
        contact(&app, key, json!({"phone": phone, "consent": "subscribed"})).await;
    }
    for (phone, consent) in [
        ("+14155550310", "unsubscribed"),
        ("+14155550311", "unknown"),
    ] {
        contact(&app, key, json!({"phone": phone, "consent": consent})).await;
    }
    let id = campaign(&app, key, "Spring is here", json!({})).await;
    let launched = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), key, json!({}))
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{}", launched.text);

    // Every provider acceptance counts as sent at once and stays sent, whatever is reported.
    wait_for(&app, key, &id, |p| {
        check_counts(p);
        n(p, "sent") == REGULAR
    })
    .await;
    let done = wait_for(&app, key, &id, |p| {
        check_counts(p);
        p["status"] == "completed" && n(p, "delivered") + n(p, "undelivered") == REGULAR
    })
    .await;
    assert_eq!(n(&done, "sent"), REGULAR, "{done}");
    assert_eq!(n(&done, "total"), REGULAR + 5, "{done}");
    assert!(
        n(&done, "delivered") > 0 && n(&done, "undelivered") > 0,
        "half of {REGULAR} undelivered at random: {done}"
    );

    // Failed is what the provider refused, by its reason; undelivered has its own list.
    assert_eq!(n(&done, "failed"), 3, "{done}");
    assert_eq!(
        done["failed_by_reason"],
        json!({"invalid_number": 1, "failed": 1, "not_sms_capable": 1}),
        "{done}"
    );
    assert_eq!(
        done["undelivered_by_reason"],
        json!({"30003": n(&done, "undelivered")}),
        "{done}"
    );
    assert!(
        done["error_codes"]["30003"]
            .as_str()
            .unwrap()
            .contains("out of reach"),
        "{done}"
    );
    assert_eq!(
        done["skipped_by_reason"],
        json!({"unsubscribed": 1, "no_consent": 1}),
        "{done}"
    );

    // The messages themselves say the same.
    let messages = app
        .get(&format!("/api/v1/campaigns/{id}/messages"), key)
        .await;
    let mut by: BTreeMap<String, u64> = BTreeMap::new();
    for m in messages.body.as_array().unwrap() {
        let status = m["provider_status"].as_str().unwrap_or("-");
        *by.entry(format!("{}/{status}", m["state"].as_str().unwrap()))
            .or_default() += 1;
    }
    assert_eq!(by["sent/delivered"], n(&done, "delivered"), "{by:?}");
    assert_eq!(by["sent/undelivered"], n(&done, "undelivered"), "{by:?}");
    assert_eq!(by["failed/-"], 3, "{by:?}");

    // The listing's figures are the progress's, field by field.
    let figures = listed_figures(&app, key, &id).await;
    let now = progress(&app, key, &id).await;
    for field in [
        "total",
        "audience_written",
        "sent",
        "delivered",
        "undelivered",
        "failed",
        "cancelled",
        "skipped",
    ] {
        assert_eq!(figures[field], now[field], "{field}: {figures} vs {now}");
    }
    assert_eq!(
        n(&figures, "pending"),
        n(&now, "queued") + n(&now, "sending"),
        "{figures} vs {now}"
    );

    // And the panel shows them alike: the listing's row, the campaign page, no undelivered
    // among the failed.
    user(&app, &account.id, "ann@acme.test").await;
    let mut browser = Browser::new(&app);
    assert_eq!(
        browser.sign_in("ann@acme.test", PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    let (status, _, listing) = browser.get("/campaigns").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, page) = browser.get(&format!("/campaigns/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for field in ["delivered", "undelivered", "failed", "skipped"] {
        let marker = format!("data-figure=\"{field}\">");
        let expected = now[field].to_string();
        assert_eq!(text_after(&listing, &marker), expected, "listing's {field}");
        assert_eq!(text_after(&page, &marker), expected, "page's {field}");
    }
    let failed_list = page
        .split("id=\"failed\"")
        .nth(1)
        .unwrap()
        .split("</ul>")
        .next()
        .unwrap();
    assert!(!failed_list.contains("ndelivered"), "{failed_list}");
    assert!(failed_list.contains("Number not valid"), "{failed_list}");
    let undelivered_list = page.split("id=\"undelivered\"").nth(1).unwrap();
    assert!(
        undelivered_list.contains("30003 — the phone is off or out of reach"),
        "{undelivered_list}"
    );
}

/// A recipient's message as a launch writes it, due at `due_at`.
fn written(contact: i64, due_at: DateTime<Utc>) -> NewMessage {
    NewMessage {
        contact_id: Some(ContactId(contact)),
        to: "+14155550400".into(),
        sender: "+15005550006".into(),
        sender_rate: 100,
        body: "Spring is here".into(),
        media: vec![],
        units: 1,
        timezone: None,
        due_at,
        skipped: None,
        links: vec![],
        trigger_key: String::new(),
        expires_at: None,
    }
}

#[tokio::test]
async fn while_the_audience_is_written_the_figures_count_what_is_written_and_say_so() {
    // A regression: the campaign page showed "Audience 0" beside the queued rows of a campaign
    // whose audience was still being written.
    let app = spawn_app().await;
    let account = sandbox_account(&app, 100).await;
    let key = &account.key;
    let mut contacts = Vec::new();
    for i in 0..3 {
        let phone = format!("+1415555{:04}", 400 + i);
        contacts.push(contact(&app, key, json!({"phone": phone, "consent": "subscribed"})).await);
    }
    let created = app
        .post(
            "/api/v1/campaigns",
            key,
            json!({"name": "Half written", "type": "single", "channel": "sms"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();

    // A launch scheduled for tomorrow whose first batch is written and the rest not yet (the
    // campaign has no design, so no worker writes more of it meanwhile).
    let account_id: AccountId = account.id.parse().unwrap();
    let draft = app
        .store
        .campaign(account_id, id.parse().unwrap())
        .await
        .unwrap();
    let now = Utc::now();
    let run = RunRecord {
        campaign_id: draft.id,
        account_id,
        plan: RunPlan {
            throttle: None,
            quiet_hours: QuietHours {
                allowed_from: "00:00".parse().unwrap(),
                allowed_until: "23:59".parse().unwrap(),
            },
            frequency_cap: None,
        },
        send_at: now + Duration::days(1),
        cursor: None,
        materialised: false,
        started_at: now,
        snapshot: None,
    };
    let scheduled = CampaignRecord {
        status: CampaignStatus::Scheduled,
        revision: draft.revision + 1,
        ..draft
    };
    let change = CampaignChange {
        what: "launched".into(),
        by: "test".into(),
        at: now,
    };
    app.store
        .start_run(&scheduled, &change, &run)
        .await
        .unwrap();
    let batch = [
        written(contacts[0], run.send_at),
        written(contacts[1], run.send_at),
    ];
    app.store
        .add_messages(&run, &batch, Some(ContactId(contacts[1])), false)
        .await
        .unwrap();

    let now = progress(&app, key, &id).await;
    assert_eq!(now["audience_written"], false, "{now}");
    assert_eq!((n(&now, "total"), n(&now, "queued")), (2, 2), "{now}");
    let figures = listed_figures(&app, key, &id).await;
    assert_eq!(figures["audience_written"], false, "{figures}");
    assert_eq!(figures["total"], 2, "{figures}");

    user(&app, &account.id, "ann@acme.test").await;
    let mut browser = Browser::new(&app);
    assert_eq!(
        browser.sign_in("ann@acme.test", PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    let (_, _, page) = browser.get(&format!("/campaigns/{id}")).await;
    assert_eq!(text_after(&page, "data-figure=\"total\">"), "2");
    assert!(
        page.contains("id=\"writing\">writing…"),
        "the page says the audience is still being written: {page}"
    );
    let (_, _, listing) = browser.get("/campaigns").await;
    assert_eq!(text_after(&listing, "data-figure=\"total\">"), "2");
    assert!(listing.contains("writing…"), "{listing}");
}
