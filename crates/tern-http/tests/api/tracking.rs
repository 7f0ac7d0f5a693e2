//! Segment-compatible ingestion: write-key auth, identify/track/batch, deduplication, carts,
//! size limits.

use reqwest::StatusCode;
use serde_json::json;
use tern_testkit::spawn_app;

#[tokio::test]
async fn the_write_key_sets_consent_only_where_allowed_and_never_ends_an_opt_out() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let identify = |user: &str, consent: bool| json!({"userId": user, "traits": {"phone": if user == "u1" { "+14155550101" } else { "+14155550102" }, "sms_consent": consent}});
    let consent_of = |user: &'static str| {
        let app = &app;
        let key = acme.key.clone();
        async move {
            let found = app
                .get(&format!("/api/v1/contacts?search={user}"), &key)
                .await
                .body;
            found["contacts"][0]["consent"].as_str().unwrap().to_owned()
        }
    };
    let sent = app
        .segment("/v1/identify", &acme.write_key, identify("u1", true))
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert_eq!(consent_of("u1").await, "unknown", "off by default");

    let allowed = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/settings",
            Some(&acme.key),
            Some(json!({"identify_sets_consent": true})),
        )
        .await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.text);
    app.segment("/v1/identify", &acme.write_key, identify("u1", true))
        .await;
    assert_eq!(consent_of("u1").await, "subscribed");

    // An opt-out through the API (or STOP) is not undone by the write key, allowed or not.
    let out = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"external_id": "u1", "consent": "unsubscribed"}),
        )
        .await;
    assert_eq!(out.body["consent"], "unsubscribed", "{}", out.text);
    let again = app
        .segment("/v1/identify", &acme.write_key, identify("u1", true))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(consent_of("u1").await, "unsubscribed");
    let history = app
        .get(
            &format!("/api/v1/contacts/{}/consent", out.body["id"]),
            &acme.key,
        )
        .await
        .body;
    let sources: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["identify", "api"]);
}

#[tokio::test]
async fn identify_and_track_build_the_contact_its_events_and_its_cart() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let identify = app
        .segment(
            "/v1/identify",
            &acme.write_key,
            json!({"userId": "shopper-1", "anonymousId": "anon-1",
                   "traits": {"phone": "+14155550123", "first_name": "Ada", "sms_consent": true}}),
        )
        .await;
    assert_eq!(identify.status, StatusCode::OK, "{}", identify.text);
    let added = json!({"type": "track", "userId": "shopper-1", "event": "Product Added", "messageId": "m1",
        "timestamp": "2026-11-01T10:00:00Z",
        "properties": {"product_id": "p1", "name": "Linen shirt", "price": 39.5, "quantity": 2,
                       "image_url": "https://shop.example/p1.jpg", "url": "https://shop.example/p1"}});
    let batch = json!({"batch": [added.clone(), added, {"type": "page", "userId": "shopper-1", "name": "Home"}]});
    let first = app
        .segment("/v1/batch", &acme.write_key, batch.clone())
        .await;
    assert_eq!(
        (
            first.body["recorded"].as_u64(),
            first.body["duplicates"].as_u64()
        ),
        (Some(1), Some(1)),
        "{}",
        first.text
    );
    let again = app.segment("/v1/batch", &acme.write_key, batch).await;
    assert_eq!(again.body["recorded"], 0, "a retried batch records nothing");

    let contacts = app.get("/api/v1/contacts", &acme.key).await.body;
    let contact = &contacts["contacts"][0];
    assert_eq!(contacts["contacts"].as_array().unwrap().len(), 1);
    assert_eq!(
        (contact["external_id"].as_str(), contact["phone"].as_str()),
        (Some("shopper-1"), Some("+14155550123"))
    );
    assert_eq!(
        (
            contact["consent"].as_str(),
            contact["consent_source"].as_str()
        ),
        (Some("unknown"), None),
        "the public write key sets no consent unless the account allows it"
    );
    assert_eq!(contact["attributes"], json!({"first_name": "Ada"}));
    let id = contact["id"].as_i64().unwrap();
    let detail = app
        .get(&format!("/api/v1/contacts/{id}"), &acme.key)
        .await
        .body;
    assert_eq!(detail["cart"]["total"], 79.0);
    assert_eq!(
        detail["cart"]["items"][0]["image_url"],
        "https://shop.example/p1.jpg"
    );
    let events = app
        .get(&format!("/api/v1/contacts/{id}/events"), &acme.key)
        .await
        .body;
    assert_eq!(events[0]["occurred_at"], "2026-11-01T10:00:00Z");

    for kind in ["page", "screen", "group", "alias"] {
        let other = app
            .segment(
                &format!("/v1/{kind}"),
                &acme.write_key,
                json!({"userId": "shopper-1", "name": "Home", "groupId": "g", "previousId": "p"}),
            )
            .await;
        assert_eq!(
            (other.status, other.body["recorded"].as_u64()),
            (StatusCode::OK, Some(0)),
            "{kind}: {}",
            other.text
        );
    }
    let ordered = app
        .segment(
            "/v1/track",
            &acme.write_key,
            json!({"userId": "shopper-1", "event": "Order Completed", "properties": {"total": 79}}),
        )
        .await;
    assert_eq!(ordered.body["carts_changed"], 1);
    let detail = app
        .get(&format!("/api/v1/contacts/{id}"), &acme.key)
        .await
        .body;
    assert_eq!(
        (
            detail["cart"]["status"].as_str(),
            detail["cart"]["total"].as_f64()
        ),
        (Some("ordered"), Some(0.0))
    );
}

