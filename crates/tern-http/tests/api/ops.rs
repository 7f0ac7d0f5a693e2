use reqwest::{Method, StatusCode};
use tern_testkit::spawn_app;

#[tokio::test]
async fn health_and_readiness_answer_anyone_and_metrics_only_the_operator() {
    let app = spawn_app().await;
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None).await.body["status"],
        "ok"
    );
    let ready = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        (ready.status, ready.body["status"].as_str()),
        (StatusCode::OK, Some("ready"))
    );

    app.call(Method::GET, "/api/v1/account", None, None).await;
    let anonymous = app.call(Method::GET, "/metrics", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let acme = app.create_account("acme").await;
    let with_a_key = app
        .call(Method::GET, "/metrics", Some(&acme.key), None)
        .await;
    assert_eq!(
        with_a_key.status,
        StatusCode::UNAUTHORIZED,
        "an account's key is no operator"
    );
    let metrics = app
        .call(
            Method::GET,
            "/metrics",
            Some(tern_testkit::ADMIN_TOKEN),
            None,
        )
        .await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(
        metrics.text.contains(
            r#"tern_http_requests_total{method="GET",route="/api/v1/account",status="401"}"#
        ),
        "{}",
        metrics.text
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_unknown_routes_are_json_404s() {
    let app = spawn_app().await;
    let reply = app.call(Method::GET, "/no/such/route", None, None).await;
    assert_eq!(
        (reply.status, reply.body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let id = reply.headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");

    let given = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-me-42");
}

#[tokio::test]
async fn a_nul_character_is_refused_wherever_it_comes_in() {
    // PostgreSQL cannot store a NUL: without this, these were internal errors there.
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let created = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            serde_json::json!({"external_id": "a", "attributes": {"note": "x\u{0}y"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::BAD_REQUEST, "{}", created.text);
    assert_eq!(created.body["error"]["code"], "bad_request");
    for path in ["/api/v1/contacts?search=%00", "/m/a%00b", "/l/a%00b"] {
        let reply = app.call(Method::GET, path, Some(&acme.key), None).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.text
        );
    }
    let login = app
        .client
        .post(format!("{}/login", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=a%00b&password=x&csrf=y")
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::BAD_REQUEST);
    let listed = app.get("/api/v1/contacts", &acme.key).await;
    assert_eq!(
        listed.body["contacts"],
        serde_json::json!([]),
        "nothing stored"
    );
}
