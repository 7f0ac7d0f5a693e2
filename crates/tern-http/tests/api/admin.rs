use reqwest::{Method, StatusCode};
use serde_json::json;
use tern_testkit::spawn_app;

#[tokio::test]
async fn the_operator_creates_accounts_toggles_mms_and_issues_keys() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    assert!(acme.write_key.starts_with("wk_"));

    let duplicate = app
        .admin(
            Method::POST,
            "/api/v1/admin/accounts",
            Some(json!({ "name": "acme" })),
        )
        .await;
    assert_eq!(
        (duplicate.status, duplicate.body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let bad = app
        .admin(
            Method::POST,
            "/api/v1/admin/accounts",
            Some(json!({ "name": "two words" })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["error"]["field"], "name");

    let enabled = app
        .admin(
            Method::PUT,
            "/api/v1/admin/accounts/acme/mms",
            Some(json!({ "enabled": true })),
        )
        .await;
    assert_eq!(
        (enabled.status, enabled.body["mms_enabled"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    assert_eq!(
        app.get("/api/v1/settings", &acme.key).await.body["mms_enabled"],
        true
    );
    let by_id = app
        .admin(
            Method::GET,
            &format!("/api/v1/admin/accounts/{}", acme.id),
            None,
        )
        .await;
    assert_eq!(by_id.body["name"], "acme");
    assert_eq!(
        app.admin(Method::GET, "/api/v1/admin/accounts/nobody", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let listed = app.admin(Method::GET, "/api/v1/admin/accounts", None).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    let revoked = app
        .admin(
            Method::DELETE,
            &format!("/api/v1/admin/keys/{}", acme.key_id),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/account", &acme.key).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn malformed_bodies_get_specific_errors_and_change_nothing() {
    let app = spawn_app().await;
    let url = format!("{}/api/v1/admin/accounts", app.address);
    let send = |body: reqwest::Body, content_type: &'static str| {
        app.client
            .post(&url)
            .bearer_auth(tern_testkit::ADMIN_TOKEN)
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let broken = send("{\"name\": ".into(), "application/json")
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    let unknown = send(
        r#"{"name":"a","mms_enabled":true}"#.into(),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("unknown field `mms_enabled`")
    );
    let not_json = send("name=a".into(), "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = format!(r#"{{"name":"{}"}}"#, "a".repeat(2 << 20));
    let too_large = send(huge.into(), "application/json").await.unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = too_large.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");

    let listed = app.admin(Method::GET, "/api/v1/admin/accounts", None).await;
    assert_eq!(
        listed.body,
        json!([]),
        "no refused request created anything"
    );
}