#[tokio::test]
async fn bad_calls_are_refused_whole_with_a_clear_reason() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let no_key = app
        .call(reqwest::Method::POST, "/v1/track", None, Some(json!({})))
        .await;
    assert_eq!(no_key.status, StatusCode::UNAUTHORIZED);
    let wrong_key = app
        .segment(
            "/v1/track",
            "wk_nobody",
            json!({"userId": "u", "event": "x"}),
        )
        .await;
    assert_eq!(wrong_key.status, StatusCode::UNAUTHORIZED);
    let api_key = app
        .segment("/v1/track", &acme.key, json!({"userId": "u", "event": "x"}))
        .await;
    assert_eq!(
        api_key.status,
        StatusCode::UNAUTHORIZED,
        "an API key is not a write key"
    );

    let bad_phone = app
        .segment(
            "/v1/batch",
            &acme.write_key,
            json!({"batch": [
                {"type": "track", "userId": "u1", "event": "Signed Up"},
                {"type": "identify", "userId": "u2", "traits": {"phone": "+1 555"}}
            ]}),
        )
        .await;
    assert_eq!(bad_phone.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_phone.body["error"]["field"], "batch[1].traits.phone");
    let no_event = app
        .segment(
            "/v1/batch",
            &acme.write_key,
            json!({"batch": [{"type": "track", "userId": "u1"}]}),
        )
        .await;
    assert_eq!(no_event.body["error"]["field"], "batch[0]");
    assert!(
        app.get("/api/v1/contacts", &acme.key).await.body["contacts"]
            .as_array()
            .unwrap()
            .is_empty(),
        "refused batches stored nothing"
    );

    let big_call =
        json!({"userId": "u1", "event": "x", "properties": {"blob": "x".repeat(33 * 1024)}});
    let too_big = app.segment("/v1/track", &acme.write_key, big_call).await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        too_big.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("32768")
    );
    let calls: Vec<_> = (0..20).map(|i| json!({"type": "track", "userId": format!("u{i}"), "event": "x", "properties": {"blob": "y".repeat(30 * 1024)}})).collect();
    let too_big = app
        .segment("/v1/batch", &acme.write_key, json!({"batch": calls}))
        .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        too_big.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("512000")
    );
}
