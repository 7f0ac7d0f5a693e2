//! Exactly once for triggered campaigns: a shop's cart events stream into `tern serve` (with
//! Segment's retries: a request that failed is sent again, its message ids deduplicated) while
//! the server is killed with SIGKILL again and again. Every cart left gets exactly one reminder
//! at the local Twilio-compatible server; no cart followed by an order gets one.

use crate::common;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use chrono::{SecondsFormat, Utc};
use common::{Server, Workdir, api::Api};
use reqwest::Method;
use serde_json::{Value, json};
use tern_testkit::twilio_stub::TwilioStub;

const SHOPPERS: usize = 600;
const KILLS: usize = 5;
/// Every fifth shopper orders: no reminder.
const ORDERS_EVERY: usize = 5;

fn phone(i: usize) -> String {
    format!("+1415300{i:04}")
}

/// Sends `body` to `/v1/batch` of whichever server is up, again until it is taken.
async fn deliver(client: &reqwest::Client, address: &Mutex<String>, write_key: &str, body: &Value) {
    let start = Instant::now();
    loop {
        let url = format!("http://{}/v1/batch", address.lock().unwrap());
        let sent = client
            .post(url)
            .basic_auth(write_key, Some(""))
            .json(body)
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        if sent.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "a batch was never taken"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn every_cart_left_gets_exactly_one_reminder_though_the_server_is_killed_again_and_again() {
    tern_app::install_tls_provider();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stub = runtime.block_on(TwilioStub::start(0, Duration::from_millis(5), true));
    let dir = Workdir::new();
    let (code, account, stderr) = dir.tern(&["accounts", "create", "acme", "--json"], "");
    assert_eq!(code, 0, "{stderr}");
    let write_key = account["write_key"]
        .as_str()
        .expect("a write key")
        .to_owned();
    let (code, key, stderr) = dir.tern(&["keys", "create", "acme", "--json"], "");
    assert_eq!(code, 0, "{stderr}");
    let mut csv = String::from("external_id,phone,consent\n");
    for i in 0..SHOPPERS {
        csv.push_str(&format!("shopper-{i},{},subscribed\n", phone(i)));
    }
    std::fs::write(dir.0.join("people.csv"), csv).unwrap();
    let (code, imported, stderr) = dir.tern(
        &[
            "contacts",
            "import",
            "people.csv",
            "--account",
            "acme",
            "--json",
        ],
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(imported["created"], SHOPPERS, "{imported}");

    let env = [
        ("TERN_TWILIO_API_BASE", stub.base.as_str()),
        ("TERN_SEND_LEASE_SECS", "4"),
    ];
    let mut server = Server::start_with(&dir, &env);
    let api = Api::new(key["key"].as_str().unwrap());
    let call = |server: &Server, method: Method, path: &str, body: Option<Value>| {
        runtime.block_on(api.call(server, method, path, body))
    };
    call(
        &server,
        Method::PATCH,
        "/api/v1/settings",
        Some(json!({
            "senders": [{"country": "US", "kind": "phone_number", "address": "+14155550100", "segments_per_second": 500}],
            "quiet_hours": {"allowed_from": "00:00", "allowed_until": "23:59"},
            "twilio": {"account_sid": format!("AC{}", "0".repeat(32)), "auth_token": "f".repeat(32)},
        })),
    );
    let made = call(
        &server,
        Method::POST,
        "/api/v1/campaigns",
        Some(json!({"name": "Carts", "type": "cart_reminder", "channel": "sms"})),
    );
    let campaign = made["id"].as_str().unwrap().to_owned();
    for (step, content) in [
        ("rules", json!({"delay_minutes": 15})),
        (
            "design",
            json!({"body": "Your cart is waiting.", "opt_out_footer": false}),
        ),
        (
            "goals",
            json!({"event": "Order Completed", "window_hours": 24}),
        ),
        ("launch", json!({})),
    ] {
        let path = format!("/api/v1/campaigns/{campaign}/steps/{step}");
        call(&server, Method::PUT, &path, Some(content));
    }
    let launched = call(
        &server,
        Method::POST,
        &format!("/api/v1/campaigns/{campaign}/launch"),
        Some(json!({})),
    );
    assert_eq!(launched["status"], "active");

    // The shop's events: each cart left 20 minutes ago (due at once); every fifth shopper's
    // order is in the same batch as the cart.
    let at =
        (Utc::now() - chrono::Duration::minutes(20)).to_rfc3339_opts(SecondsFormat::Millis, true);
    let ordered_at =
        (Utc::now() - chrono::Duration::minutes(19)).to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut batches = Vec::new();
    for chunk in (0..SHOPPERS).collect::<Vec<_>>().chunks(20) {
        let mut calls = Vec::new();
        for &i in chunk {
            calls.push(
                json!({"type": "track", "userId": format!("shopper-{i}"), "event": "Product Added",
                "messageId": format!("add-{i}"), "timestamp": at,
                "properties": {"product_id": "p1", "price": 20, "quantity": 1}}),
            );
            if i % ORDERS_EVERY == 0 {
                calls.push(json!({"type": "track", "userId": format!("shopper-{i}"), "event": "Order Completed",
                    "messageId": format!("order-{i}"), "timestamp": ordered_at, "properties": {"total": 20}}));
            }
        }
        batches.push(json!({ "batch": calls }));
    }
    let address = Arc::new(Mutex::new(server.address.clone()));
    let streaming = {
        let (address, write_key) = (address.clone(), write_key.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let client = reqwest::Client::new();
            for batch in &batches {
                runtime.block_on(deliver(&client, &address, &write_key, batch));
                std::thread::sleep(Duration::from_millis(150));
            }
        })
    };

    // Killed while events arrive, triggers are found, settled and sent.
    let mut seed: u64 = 7;
    for _ in 0..KILLS {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_millis(300 + (seed >> 33) % 700));
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        server = Server::start_with(&dir, &env);
        *address.lock().unwrap() = server.address.clone();
    }
    streaming.join().unwrap();

    let eligible = SHOPPERS - SHOPPERS.div_ceil(ORDERS_EVERY);
    let path = format!("/api/v1/campaigns/{campaign}/progress");
    let start = Instant::now();
    let done = loop {
        let now = call(&server, Method::GET, &path, None);
        if now["sent"] == eligible && now["queued"] == 0 && now["sending"] == 0 {
            break now;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "not all sent: {now}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    server.stop();
    assert_eq!(done["failed"], 0, "{done}");

    let counts = stub.per_recipient();
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "reminded more than once: {:?}",
        &twice[..twice.len().min(5)]
    );
    for i in 0..SHOPPERS {
        let got = counts.get(&phone(i)).copied().unwrap_or(0);
        let expected = usize::from(i % ORDERS_EVERY != 0);
        assert_eq!(got as usize, expected, "shopper {i} got {got} reminders");
    }
    eprintln!(
        "killed {KILLS} times; {eligible} carts left, one reminder each; none after an order"
    );
}
