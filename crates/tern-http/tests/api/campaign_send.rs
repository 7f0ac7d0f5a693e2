//! Launching and sending through the sandbox provider: every eligible recipient gets exactly one
//! message, the others are skipped with their reason, statuses arrive by signed callbacks,
//! tracked links redirect and count, pause and cancel take effect, and test messages go to the
//! account's test numbers.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tern_testkit::{TestAccount, TestApp, images, prism::prism, spawn_app, spawn_app_sending_to};

pub(crate) async fn put_step(app: &TestApp, key: &str, campaign: &str, step: &str, body: Value) {
    let reply = app
        .call(
            Method::PUT,
            &format!("/api/v1/campaigns/{campaign}/steps/{step}"),
            Some(key),
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

pub(crate) async fn contact(app: &TestApp, key: &str, body: Value) -> i64 {
    let reply = app.post("/api/v1/contacts", key, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["id"].as_i64().unwrap()
}

/// An account on the sandbox with a US sender of `rate` segments a second, sending at any hour.
pub(crate) async fn sandbox_account(app: &TestApp, rate: u32) -> TestAccount {
    let account = app.create_account("acme").await;
    let settings = app
        .patch(
            "/api/v1/settings",
            &account.key,
            json!({
                "senders": [{"country": "US", "kind": "phone_number", "address": "+15005550006", "segments_per_second": rate}],
                "quiet_hours": {"allowed_from": "00:00", "allowed_until": "23:59"},
                "sandbox": {"latency_ms": 100, "failure_percent": 0},
                "test_numbers": ["+14155550199", "+15005550009"],
            }),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    assert_eq!(settings.body["provider"], "sandbox");
    account
}

/// A Single SMS campaign to everyone, with `body`, ready to launch.
pub(crate) async fn campaign(app: &TestApp, key: &str, body: &str, launch: Value) -> String {
    campaign_on(app, key, "sms", json!({"body": body}), launch).await
}

pub(crate) async fn campaign_on(
    app: &TestApp,
    key: &str,
    channel: &str,
    design: Value,
    launch: Value,
) -> String {
    let body = design["body"].as_str().unwrap_or_default().to_owned();
    let segment = app
        .post(
            "/api/v1/segments",
            key,
            json!({"name": format!("Everyone {body}"), "definition": {"consent": ["subscribed", "unsubscribed", "unknown"]}}),
        )
        .await;
    assert_eq!(segment.status, StatusCode::CREATED, "{}", segment.text);
    let created = app
        .post(
            "/api/v1/campaigns",
            key,
            json!({"name": "Sale", "type": "single", "channel": channel}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();
    put_step(
        app,
        key,
        &id,
        "segments",
        json!({"include": [segment.body["id"]]}),
    )
    .await;
    put_step(app, key, &id, "design", design).await;
    put_step(
        app,
        key,
        &id,
        "goals",
        json!({"event": "Order Completed", "window_hours": 72}),
    )
    .await;
    put_step(app, key, &id, "launch", launch).await;
    id
}

pub(crate) async fn progress(app: &TestApp, key: &str, id: &str) -> Value {
    let reply = app
        .get(&format!("/api/v1/campaigns/{id}/progress"), key)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body
}

/// Polls the progress until `done` holds (or fails after 30 s with the last progress).
pub(crate) async fn wait_for(
    app: &TestApp,
    key: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let now = progress(app, key, id).await;
        if done(&now) {
            return now;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "still {now}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_launched_campaign_reaches_each_eligible_recipient_once_and_skips_the_others() {
    let app = spawn_app().await;
    let account = sandbox_account(&app, 100).await;
    let key = &account.key;
    let mut eligible = Vec::new();
    for (i, name) in ["Ann", "Bob", "Cy"].iter().enumerate() {
        let phone = format!("+1415555010{i}");
        eligible.push(contact(&app, key, json!({"phone": phone, "consent": "subscribed", "attributes": {"first_name": name}})).await);
    }
    contact(
        &app,
        key,
        json!({"phone": "+14155550110", "consent": "unsubscribed"}),
    )
    .await;
    contact(
        &app,
        key,
        json!({"phone": "+14155550111", "consent": "unknown"}),
    )
    .await;
    contact(
        &app,
        key,
        json!({"phone": "+447400123456", "consent": "subscribed"}),
    )
    .await;
    contact(
        &app,
        key,
        json!({"external_id": "no-phone", "consent": "subscribed"}),
    )
    .await;
    // Twilio's test number for a recipient who replied STOP: refused with 21610.
    let stopped = contact(
        &app,
        key,
        json!({"phone": "+15005550004", "consent": "subscribed"}),
    )
    .await;

    let id = campaign(
        &app,
        key,
        "Hi {{ first_name | default: 'there' }}, 20% off: https://shop.example/sale",
        json!({}),
    )
    .await;
    let launched = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), key, json!({}))
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{}", launched.text);
    assert_eq!(launched.body["status"], "running");
    let again = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), key, json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);

    let done = wait_for(&app, key, &id, |p| {
        p["status"] == "completed" && p["delivered"] == 3
    })
    .await;
    assert_eq!(done["total"], 8, "{done}");
    assert_eq!(done["sent"], 3, "{done}");
    assert_eq!(
        done["skipped_by_reason"],
        json!({"unsubscribed": 1, "no_consent": 1, "no_sender": 1, "invalid_phone": 1}),
        "{done}"
    );
    assert_eq!(
        done["failed_by_reason"],
        json!({"unsubscribed": 1}),
        "{done}"
    );

    // The listing shows the same at a glance; a draft has no figures.
    let draft = app
        .post(
            "/api/v1/campaigns",
            key,
            json!({"name": "Next", "type": "single", "channel": "sms"}),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED);
    let listed = app.get("/api/v1/campaigns", key).await;
    let listed = listed.body.as_array().unwrap().clone();
    let ours = listed.iter().find(|c| c["id"] == id.as_str()).unwrap();
    assert_eq!(
        ours["figures"],
        json!({"total": 8, "audience_written": true, "pending": 0, "sent": 3, "delivered": 3,
            "undelivered": 0, "failed": 1, "cancelled": 0, "skipped": 4}),
        "{ours}"
    );
    let next = listed.iter().find(|c| c["name"] == "Next").unwrap();
    assert!(next.get("figures").is_none(), "{next}");

    // One message per recipient, personalised, with a tracked link of this server.
    let messages = app
        .get(&format!("/api/v1/campaigns/{id}/messages"), key)
        .await;
    let messages = messages.body.as_array().unwrap().clone();
    for (contact, name) in eligible.iter().zip(["Ann", "Bob", "Cy"]) {
        let theirs: Vec<&Value> = messages
            .iter()
            .filter(|m| m["contact_id"] == *contact)
            .collect();
        assert_eq!(theirs.len(), 1);
        let body = theirs[0]["body"].as_str().unwrap();
        assert!(
            body.starts_with(&format!("Hi {name}, 20% off: {}/l/", app.address)),
            "{body}"
        );
        assert!(body.ends_with("Reply STOP to opt out"), "{body}");
        assert_eq!(theirs[0]["provider_status"], "delivered");
        assert!(
            theirs[0]["provider_sid"]
                .as_str()
                .unwrap()
                .starts_with("SM")
        );
    }
    let refused = messages
        .iter()
        .find(|m| m["contact_id"] == stopped)
        .unwrap();
    assert_eq!(refused["state"], "failed");
    assert_eq!(refused["error_code"], 21610);
    assert!(refused["error_message"].as_str().unwrap().contains("STOP"));

    // The provider's opt-out is now the contact's, with its source.
    let consent = app.get(&format!("/api/v1/contacts/{stopped}"), key).await;
    assert_eq!(consent.body["consent"], "unsubscribed", "{}", consent.text);
    // In the trail too, written just after the contact (so looked for a moment).
    let mut named = false;
    for _ in 0..40 {
        let trail = app.get("/api/v1/audit", key).await.body;
        named = trail["entries"].as_array().unwrap().iter().any(|e| {
            e["actor"] == "provider"
                && e["action"] == "contact.consent_changed"
                && e["target"].as_str() == Some(&*stopped.to_string())
        });
        if named {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(named, "the provider's opt-out is in the audit trail");

    // The short link redirects to the original address and counts the click.
    let body = messages[0]["body"].as_str().unwrap();
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/l/"))
        .unwrap()
        .to_owned();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let followed = no_redirects
        .get(&link)
        .header("user-agent", "Phone/1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(followed.status(), StatusCode::FOUND);
    assert_eq!(followed.headers()["location"], "https://shop.example/sale");
    // Recorded (in a batch, so looked for a moment), and not a person's: no Accept-Language,
    // and within seconds of the receipt.
    let start = Instant::now();
    let report = loop {
        let report = crate::report::report(&app, key, &id).await;
        if report["bot_clicks"] == 1 || start.elapsed() > Duration::from_secs(10) {
            break report;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(report["bot_clicks"], 1, "{report}");
    assert_eq!(report["human_clicks"], 0, "{report}");
    assert_eq!(progress(&app, key, &id).await["clicks"], 0);
    let unknown = no_redirects
        .get(format!("{}/l/AAAAAAAA", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    // Another account sees none of it.
    let other = app.create_account("globex").await;
    let hidden = app
        .get(&format!("/api/v1/campaigns/{id}/progress"), &other.key)
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pause_holds_sending_resume_finishes_it_and_cancel_stops_it() {
    let app = spawn_app().await;
    // One segment a second: the campaign takes several seconds.
    let account = sandbox_account(&app, 1).await;
    let key = &account.key;
    for i in 0..6 {
        contact(
            &app,
            key,
            json!({"phone": format!("+1415555020{i}"), "consent": "subscribed"}),
        )
        .await;
    }
    let id = campaign(&app, key, "Flash sale today", json!({})).await;
    let launched = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), key, json!({}))
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{}", launched.text);
    wait_for(&app, key, &id, |p| p["sent"].as_u64() >= Some(1)).await;
    let paused = app
        .post(&format!("/api/v1/campaigns/{id}/pause"), key, json!({}))
        .await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.text);
    assert_eq!(paused.body["status"], "paused");
    // Within two seconds nothing more leaves: a message claimed before the pause goes at the
    // moment its sender's rate booked for it, up to about a second ahead.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let held = progress(&app, key, &id).await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let still = progress(&app, key, &id).await;
    assert_eq!(held["sent"], still["sent"], "{held} {still}");
    assert!(still["queued"].as_u64().unwrap() >= 1, "{still}");

    let resumed = app
        .post(&format!("/api/v1/campaigns/{id}/resume"), key, json!({}))
        .await;
    assert_eq!(resumed.body["status"], "running", "{}", resumed.text);
    let done = wait_for(&app, key, &id, |p| p["status"] == "completed").await;
    assert_eq!(done["sent"], 6, "{done}");
    let finished = app
        .post(&format!("/api/v1/campaigns/{id}/resume"), key, json!({}))
        .await;
    assert_eq!(finished.status, StatusCode::CONFLICT);

    // A second campaign, cancelled while sending: the rest is never sent.
    let second = campaign(&app, key, "Last chance", json!({})).await;
    app.post(
        &format!("/api/v1/campaigns/{second}/launch"),
        key,
        json!({}),
    )
    .await;
    wait_for(&app, key, &second, |p| p["sent"].as_u64() >= Some(1)).await;
    let cancelled = app
        .post(
            &format!("/api/v1/campaigns/{second}/cancel"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.text);
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let stopped = progress(&app, key, &second).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = progress(&app, key, &second).await;
    assert_eq!(stopped["sent"], later["sent"]);
    assert!(later["cancelled"].as_u64().unwrap() >= 1, "{later}");
    assert_eq!(
        later["sent"].as_u64().unwrap() + later["cancelled"].as_u64().unwrap(),
        6,
        "{later}"
    );
}

#[tokio::test]
async fn a_test_send_goes_to_the_test_numbers_and_reports_each_status() {
    let app = spawn_app().await;
    let account = sandbox_account(&app, 10).await;
    let key = &account.key;
    let ann = contact(&app, key, json!({"phone": "+14155550101", "consent": "subscribed", "attributes": {"first_name": "Ann"}})).await;
    let id = campaign(
        &app,
        key,
        "Hi {{ first_name | default: 'there' }}",
        json!({}),
    )
    .await;
    let sent = app
        .post(
            &format!("/api/v1/campaigns/{id}/tests"),
            key,
            json!({"contact_id": ann}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.text);
    let sent = sent.body.as_array().unwrap().clone();
    assert_eq!(sent.len(), 2);
    assert!(sent[0]["body"].as_str().unwrap().starts_with("Hi Ann"));

    let start = Instant::now();
    let tests = loop {
        let tests = app.get(&format!("/api/v1/campaigns/{id}/tests"), key).await;
        let list = tests.body.as_array().unwrap().clone();
        let settled = |to: &str| {
            list.iter()
                .find(|m| m["to"] == to)
                .is_some_and(|m| m["provider_status"] == "delivered" || m["state"] == "failed")
        };
        if settled("+14155550199") && settled("+15005550009") {
            break list;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{list:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let to = |n: &str| tests.iter().find(|m| m["to"] == n).unwrap().clone();
    assert_eq!(to("+14155550199")["provider_status"], "delivered");
    let landline = to("+15005550009");
    assert_eq!(landline["reason"], "not_sms_capable");
    assert_eq!(landline["error_code"], 21614);
    // Tests are not the campaign's messages, and the campaign is still a draft.
    assert_eq!(progress(&app, key, &id).await["total"], 0);
    let campaign = app.get(&format!("/api/v1/campaigns/{id}"), key).await;
    assert_eq!(campaign.body["status"], "draft");

    // Without test numbers, a test send says what is missing.
    app.patch("/api/v1/settings", key, json!({"test_numbers": []}))
        .await;
    let refused = app
        .post(&format!("/api/v1/campaigns/{id}/tests"), key, json!({}))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("test numbers"), "{}", refused.text);
}

#[tokio::test]
async fn an_mms_campaign_through_the_twilio_provider_is_accepted_by_twilios_own_description() {
    let mock = prism().await;
    let app = spawn_app_sending_to(&mock.base).await;
    let account = app.create_account("acme").await;
    let key = &account.key;
    app.admin(
        Method::PUT,
        &format!("/api/v1/admin/accounts/{}/mms", account.id),
        Some(json!({"enabled": true})),
    )
    .await;
    let settings = app
        .patch(
            "/api/v1/settings",
            key,
            json!({
                "senders": [{"country": "US", "kind": "messaging_service", "address": format!("MG{}", "a".repeat(32)), "segments_per_second": 50}],
                "quiet_hours": {"allowed_from": "00:00", "allowed_until": "23:59"},
                "twilio": {"account_sid": format!("AC{}", "a".repeat(32)), "auth_token": "f".repeat(32)},
            }),
        )
        .await;
    assert_eq!(settings.body["provider"], "twilio", "{}", settings.text);
    for i in 0..3 {
        contact(
            &app,
            key,
            json!({"phone": format!("+1415555030{i}"), "consent": "subscribed"}),
        )
        .await;
    }
    let picture = app
        .upload("/api/v1/media", key, "sale.jpg", images::jpeg(320, 240, 7))
        .await;
    assert_eq!(picture.status, StatusCode::CREATED, "{}", picture.text);
    let id = campaign_on(
        &app,
        key,
        "mms",
        json!({"body": "New in: https://shop.example/new", "media": [picture.body["id"]]}),
        json!({}),
    )
    .await;
    let launched = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), key, json!({}))
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{}", launched.text);
    let done = wait_for(&app, key, &id, |p| p["status"] == "completed").await;
    assert_eq!(done["sent"], 3, "every Create was accepted: {done}");
    let messages = app
        .get(&format!("/api/v1/campaigns/{id}/messages"), key)
        .await;
    for message in messages.body.as_array().unwrap() {
        assert_eq!(message["media"].as_array().unwrap().len(), 1, "{message}");
        assert!(
            message["provider_sid"].as_str().unwrap().len() == 34,
            "{message}"
        );
    }
}
