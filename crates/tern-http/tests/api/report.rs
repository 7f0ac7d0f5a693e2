//! The campaign report: each order credited to one message only (the latest human click, else
//! the latest delivery), link previewers and `HEAD` requests seen as bots, a changed goal
//! window applied to the past, the holdout kept unsent, recipients and the CSV export, and a
//! deleted contact's rows gone. Deliveries are dated in the past through the store (the
//! sandbox's own receipts come a minute later), so windows and the "too soon" rule can be
//! crossed without waiting.

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tern_domain::delivery::outcome::ProviderStatus;
use tern_store::StatusUpdate;
use tern_testkit::{TestAccount, TestApp, spawn_app};

use crate::{
    campaign_send::{campaign, contact, put_step, sandbox_account, wait_for},
    triggers::{ago, track},
};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
    (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const APPLE_PREVIEW: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 \
    (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0";

/// A sandbox account whose receipts take a minute: the tests date deliveries themselves.
async fn slow_receipts(app: &TestApp) -> TestAccount {
    let account = sandbox_account(app, 100).await;
    let reply = app
        .patch(
            "/api/v1/settings",
            &account.key,
            json!({"sandbox": {"latency_ms": 60000, "failure_percent": 0}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    account
}

/// Launches a Single campaign to everyone with a goal of orders (revenue in `total`) and waits
/// until its messages are sent; then marks them delivered `hours_ago`.
async fn sent_campaign(
    app: &TestApp,
    account: &TestAccount,
    body: &str,
    launch: Value,
    hours_ago: i64,
) -> String {
    let key = &account.key;
    let id = campaign(app, key, body, launch).await;
    put_step(
        app,
        key,
        &id,
        "goals",
        json!({"event": "Order Completed", "window_hours": 72, "revenue_property": "total"}),
    )
    .await;
    let launched = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), key, json!({}))
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{}", launched.text);
    wait_for(app, key, &id, |p| {
        p["status"] == "completed" && p["queued"] == 0 && p["sending"] == 0
    })
    .await;
    let at = Utc::now() - chrono::Duration::hours(hours_ago);
    for message in messages(app, key, &id).await {
        if let Some(sid) = message["provider_sid"].as_str() {
            let update = StatusUpdate {
                sid: sid.to_owned(),
                status: ProviderStatus::Delivered,
                error_code: None,
                error_message: None,
            };
            app.store
                .apply_status(account.id.parse().unwrap(), &update, at)
                .await
                .unwrap();
        }
    }
    id
}

async fn messages(app: &TestApp, key: &str, id: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("/api/v1/campaigns/{id}/messages?limit=1000"), key)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body.as_array().unwrap().clone()
}

/// The tracked link in the message to `contact`.
async fn link_of(app: &TestApp, key: &str, id: &str, contact: i64) -> String {
    let all = messages(app, key, id).await;
    let message = all.iter().find(|m| m["contact_id"] == contact).unwrap();
    let body = message["body"].as_str().unwrap();
    body.split_whitespace()
        .find(|w| w.contains("/l/"))
        .unwrap()
        .to_owned()
}

/// Follows a link without following the redirect, as a client with these headers.
async fn hit(link: &str, method: Method, headers: &[(&str, &str)]) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client.request(method, link);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

pub(crate) async fn report(app: &TestApp, key: &str, id: &str) -> Value {
    let reply = app
        .get(&format!("/api/v1/campaigns/{id}/report"), key)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body
}

/// The report once `done` holds (hits are written in batches); fails after 10 s.
async fn report_when(app: &TestApp, key: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let now = report(app, key, id).await;
        if done(&now) {
            return now;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "still {now}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn order(app: &TestApp, account: &TestAccount, user: &str, total: f64, at: &str) {
    track(
        app,
        account,
        user,
        "Order Completed",
        json!({"order_id": format!("{user}-{at}"), "total": total, "currency": "USD"}),
        at,
    )
    .await;
}

#[tokio::test]
async fn each_order_is_credited_to_one_message_and_previews_are_not_clicks() {
    let app = spawn_app().await;
    let account = slow_receipts(&app).await;
    let key = &account.key;
    let mut people = Vec::new();
    for i in 0..3 {
        people.push(
            contact(
                &app,
                key,
                json!({"external_id": format!("u{i}"), "phone": format!("+1415555010{i}"), "consent": "subscribed"}),
            )
            .await,
        );
    }
    // A reached everyone three hours ago, B two hours ago.
    let a = sent_campaign(&app, &account, "A: https://shop.example/a", json!({}), 3).await;
    let b = sent_campaign(&app, &account, "B: https://shop.example/b", json!({}), 2).await;

    // u1 taps A's link; u2's A link is fetched by iMessage's previewer and by a HEAD request.
    let tapped = hit(
        &link_of(&app, key, &a, people[1]).await,
        Method::GET,
        &[
            ("user-agent", IPHONE),
            ("accept-language", "en-US,en;q=0.9"),
        ],
    )
    .await;
    assert_eq!(tapped.status(), StatusCode::FOUND);
    assert_eq!(tapped.headers()["location"], "https://shop.example/a");
    let previewed = hit(
        &link_of(&app, key, &a, people[2]).await,
        Method::GET,
        &[("user-agent", APPLE_PREVIEW), ("accept-language", "en-US")],
    )
    .await;
    // The previewer is sent to the page, whose preview tags it reads.
    assert_eq!(previewed.status(), StatusCode::FOUND);
    assert_eq!(previewed.headers()["location"], "https://shop.example/a");
    let head = hit(
        &link_of(&app, key, &a, people[2]).await,
        Method::HEAD,
        &[("user-agent", IPHONE), ("accept-language", "en-US")],
    )
    .await;
    assert_eq!(head.status(), StatusCode::FOUND);

    // An order each, after the click; u2 also ordered before any message (no campaign's).
    order(&app, &account, "u2", 99.0, &ago(240)).await;
    order(&app, &account, "u0", 42.5, &ago(0)).await;
    order(&app, &account, "u1", 10.25, &ago(0)).await;
    order(&app, &account, "u2", 7.0, &ago(0)).await;

    let ra = report_when(&app, key, &a, |r| r["bot_clicks"] == 2).await;
    assert_eq!(ra["human_clicks"], 1, "{ra}");
    assert_eq!(ra["bot_clicks_by_reason"]["previewer"], 1, "{ra}");
    assert_eq!(ra["bot_clicks_by_reason"]["head"], 1, "{ra}");
    // u1's order follows a human click on A: A's, though B reached u1 later.
    assert_eq!(ra["conversions"], 1, "{ra}");
    assert_eq!(ra["revenue"], 10.25, "{ra}");
    assert_eq!(ra["assisted_conversions"], 2, "{ra}");
    assert_eq!(ra["currency"], "USD");
    let rb = report(&app, key, &b).await;
    // u0's and u2's orders: B's, the latest delivery (a preview is no click).
    assert_eq!(rb["conversions"], 2, "{rb}");
    assert_eq!(rb["revenue"], 49.5, "{rb}");
    assert_eq!(rb["assisted_conversions"], 1, "{rb}");
    assert_eq!(rb["human_clicks"], 0, "{rb}");
    // Three orders in a window, three credits: the one before every message is nobody's.
    assert_eq!(
        ra["conversions"].as_u64().unwrap() + rb["conversions"].as_u64().unwrap(),
        3
    );
    assert_eq!(ra["sent"], 3);
    assert_eq!(ra["delivered"], 3);
    assert!((ra["revenue_per_message"].as_f64().unwrap() - 10.25 / 3.0).abs() < 1e-9);
    let points = ra["chart"]["points"].as_array().unwrap();
    let sum = |what: &str| {
        points
            .iter()
            .map(|p| p[what].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(
        (sum("sent"), sum("human_clicks"), sum("conversions")),
        (3, 1, 1),
        "{ra}"
    );
    // Progress counts people only.
    let progress = app
        .get(&format!("/api/v1/campaigns/{a}/progress"), key)
        .await;
    assert_eq!(progress.body["clicks"], 1, "{}", progress.text);

    // The recipients, filtered by conversion, and the CSV export.
    let converted = app
        .get(
            &format!("/api/v1/campaigns/{a}/recipients?converted=true"),
            key,
        )
        .await;
    assert_eq!(converted.status, StatusCode::OK, "{}", converted.text);
    let rows = converted.body.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{}", converted.text);
    assert_eq!(rows[0]["contact_id"], people[1]);
    assert_eq!(rows[0]["human_clicks"], 1);
    assert_eq!(rows[0]["revenue"], 10.25);
    let history: Vec<&str> = rows[0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert!(history.contains(&"delivered"), "{history:?}");
    let others = app
        .get(
            &format!("/api/v1/campaigns/{a}/recipients?converted=false&limit=1"),
            key,
        )
        .await;
    assert_eq!(others.body.as_array().unwrap().len(), 1, "{}", others.text);
    assert_ne!(others.body[0]["contact_id"], people[1]);
    let csv = app
        .client
        .get(format!("{}/api/v1/campaigns/{a}/export.csv", app.address))
        .header("authorization", format!("Bearer {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "phone,state,reason,last_status,human_clicks,converted,revenue"
    );
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines.contains(&"+14155550101,sent,,delivered,1,true,10.25"),
        "{csv}"
    );
    assert!(
        lines.contains(&"+14155550100,sent,,delivered,0,false,0"),
        "{csv}"
    );

    // A shorter window counts the past anew: B's deliveries (two hours ago) no longer hold the
    // orders, A's click (just now) still holds u1's.
    put_step(
        &app,
        key,
        &b,
        "goals",
        json!({"event": "Order Completed", "window_hours": 1, "revenue_property": "total"}),
    )
    .await;
    let rb = report(&app, key, &b).await;
    assert_eq!(rb["conversions"], 0, "{rb}");
    assert_eq!(rb["goal"]["window_hours"], 1, "{rb}");
    let ra = report(&app, key, &a).await;
    assert_eq!(ra["conversions"], 3, "{ra}");
    assert_eq!(ra["assisted_conversions"], 0, "{ra}");

    // A click opens a window of its own: with an hour's window, A's delivery three hours ago
    // holds nothing, u1's click just now still holds u1's order.
    let goal = |hours: u32| json!({"event": "Order Completed", "window_hours": hours, "revenue_property": "total"});
    put_step(&app, key, &a, "goals", goal(1)).await;
    let ra = report(&app, key, &a).await;
    assert_eq!(
        (
            ra["conversions"].as_u64(),
            ra["assisted_conversions"].as_u64()
        ),
        (Some(1), Some(0)),
        "{ra}"
    );
    put_step(&app, key, &a, "goals", goal(72)).await;

    // A goal that is not complete is refused after launch, and the report keeps the last.
    let bad = app
        .call(
            Method::PUT,
            &format!("/api/v1/campaigns/{b}/steps/goals"),
            Some(key),
            Some(json!({"event": "", "window_hours": 1})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);

    // Deleting a contact erases their rows: the figures count without them.
    let deleted = app
        .delete(&format!("/api/v1/contacts/{}", people[1]), key)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    let ra = report(&app, key, &a).await;
    assert_eq!(ra["recipients"], 2, "{ra}");
    assert_eq!(ra["human_clicks"], 0, "{ra}");
    assert_eq!(ra["conversions"], 2, "{ra}");

    // Another account reads none of it.
    let other = app.create_account("globex").await;
    for path in ["report", "recipients", "export.csv"] {
        let hidden = app
            .get(&format!("/api/v1/campaigns/{a}/{path}"), &other.key)
            .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn a_holdout_is_kept_unsent_and_its_conversions_make_the_lift() {
    let app = spawn_app().await;
    let account = slow_receipts(&app).await;
    let key = &account.key;
    let n = 200;
    let mut csv = String::from("external_id,phone,consent\n");
    for i in 0..n {
        csv.push_str(&format!("h{i},+1415555{:04},subscribed\n", 1000 + i));
    }
    let imported = app.import_and_wait(key, &csv, &[]).await;
    assert_eq!(imported["created"], n, "{imported}");

    // More than half is refused.
    let draft = campaign(&app, key, "y", json!({"holdout_percent": 51})).await;
    let check = app
        .get(&format!("/api/v1/campaigns/{draft}/check"), key)
        .await;
    assert!(check.text.contains("holdout_percent"), "{}", check.text);

    let id = sent_campaign(
        &app,
        &account,
        "Sale: https://shop.example/s",
        json!({"holdout_percent": 25}),
        1,
    )
    .await;
    let all = messages(&app, key, &id).await;
    let held: Vec<&Value> = all.iter().filter(|m| m["reason"] == "holdout").collect();
    // 25 % of 200, within about three standard deviations (6.1 each).
    assert!((32..=68).contains(&held.len()), "{} held out", held.len());
    assert!(
        held.iter()
            .all(|m| m["state"] == "skipped" && m["provider_sid"].is_null())
    );
    // Every held-out recipient orders, and as many sent ones: the lift is known.
    let user = |m: &Value| {
        let phone = m["to"].as_str().unwrap();
        format!(
            "h{}",
            phone[phone.len() - 4..].parse::<usize>().unwrap() - 1000
        )
    };
    let mut sent_buyers = 0;
    for m in &all {
        let held_out = m["reason"] == "holdout";
        if held_out || sent_buyers < held.len() {
            order(&app, &account, &user(m), 5.0, &ago(0)).await;
            sent_buyers += usize::from(!held_out);
        }
    }
    let r = report(&app, key, &id).await;
    assert_eq!(r["holdout"], held.len(), "{r}");
    assert!(r["skipped_by_reason"].get("holdout").is_none(), "{r}");
    let lift = &r["lift"];
    let sent = (n - held.len()) as f64;
    assert_eq!(lift["holdout_converted"], held.len(), "{r}");
    assert_eq!(lift["sent_converted"], sent_buyers, "{r}");
    assert_eq!(lift["holdout_rate"], 1.0, "{r}");
    let rate = sent_buyers as f64 / sent;
    assert!(
        (lift["sent_rate"].as_f64().unwrap() - rate).abs() < 1e-9,
        "{r}"
    );
    assert!(
        (lift["difference"].as_f64().unwrap() - (rate - 1.0)).abs() < 1e-9,
        "{r}"
    );
    assert!(
        lift["low"].as_f64().unwrap() <= lift["high"].as_f64().unwrap(),
        "{r}"
    );
    // Held-out orders are nobody's conversions; the sent buyers' are the campaign's.
    assert_eq!(r["conversions"], sent_buyers, "{r}");
    let held_rows = app
        .get(
            &format!("/api/v1/campaigns/{id}/recipients?reason=holdout&limit=500"),
            key,
        )
        .await;
    assert_eq!(held_rows.body.as_array().unwrap().len(), held.len());
}
