use reqwest::StatusCode;
use serde_json::json;
use tern_testkit::spawn_app;

#[tokio::test]
async fn settings_start_with_the_defaults() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let settings = app.get("/api/v1/settings", &acme.key).await;
    assert_eq!(settings.status, StatusCode::OK);
    assert_eq!(
        settings.body["quiet_hours"],
        json!({ "allowed_from": "08:00", "allowed_until": "21:00" })
    );
    assert_eq!(
        (
            settings.body["timezone"].as_str(),
            settings.body["twilio_configured"].as_bool()
        ),
        (Some("UTC"), Some(false))
    );
    assert_eq!(settings.body["mms_enabled"], false);
    // The AI writer is on for the account, but this node has no endpoint to offer it with.
    assert_eq!(
        (&settings.body["ai_writer"], &settings.body["ai_endpoint"]),
        (&json!(true), &json!(false))
    );
    assert_eq!(
        settings.body["brand_voice"],
        json!({"description": "", "use_words": [], "avoid_words": [], "examples": []})
    );
}

#[tokio::test]
async fn a_patch_changes_what_it_names_and_credentials_are_never_shown() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let token = "0123456789abcdef0123456789abcdef";
    let patch = json!({
        "timezone": "Europe/Istanbul",
        "frequency_cap": { "messages": 2, "days": 7 },
        "test_numbers": ["+1 (415) 555-2671"],
        "senders": [{ "country": "us", "kind": "phone_number", "address": "+15017122661", "segments_per_second": 1 }],
        "prices": { "currency": "USD", "per_segment": { "US": "0.0079" } },
        "twilio": { "account_sid": format!("AC{}", "a".repeat(32)), "auth_token": token },
    });
    let reply = app.patch("/api/v1/settings", &acme.key, patch).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["test_numbers"], json!(["+14155552671"]));
    assert_eq!(reply.body["senders"][0]["country"], "US");
    assert_eq!(reply.body["twilio_configured"], true);
    assert_eq!(
        reply.body["quiet_hours"]["allowed_from"], "08:00",
        "unnamed settings keep their value"
    );

    let shown = app.get("/api/v1/settings", &acme.key).await;
    assert!(
        !shown.text.contains(token) && !shown.text.contains(&"a".repeat(32)),
        "{}",
        shown.text
    );
    let stored = app.store.settings(acme.id.parse().unwrap()).await.unwrap();
    let sealed = stored.twilio.unwrap().auth_token_sealed;
    assert!(!sealed.contains(token), "the token is sealed at rest");

    let removed = app
        .patch(
            "/api/v1/settings",
            &acme.key,
            json!({ "twilio": null, "frequency_cap": null }),
        )
        .await;
    assert_eq!(
        (
            removed.body["twilio_configured"].as_bool(),
            removed.body["frequency_cap"].is_null()
        ),
        (Some(false), true)
    );
}

#[tokio::test]
async fn a_bad_field_is_refused_by_name_and_nothing_changes() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let patch = json!({
        "timezone": "Europe/Istanbul",
        "senders": [{ "country": "US", "kind": "messaging_service", "address": "MG123", "segments_per_second": 1 }],
    });
    let reply = app.patch("/api/v1/settings", &acme.key, patch).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["error"]["field"], "senders[0].address");
    assert_eq!(
        app.get("/api/v1/settings", &acme.key).await.body["timezone"],
        "UTC"
    );

    for (patch, field) in [
        (json!({ "timezone": "Mars/Olympus" }), "timezone"),
        (
            json!({ "quiet_hours": { "allowed_from": "25:00", "allowed_until": "21:00" } }),
            "quiet_hours",
        ),
        (json!({ "test_numbers": ["12345"] }), "test_numbers[0]"),
        (
            json!({ "twilio": { "account_sid": "AC1", "auth_token": "x" } }),
            "twilio.account_sid",
        ),
        (
            json!({ "prices": { "currency": "USD", "per_segment": { "US": "cheap" } } }),
            "prices.per_segment.US",
        ),
        (
            json!({ "brand_voice": { "examples": ["a", "b", "c", "d", "e", "f"] } }),
            "brand_voice.examples",
        ),
        (
            json!({ "brand_voice": { "avoid_words": ["x".repeat(41)] } }),
            "brand_voice.avoid_words[0]",
        ),
    ] {
        let reply = app.patch("/api/v1/settings", &acme.key, patch).await;
        assert_eq!(
            (reply.status, reply.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field))
        );
    }
    let operator_only = app
        .patch(
            "/api/v1/settings",
            &acme.key,
            json!({ "mms_enabled": true }),
        )
        .await;
    assert_eq!(operator_only.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get("/api/v1/account", &acme.key).await.body["mms_enabled"],
        false
    );
}
