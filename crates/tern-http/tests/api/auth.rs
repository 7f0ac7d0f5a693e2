use reqwest::{Method, StatusCode};
use tern_testkit::spawn_app;

#[tokio::test]
async fn requests_without_a_valid_key_are_refused_with_a_json_error() {
    let app = spawn_app().await;
    app.create_account("acme").await;

    let none = app.call(Method::GET, "/api/v1/account", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.body["error"]["code"], "unauthorized");
    assert!(
        none.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Bearer")
    );

    for bad in ["tern_0000", "not-a-key", ""] {
        let reply = app.get("/api/v1/settings", bad).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{bad:?}");
    }
}

#[tokio::test]
async fn a_key_works_until_revoked_and_records_its_last_use() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;

    let me = app.get("/api/v1/account", &acme.key).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        (me.body["id"].as_str(), me.body["name"].as_str()),
        (Some(acme.id.as_str()), Some("acme"))
    );
    let keys = app.get("/api/v1/keys", &acme.key).await;
    assert!(keys.body[0]["last_used_at"].is_string(), "{}", keys.text);
    assert!(
        keys.text
            .contains(&keys.body[0]["prefix"].as_str().unwrap().to_owned())
    );
    assert!(
        !keys.text.contains(&acme.key),
        "the key itself is never shown again"
    );

    let revoked = app
        .call(
            Method::DELETE,
            &format!("/api/v1/keys/{}", acme.key_id),
            Some(&acme.key),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(revoked.body["revoked_at"].is_string());
    assert_eq!(
        app.get("/api/v1/account", &acme.key).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn account_keys_and_wrong_tokens_cannot_use_the_admin_api() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let as_account = app
        .call(Method::GET, "/api/v1/admin/accounts", Some(&acme.key), None)
        .await;
    assert_eq!(as_account.status, StatusCode::UNAUTHORIZED);
    let wrong = app
        .call(
            Method::GET,
            "/api/v1/admin/accounts",
            Some("test-operator-token-012345678X"),
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let admin_as_account = app.get("/api/v1/account", tern_testkit::ADMIN_TOKEN).await;
    assert_eq!(admin_as_account.status, StatusCode::UNAUTHORIZED);
}
