//! A slow sender holds nobody else up: while one account's 20,000-message campaign crawls
//! through a sender of one segment a second, another account's campaign on a fast sender
//! completes in about the time its own sender needs.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tern_testkit::{TestApp, spawn_app_sending_to, twilio_stub::TwilioStub};

use crate::campaign_send::{campaign, progress};

const SLOW: usize = 20_000;
const FAST: usize = 500;
const FAST_RATE: u32 = 100;

async fn account_on(
    app: &TestApp,
    name: &str,
    sender: &str,
    rate: u32,
    people: usize,
    prefix: &str,
) -> String {
    let account = app.create_account(name).await;
    let settings = app
        .patch(
            "/api/v1/settings",
            &account.key,
            json!({
                "senders": [{"country": "US", "kind": "phone_number", "address": sender, "segments_per_second": rate}],
                "quiet_hours": {"allowed_from": "00:00", "allowed_until": "23:59"},
                "twilio": {"account_sid": format!("AC{}", "1".repeat(32)), "auth_token": "f".repeat(32)},
            }),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    let mut csv = String::from("phone,consent\n");
    for i in 0..people {
        csv.push_str(&format!("{prefix}{i:05},subscribed\n"));
    }
    let imported = app.import_and_wait(&account.key, &csv, &[]).await;
    assert_eq!(imported["created"], people, "{imported}");
    account.key
}

#[tokio::test]
async fn a_slow_senders_backlog_does_not_delay_another_accounts_campaign() {
    let stub = TwilioStub::start(0, Duration::ZERO, false).await;
    let app = spawn_app_sending_to(&stub.base).await;
    let slow = account_on(&app, "slowco", "+18005550100", 1, SLOW, "+141520").await;
    let fast = account_on(&app, "fastco", "+14155550100", FAST_RATE, FAST, "+141530").await;

    let backlog = campaign(&app, &slow, "The long one", json!({})).await;
    let launched = app
        .post(
            &format!("/api/v1/campaigns/{backlog}/launch"),
            &slow,
            json!({}),
        )
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{}", launched.text);
    // The whole backlog is due before the other campaign's first message.
    let start = Instant::now();
    while progress(&app, &slow, &backlog).await["audience_written"] != true {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the backlog is not written"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let quick = campaign(&app, &fast, "The quick one", json!({})).await;
    let started = Instant::now();
    let launched = app
        .post(
            &format!("/api/v1/campaigns/{quick}/launch"),
            &fast,
            json!({}),
        )
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{}", launched.text);
    let done = loop {
        let now = progress(&app, &fast, &quick).await;
        if now["status"] == "completed" {
            break now;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "still {now}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let took = started.elapsed().as_secs_f64();
    assert_eq!(done["sent"], FAST, "{done}");
    // Its own sender's ceiling: FAST messages at FAST_RATE a second.
    let ceiling = FAST as f64 / f64::from(FAST_RATE);
    eprintln!(
        "{FAST} messages on a {FAST_RATE}/s sender behind a {SLOW}-message backlog on a 1/s sender: \
         {took:.1} s, {:.2} × its sender's ceiling of {ceiling:.1} s",
        took / ceiling
    );
    assert!(
        took < ceiling * 2.0 + 3.0,
        "took {took:.1} s; its sender needs {ceiling:.1} s"
    );
    // The slow sender kept to its rate meanwhile.
    let crawled = progress(&app, &slow, &backlog).await;
    let sent = crawled["sent"].as_u64().unwrap() + crawled["sending"].as_u64().unwrap();
    let elapsed = start.elapsed().as_secs();
    assert!(
        sent <= elapsed + 2,
        "{sent} sent in {elapsed} s at 1 a second: {crawled}"
    );
}
