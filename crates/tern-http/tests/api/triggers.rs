//! Cart Reminder and Welcome campaigns: activated by launch, fired by the shop's events and by
//! subscriptions received after activation, each trigger settled once and never after an order.
//! Event times are set in the past so that a 15-minute delay falls due at once.

use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tern_testkit::{TestAccount, TestApp, spawn_app};

use crate::campaign_send::{contact, put_step, sandbox_account};

/// A time `minutes` ago, as Segment's libraries write it.
pub(crate) fn ago(minutes: i64) -> String {
    (Utc::now() - chrono::Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) async fn track(
    app: &TestApp,
    account: &TestAccount,
    user: &str,
    event: &str,
    properties: Value,
    at: &str,
) {
    let reply = app
        .segment(
            "/v1/track",
            &account.write_key,
            json!({"userId": user, "event": event, "properties": properties, "timestamp": at}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

pub(crate) fn product(id: &str, price: f64) -> Value {
    json!({"product_id": id, "name": format!("Product {id}"), "price": price, "quantity": 1,
        "currency": "USD", "url": format!("https://shop.example/{id}")})
}

/// A triggered campaign of `kind` with these rules and body, launched: active.
pub(crate) async fn activated(
    app: &TestApp,
    key: &str,
    kind: &str,
    rules: Value,
    body: &str,
) -> String {
    let created = app
        .post(
            "/api/v1/campaigns",
            key,
            json!({"name": format!("{kind} campaign"), "type": kind}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();
    put_step(app, key, &id, "rules", rules).await;
    put_step(app, key, &id, "design", json!({"body": body})).await;
    if kind == "cart_reminder" {
        put_step(
            app,
            key,
            &id,
            "goals",
            json!({"event": "Order Completed", "window_hours": 72}),
        )
        .await;
    }
    put_step(app, key, &id, "launch", json!({})).await;
    let launched = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), key, json!({}))
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{}", launched.text);
    assert_eq!(launched.body["status"], "active");
    id
}

pub(crate) async fn triggers(app: &TestApp, key: &str, campaign: &str) -> Value {
    let reply = app
        .get(&format!("/api/v1/campaigns/{campaign}/triggers"), key)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body
}

/// The campaign's triggers of `contact` once `done` holds for them (fails after 20 s).
pub(crate) async fn wait_triggers(
    app: &TestApp,
    key: &str,
    campaign: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let start = Instant::now();
    loop {
        let page = triggers(app, key, campaign).await;
        if done(&page) {
            return page;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "still {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn of(page: &Value, contact: i64) -> Vec<Value> {
    page["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["contact_id"] == contact)
        .cloned()
        .collect()
}

async fn messages(app: &TestApp, key: &str, campaign: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/campaigns/{campaign}/messages"), key)
        .await
        .body
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn an_abandoned_cart_is_reminded_once_after_its_delay_and_never_after_an_order() {
    let app = spawn_app().await;
    let acme = sandbox_account(&app, 50).await;
    let key = acme.key.as_str();
    let mut ids = Vec::new();
    for (n, user) in ["backlog", "ann", "orders", "browses", "late-order", "cheap"]
        .iter()
        .enumerate()
    {
        let phone = format!("+1415555{:04}", 100 + n);
        ids.push(
            contact(
                &app,
                key,
                json!({"external_id": user, "phone": phone, "consent": "subscribed"}),
            )
            .await,
        );
    }
    // A cart left before the campaign existed: switching it on messages no backlog.
    track(
        &app,
        &acme,
        "backlog",
        "Product Added",
        product("p1", 30.0),
        &ago(40),
    )
    .await;
    let campaign = activated(
        &app,
        key,
        "cart_reminder",
        json!({"delay_minutes": 15, "min_cart_value": 20}),
        "You left {{ cart.item_count }} item(s) worth {{ cart.total }} {{ cart.currency }}",
    )
    .await;

    track(
        &app,
        &acme,
        "ann",
        "Product Added",
        product("p1", 30.0),
        &ago(20),
    )
    .await;
    track(
        &app,
        &acme,
        "orders",
        "Product Added",
        product("p1", 30.0),
        &ago(20),
    )
    .await;
    track(
        &app,
        &acme,
        "orders",
        "Order Completed",
        json!({"total": 30}),
        &ago(19),
    )
    .await;
    // Activity restarts the timer: due 15 minutes after the last one, not the first.
    track(
        &app,
        &acme,
        "browses",
        "Product Added",
        product("p1", 30.0),
        &ago(30),
    )
    .await;
    track(
        &app,
        &acme,
        "browses",
        "Cart Viewed",
        json!({"products": [product("p1", 30.0)]}),
        &ago(1),
    )
    .await;
    // An order that arrives after a later cart event, with its own (earlier) time.
    track(
        &app,
        &acme,
        "late-order",
        "Product Added",
        product("p1", 30.0),
        &ago(30),
    )
    .await;
    track(
        &app,
        &acme,
        "late-order",
        "Cart Viewed",
        json!({"products": [product("p1", 30.0)]}),
        &ago(20),
    )
    .await;
    track(
        &app,
        &acme,
        "late-order",
        "Order Completed",
        json!({"total": 30}),
        &ago(25),
    )
    .await;
    // Below the rule's minimum value.
    track(
        &app,
        &acme,
        "cheap",
        "Product Added",
        product("p2", 5.0),
        &ago(20),
    )
    .await;

    let page = wait_triggers(&app, key, &campaign, |page| {
        page["counts"]["sent"] == 1 && page["counts"]["skipped"] == 1
    })
    .await;
    assert!(of(&page, ids[0]).is_empty(), "the backlog fired: {page}");
    let ann = &of(&page, ids[1])[0];
    assert_eq!(
        (ann["state"].as_str(), ann["cause"].as_str()),
        (Some("sent"), Some("cart"))
    );
    let orders = &of(&page, ids[2])[0];
    assert_eq!(
        (orders["state"].as_str(), orders["reason"].as_str()),
        (Some("cancelled"), Some("ordered"))
    );
    let browses = &of(&page, ids[3])[0];
    assert_eq!(browses["state"], "waiting");
    let due: chrono::DateTime<Utc> = browses["due_at"].as_str().unwrap().parse().unwrap();
    assert!(
        due > Utc::now() + chrono::Duration::minutes(13),
        "{browses}"
    );
    let late = &of(&page, ids[4])[0];
    assert_eq!(
        (late["state"].as_str(), late["reason"].as_str()),
        (Some("cancelled"), Some("ordered"))
    );
    let cheap = &of(&page, ids[5])[0];
    assert_eq!(
        (cheap["state"].as_str(), cheap["reason"].as_str()),
        (Some("skipped"), Some("below_min_value"))
    );

    let sent = messages(&app, key, &campaign).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["contact_id"], ids[1]);
    assert_eq!(
        sent[0]["body"].as_str().unwrap().lines().next(),
        Some("You left 1 item(s) worth 30 USD")
    );
    assert_eq!(ann["message_id"], sent[0]["id"]);

    // Handed to the provider (a reminder still queued would be cancelled by the order).
    let start = Instant::now();
    while messages(&app, key, &campaign).await[0]["state"] != "sent" {
        assert!(start.elapsed() < Duration::from_secs(20));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // More events of the same cart occurrence find nothing new: one reminder per occurrence.
    track(
        &app,
        &acme,
        "ann",
        "Product Added",
        product("p3", 10.0),
        &ago(18),
    )
    .await;
    // Ann orders, then fills a new cart: within the rule's period (7 days) it is not reminded.
    track(
        &app,
        &acme,
        "ann",
        "Order Completed",
        json!({"total": 40}),
        &ago(17),
    )
    .await;
    track(
        &app,
        &acme,
        "ann",
        "Product Added",
        product("p4", 50.0),
        &ago(16),
    )
    .await;
    let page = wait_triggers(&app, key, &campaign, |page| {
        of(page, ids[1]).iter().any(|t| t["reason"] == "period")
    })
    .await;
    assert_eq!(of(&page, ids[1]).len(), 2, "{page}");
    assert_eq!(messages(&app, key, &campaign).await.len(), 1);
}

#[tokio::test]
async fn cancelling_an_active_campaign_cancels_what_waits_and_finds_nothing_more() {
    let app = spawn_app().await;
    let acme = sandbox_account(&app, 50).await;
    let key = acme.key.as_str();
    let ann = contact(
        &app,
        key,
        json!({"external_id": "ann", "phone": "+14155550100", "consent": "subscribed"}),
    )
    .await;
    let campaign = activated(
        &app,
        key,
        "cart_reminder",
        json!({"delay_minutes": 60}),
        "Your cart misses you",
    )
    .await;
    track(
        &app,
        &acme,
        "ann",
        "Product Added",
        product("p1", 30.0),
        &ago(1),
    )
    .await;
    let page = triggers(&app, key, &campaign).await;
    assert_eq!(of(&page, ann)[0]["state"], "waiting", "{page}");
    let paused = app
        .post(
            &format!("/api/v1/campaigns/{campaign}/pause"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(paused.body["status"], "paused", "{}", paused.text);
    let resumed = app
        .post(
            &format!("/api/v1/campaigns/{campaign}/resume"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(resumed.body["status"], "active", "{}", resumed.text);
    let cancelled = app
        .post(
            &format!("/api/v1/campaigns/{campaign}/cancel"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.text);
    let page = triggers(&app, key, &campaign).await;
    assert_eq!(
        (
            of(&page, ann)[0]["state"].as_str(),
            of(&page, ann)[0]["reason"].as_str()
        ),
        (Some("cancelled"), Some("campaign_cancelled"))
    );
    track(
        &app,
        &acme,
        "ann",
        "Product Added",
        product("p9", 30.0),
        &ago(0),
    )
    .await;
    track(&app, &acme, "ann", "Order Completed", json!({}), &ago(0)).await;
    track(
        &app,
        &acme,
        "ann",
        "Product Added",
        product("p9", 30.0),
        &ago(0),
    )
    .await;
    assert_eq!(
        triggers(&app, key, &campaign).await["triggers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The contact's profile shows each trigger and what became of it.
    let profile = app
        .get(&format!("/api/v1/contacts/{ann}/profile"), key)
        .await
        .body;
    let shown = &profile["triggers"][0];
    assert_eq!(
        (shown["campaign_name"].as_str(), shown["reason"].as_str()),
        (Some("cart_reminder campaign"), Some("campaign_cancelled")),
        "{profile}"
    );
    // Another account cannot read them.
    let other = app.create_account("other").await;
    let foreign = app
        .get(
            &format!("/api/v1/campaigns/{campaign}/triggers"),
            &other.key,
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_new_subscriber_is_welcomed_once_and_one_subscribed_before_activation_never() {
    let app = spawn_app().await;
    let acme = sandbox_account(&app, 50).await;
    let key = acme.key.as_str();
    let before = contact(
        &app,
        key,
        json!({"external_id": "old", "phone": "+14155550100", "consent": "subscribed"}),
    )
    .await;
    let campaign = activated(
        &app,
        key,
        "welcome",
        json!({"delay_minutes": 0}),
        "Welcome to Acme!",
    )
    .await;
    let new = contact(
        &app,
        key,
        json!({"external_id": "new", "phone": "+14155550101", "consent": "subscribed"}),
    )
    .await;
    let unknown = contact(
        &app,
        key,
        json!({"external_id": "quiet", "phone": "+14155550102"}),
    )
    .await;
    // Written again, still subscribed: no second welcome.
    let again = app
        .post("/api/v1/contacts", key, json!({"external_id": "new", "phone": "+14155550101", "consent": "subscribed", "attributes": {"tier": "gold"}}))
        .await;
    assert!(again.status.is_success(), "{}", again.text);
    let page = wait_triggers(&app, key, &campaign, |page| page["counts"]["sent"] == 1).await;
    assert_eq!(page["triggers"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(of(&page, new)[0]["cause"], "subscribed");
    assert!(of(&page, before).is_empty() && of(&page, unknown).is_empty());
    let sent = messages(&app, key, &campaign).await;
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]["body"]
            .as_str()
            .unwrap()
            .starts_with("Welcome to Acme!")
    );

    // With a delay, the welcome waits for it.
    let waits = activated(
        &app,
        key,
        "welcome",
        json!({"delay_minutes": 30}),
        "Hello again",
    )
    .await;
    let later = contact(
        &app,
        key,
        json!({"external_id": "later", "phone": "+14155550103", "consent": "subscribed"}),
    )
    .await;
    let waiting = triggers(&app, key, &waits).await;
    assert_eq!(of(&waiting, later)[0]["state"], "waiting", "{waiting}");
}

#[tokio::test]
async fn an_mms_reminder_carries_the_products_own_picture_from_the_shops_domain_only() {
    use tern_testkit::images;
    // The shop: one product picture, on 127.0.0.1 (the tests' node may fetch private addresses).
    let shop = axum::Router::new().route(
        "/p1.jpg",
        axum::routing::get(|| async { images::jpeg(400, 300, 7) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shop_address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, shop).await });

    let app = spawn_app().await;
    let acme = sandbox_account(&app, 50).await;
    let key = acme.key.as_str();
    app.admin(
        reqwest::Method::PUT,
        &format!("/api/v1/admin/accounts/{}/mms", acme.id),
        Some(json!({"enabled": true})),
    )
    .await;
    let own = app
        .patch(
            "/api/v1/settings",
            key,
            json!({"own_domains": ["127.0.0.1"]}),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    let fallback = app
        .upload("/api/v1/media", key, "sale.jpg", images::jpeg(320, 240, 1))
        .await;
    assert_eq!(fallback.status, StatusCode::CREATED, "{}", fallback.text);
    let created = app
        .post(
            "/api/v1/campaigns",
            key,
            json!({"name": "Carts", "type": "cart_reminder", "channel": "mms"}),
        )
        .await;
    let campaign = created.body["id"].as_str().unwrap().to_owned();
    put_step(&app, key, &campaign, "rules", json!({"delay_minutes": 15})).await;
    put_step(
        &app,
        key,
        &campaign,
        "design",
        json!({"body": "Still yours: {{ cart.total }}",
        "media": [fallback.body["id"]], "product_picture": true}),
    )
    .await;
    put_step(
        &app,
        key,
        &campaign,
        "goals",
        json!({"event": "Order Completed", "window_hours": 24}),
    )
    .await;
    put_step(&app, key, &campaign, "launch", json!({})).await;
    let launched = app
        .post(
            &format!("/api/v1/campaigns/{campaign}/launch"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(launched.body["status"], "active", "{}", launched.text);

    let ann = contact(
        &app,
        key,
        json!({"external_id": "ann", "phone": "+14155550100", "consent": "subscribed"}),
    )
    .await;
    let bob = contact(
        &app,
        key,
        json!({"external_id": "bob", "phone": "+14155550101", "consent": "subscribed"}),
    )
    .await;
    let mut own_picture = product("p1", 30.0);
    own_picture["image_url"] = json!(format!("http://{shop_address}/p1.jpg"));
    let mut elsewhere = product("p2", 30.0);
    elsewhere["image_url"] = json!("http://203.0.113.9/p2.jpg");
    track(&app, &acme, "ann", "Product Added", own_picture, &ago(20)).await;
    track(&app, &acme, "bob", "Product Added", elsewhere, &ago(20)).await;
    wait_triggers(&app, key, &campaign, |page| page["counts"]["sent"] == 2).await;

    let sent = messages(&app, key, &campaign).await;
    let media_of = |contact: i64| {
        sent.iter()
            .find(|m| m["contact_id"] == contact)
            .map(|m| m["media"].clone())
            .unwrap()
    };
    // Bob's picture is not on the shop's domain: the campaign's picture.
    assert_eq!(media_of(bob), json!([fallback.body["url"]]));
    // Ann's is the product's own, checked, cleaned and kept in the media library.
    let ann_media = media_of(ann);
    assert_ne!(ann_media, json!([fallback.body["url"]]), "{sent:?}");
    let library = app.get("/api/v1/media", key).await.body;
    let kept = library
        .as_array()
        .unwrap()
        .iter()
        .find(|m| json!([m["url"]]) == ann_media)
        .unwrap_or_else(|| panic!("{ann_media} not in {library}"));
    assert_eq!(
        (kept["width"].as_u64(), kept["file_name"].as_str()),
        (Some(400), Some("p1.jpg"))
    );
    let (status, _, bytes) = app.fetch(ann_media[0].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "a JPEG");
}
