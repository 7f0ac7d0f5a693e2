//! Contacts through the API: upsert by external id or phone, consent with its history,
//! timezones, listing with filters and cursor, erasure.

use reqwest::StatusCode;
use serde_json::json;
use tern_testkit::spawn_app;

#[tokio::test]
async fn a_contact_is_created_then_updated_by_either_key() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let created = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"external_id": "u1", "phone": "(415) 555-0123", "default_region": "US",
                   "attributes": {"first_name": "Ada", "tier": "gold"}, "consent": "subscribed"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(created.body["phone"], "+14155550123");
    assert_eq!(created.body["country"], "US");
    assert_eq!(created.body["timezone"], "America/Los_Angeles");
    assert_eq!(created.body["timezone_source"], "phone");
    assert_eq!(created.body["consent_source"], "api");

    // The phone alone finds the same contact; attributes merge, null removes.
    let updated = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"phone": "+14155550123", "attributes": {"tier": null, "timezone": "Europe/Paris"}}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.body["id"], id);
    assert_eq!(
        updated.body["attributes"],
        json!({"first_name": "Ada", "timezone": "Europe/Paris"})
    );
    assert_eq!(
        (
            updated.body["timezone"].as_str(),
            updated.body["timezone_source"].as_str()
        ),
        (Some("Europe/Paris"), Some("attribute"))
    );

    let same = app
        .post("/api/v1/contacts", &acme.key, json!({"external_id": "u1"}))
        .await;
    assert_eq!(
        (same.status, &same.body["revision"]),
        (StatusCode::OK, &updated.body["revision"]),
        "nothing to change, nothing changed"
    );

    let unsubscribed = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"external_id": "u1", "consent": "unsubscribed"}),
        )
        .await;
    assert_eq!(unsubscribed.body["consent"], "unsubscribed");
    let history = app
        .get(&format!("/api/v1/contacts/{id}/consent"), &acme.key)
        .await;
    let consents: Vec<&str> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["consent"].as_str().unwrap())
        .collect();
    assert_eq!(consents, ["subscribed", "unsubscribed"]);
}

#[tokio::test]
async fn bad_contacts_are_refused_with_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let cases = [
        (json!({"external_id": "u1", "phone": "+1 555"}), "phone"),
        (json!({"attributes": {"a": 1}}), "external_id"),
        (json!({"external_id": "u1", "consent": "maybe"}), "consent"),
        (
            json!({"external_id": "u1", "attributes": [1, 2]}),
            "attributes",
        ),
        (
            json!({"external_id": "u1", "phone": "4155550123", "default_region": "XX"}),
            "default_region",
        ),
    ];
    for (body, field) in cases {
        let reply = app.post("/api/v1/contacts", &acme.key, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            reply.text
        );
        assert_eq!(reply.body["error"]["field"], field, "{body}");
    }
    let unknown_field = app
        .post("/api/v1/contacts", &acme.key, json!({"externalId": "u1"}))
        .await;
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);

    app.post(
        "/api/v1/contacts",
        &acme.key,
        json!({"external_id": "u1", "phone": "+14155550123"}),
    )
    .await;
    let taken = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"external_id": "u2", "phone": "+14155550123"}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        taken.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("belongs to another contact")
    );
    let all = app.get("/api/v1/contacts", &acme.key).await;
    assert_eq!(
        all.body["contacts"].as_array().unwrap().len(),
        1,
        "the refusals stored nothing"
    );
}

#[tokio::test]
async fn listing_filters_and_pages_and_erasure_removes_everything() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    for (i, (phone, consent)) in [
        ("+14155550101", "subscribed"),
        ("+33612345678", "unknown"),
        ("+61255501234", "subscribed"),
    ]
    .iter()
    .enumerate()
    {
        let r = app
            .post(
                "/api/v1/contacts",
                &acme.key,
                json!({"external_id": format!("u{i}"), "phone": phone, "consent": consent}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let first = app.get("/api/v1/contacts?limit=2", &acme.key).await;
    assert_eq!(first.body["contacts"].as_array().unwrap().len(), 2);
    let after = first.body["next_after"].as_i64().unwrap();
    let rest = app
        .get(
            &format!("/api/v1/contacts?limit=2&after={after}"),
            &acme.key,
        )
        .await;
    assert_eq!(rest.body["contacts"][0]["external_id"], "u2");
    assert!(rest.body["next_after"].is_null());
    let subscribed = app
        .get("/api/v1/contacts?consent=subscribed&country=au", &acme.key)
        .await;
    assert_eq!(subscribed.body["contacts"][0]["external_id"], "u2");
    let search = app.get("/api/v1/contacts?search=%2B336", &acme.key).await;
    assert_eq!(search.body["contacts"][0]["country"], "FR");
    assert_eq!(search.body["contacts"][0]["timezone"], "Europe/Paris");
    for bad in ["limit=0", "consent=yes", "after=x", "colour=red"] {
        let r = app.get(&format!("/api/v1/contacts?{bad}"), &acme.key).await;
        assert!(r.status.is_client_error(), "{bad}: {}", r.status);
    }

    let id = first.body["contacts"][0]["id"].as_i64().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/contacts/{id}"), &acme.key)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{id}"), &acme.key)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/contacts/{id}/consent"), &acme.key)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("/api/v1/contacts/{id}"), &acme.key)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
