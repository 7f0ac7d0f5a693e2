//! A contact's profile, in the API and on the contact page: why a person got a message, or did
//! not — each message with its campaign's name, state, reason and timeline, beside consent,
//! events and the cart; another account's contact stays out of reach.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tern_testkit::{TestAccount, TestApp, spawn_app};

use crate::panel::{Browser, PASSWORD, user};

const CAMPAIGN: &str = "Autumn <sale> & more";

async fn contact(app: &TestApp, key: &str, body: Value) -> i64 {
    let reply = app.post("/api/v1/contacts", key, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["id"].as_i64().unwrap()
}

async fn put_step(app: &TestApp, key: &str, id: &str, step: &str, body: Value) {
    let path = format!("/api/v1/campaigns/{id}/steps/{step}");
    let reply = app.call(Method::PUT, &path, Some(key), Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

/// An account on the sandbox sending at any hour, with a subscribed contact who has a cart and
/// an unsubscribed one; returns the account and the two contacts.
async fn shop(app: &TestApp) -> (TestAccount, i64, i64) {
    let acme = app.create_account("acme").await;
    let settings = app
        .patch(
            "/api/v1/settings",
            &acme.key,
            json!({
                "senders": [{"country": "US", "kind": "phone_number", "address": "+15005550006", "segments_per_second": 50}],
                "quiet_hours": {"allowed_from": "00:00", "allowed_until": "23:59"},
                "sandbox": {"latency_ms": 50, "failure_percent": 0},
            }),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    let ann = contact(
        app,
        &acme.key,
        json!({"external_id": "shopper-1", "phone": "+14155550100", "consent": "subscribed",
               "attributes": {"first_name": "Ann", "tier": "gold"}}),
    )
    .await;
    let bob = contact(
        app,
        &acme.key,
        json!({"phone": "+14155550101", "consent": "unsubscribed",
               "attributes": {"first_name": "<b>Bob</b>"}}),
    )
    .await;
    let added = json!({"type": "track", "userId": "shopper-1", "event": "Product Added", "messageId": "m1",
        "properties": {"product_id": "p1", "name": "Linen shirt", "price": 39.5, "quantity": 2}});
    let tracked = app.segment("/v1/track", &acme.write_key, added).await;
    assert_eq!(tracked.status, StatusCode::OK, "{}", tracked.text);
    (acme, ann, bob)
}

/// Launches a Single SMS campaign to everyone and waits until it is completed and delivered.
async fn send_campaign(app: &TestApp, key: &str) -> String {
    let segment = app
        .post(
            "/api/v1/segments",
            key,
            json!({"name": "Everyone", "definition": {"consent": ["subscribed", "unsubscribed", "unknown"]}}),
        )
        .await;
    assert_eq!(segment.status, StatusCode::CREATED, "{}", segment.text);
    let created = app
        .post(
            "/api/v1/campaigns",
            key,
            json!({"name": CAMPAIGN, "type": "single", "channel": "sms"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let include = json!({"include": [segment.body["id"]]});
    put_step(app, key, &id, "segments", include).await;
    put_step(
        app,
        key,
        &id,
        "design",
        json!({"body": "Hi {{ first_name }}, 20% off"}),
    )
    .await;
    let goals = json!({"event": "Order Completed", "window_hours": 72});
    put_step(app, key, &id, "goals", goals).await;
    put_step(app, key, &id, "launch", json!({})).await;
    let launched = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), key, json!({}))
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{}", launched.text);
    let start = Instant::now();
    loop {
        let progress = app
            .get(&format!("/api/v1/campaigns/{id}/progress"), key)
            .await
            .body;
        if progress["status"] == "completed" && progress["delivered"] == 1 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "still {progress}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    id
}

#[tokio::test]
async fn the_profile_lists_each_message_with_its_campaign_and_why_it_was_skipped() {
    let app = spawn_app().await;
    let (acme, ann, bob) = shop(&app).await;
    let campaign = send_campaign(&app, &acme.key).await;

    let got = app
        .get(&format!("/api/v1/contacts/{ann}/profile"), &acme.key)
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    let profile = &got.body;
    assert_eq!(profile["contact"]["attributes"]["tier"], "gold");
    assert_eq!(
        profile["contact"]["cart"]["items"][0]["name"],
        "Linen shirt"
    );
    assert_eq!(profile["events"][0]["name"], "Product Added");
    assert_eq!(profile["consent_history"][0]["consent"], "subscribed");
    assert_eq!(profile["consent_history"][0]["source"], "api");
    let sent = &profile["messages"][0];
    assert_eq!(
        profile["messages"].as_array().unwrap().len(),
        1,
        "{profile}"
    );
    assert_eq!(sent["campaign_id"], campaign.as_str());
    assert_eq!(sent["campaign_name"], CAMPAIGN);
    assert_eq!(sent["state"], "sent");
    assert_eq!(sent["provider_status"], "delivered");
    assert!(
        sent["body"]
            .as_str()
            .unwrap()
            .starts_with("Hi Ann, 20% off")
    );
    let steps: Vec<&str> = sent["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["due", "handed_to_provider", "accepted", "provider_status"],
        "{sent}"
    );
    assert_eq!(sent["timeline"][3]["detail"], "delivered");

    let skipped = app
        .get(&format!("/api/v1/contacts/{bob}/profile"), &acme.key)
        .await;
    assert_eq!(skipped.status, StatusCode::OK, "{}", skipped.text);
    let message = &skipped.body["messages"][0];
    assert_eq!(message["campaign_name"], CAMPAIGN);
    assert_eq!(message["state"], "skipped");
    assert_eq!(message["reason"], "unsubscribed");
    assert_eq!(message["timeline"][0]["step"], "skipped");
    assert!(skipped.body["contact"]["cart"].is_null());

    // Another account's contact, one that does not exist and a malformed id: not found.
    let globex = app.create_account("globex").await;
    for (key, id) in [
        (&globex.key, ann.to_string()),
        (&acme.key, "999999".into()),
        (&acme.key, "abc".into()),
    ] {
        let reply = app
            .get(&format!("/api/v1/contacts/{id}/profile"), key)
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{id}: {}", reply.text);
    }

    // The route and its answer are in the OpenAPI document.
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    let route = &doc["paths"]["/api/v1/contacts/{contact_id}/profile"]["get"];
    assert_eq!(route["operationId"], "get_contact_profile", "{route}");
    assert!(doc["components"]["schemas"]["ContactProfile"].is_object());
}

#[tokio::test]
async fn the_contact_page_says_which_campaign_skipped_the_contact_and_why() {
    let app = spawn_app().await;
    let (acme, ann, bob) = shop(&app).await;
    let campaign = send_campaign(&app, &acme.key).await;
    user(&app, &acme.id, "ann@acme.test").await;
    let mut browser = Browser::new(&app);
    assert_eq!(
        browser.sign_in("ann@acme.test", PASSWORD).await,
        StatusCode::SEE_OTHER
    );

    // The list links to each contact's page.
    let (status, _, list) = browser.get("/contacts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains(&format!("href=\"/contacts/{bob}\"")),
        "{list}"
    );

    let (status, _, page) = browser.get(&format!("/contacts/{bob}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Autumn &lt;sale&gt; &amp; more"), "{page}");
    assert!(
        !page.contains("<sale>") && !page.contains("<b>Bob"),
        "{page}"
    );
    assert!(page.contains(&format!("href=\"/campaigns/{campaign}\"")));
    assert!(page.contains("Unsubscribed"), "the reason in words: {page}");
    assert!(page.contains("The API"), "what changed the consent: {page}");

    let (status, _, page) = browser.get(&format!("/contacts/{ann}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Accepted by the provider") && page.contains("delivered"));
    assert!(page.contains("Linen shirt") && page.contains("Product Added"));

    // Another account's contact, an unknown id and a malformed one: the 404 page.
    let globex = app.create_account("globex").await;
    let theirs = contact(
        &app,
        &globex.key,
        json!({"phone": "+14155550102", "attributes": {"first_name": "Theirs"}}),
    )
    .await;
    for path in [
        format!("/contacts/{theirs}"),
        "/contacts/999999".to_owned(),
        "/contacts/not-a-number".to_owned(),
    ] {
        let (status, _, page) = browser.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.contains("Theirs"));
    }
}
