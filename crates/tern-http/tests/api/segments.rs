//! Segments through the API: validation that points at the node, CRUD, live counts and samples.

use reqwest::StatusCode;
use serde_json::json;
use tern_testkit::spawn_app;

#[tokio::test]
async fn a_segment_counts_its_members_and_a_bad_definition_points_at_the_node() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    for (id, phone, tier, consent) in [
        ("u1", "+14155550101", "gold", "subscribed"),
        ("u2", "+16045550102", "gold", "unsubscribed"),
        ("u3", "+33612345678", "silver", "subscribed"),
    ] {
        app.post("/api/v1/contacts", &acme.key, json!({"external_id": id, "phone": phone, "attributes": {"tier": tier}, "consent": consent}))
            .await;
    }
    let order = json!({"batch": [
        {"type": "track", "userId": "u1", "event": "Order Completed", "messageId": "o1", "properties": {"total": 80}},
        {"type": "track", "userId": "u3", "event": "Order Completed", "messageId": "o2", "properties": {"total": 20}}
    ]});
    assert_eq!(
        app.segment("/v1/batch", &acme.write_key, order)
            .await
            .status,
        StatusCode::OK
    );

    let definition = json!({"and": [
        {"consent": "subscribed"},
        {"attribute": "tier", "op": "=", "value": "gold"},
        {"event": "Order Completed", "within_days": 30, "where": [{"property": "total", "op": ">", "value": 50}]}
    ]});
    let created = app
        .post(
            "/api/v1/segments",
            &acme.key,
            json!({"name": "Gold buyers", "definition": definition}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_str().unwrap();
    let audience = app
        .get(
            &format!("/api/v1/segments/{id}/audience?sample=5"),
            &acme.key,
        )
        .await;
    assert_eq!(audience.body["count"], 1, "{}", audience.text);
    assert_eq!(audience.body["sample"][0]["external_id"], "u1");

    let wider = app
        .post(
            "/api/v1/segments/preview",
            &acme.key,
            json!({"definition": {"not": {"country": "FR"}}, "sample": 0}),
        )
        .await;
    assert_eq!(
        (
            wider.body["count"].as_u64(),
            wider.body["sample"].as_array().map(Vec::len)
        ),
        (Some(2), Some(0))
    );

    let bad = app
        .post(
            "/api/v1/segments",
            &acme.key,
            json!({"name": "Broken", "definition": {"or": [{"consent": "subscribed"}, {"attribute": "tier", "op": "≈", "value": 1}]}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["error"]["code"], "invalid_definition");
    assert_eq!(bad.body["error"]["problems"][0]["path"], "/or/1/op");

    let twin = app
        .post(
            "/api/v1/segments",
            &acme.key,
            json!({"name": "Gold buyers", "definition": {"consent": "subscribed"}}),
        )
        .await;
    assert_eq!(twin.status, StatusCode::CONFLICT);
    let renamed = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/segments/{id}"),
            Some(&acme.key),
            Some(json!({"name": "Subscribers", "definition": {"consent": "subscribed"}})),
        )
        .await;
    assert_eq!(renamed.body["name"], "Subscribers", "{}", renamed.text);
    assert_eq!(
        app.get(&format!("/api/v1/segments/{id}/audience"), &acme.key)
            .await
            .body["count"],
        2
    );
    assert_eq!(
        app.get("/api/v1/segments", &acme.key)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.delete(&format!("/api/v1/segments/{id}"), &acme.key)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/api/v1/segments/{id}"), &acme.key)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
