use reqwest::{Method, StatusCode};
use tern_testkit::spawn_app;

#[tokio::test]
async fn the_openapi_document_is_valid_openapi_3_and_lists_the_routes() {
    let app = spawn_app().await;
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc.body["paths"].as_object().unwrap();
    for path in [
        "/api/v1/account",
        "/api/v1/settings",
        "/api/v1/keys/{key_id}",
        "/api/v1/admin/accounts",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    assert!(doc.body["paths"]["/api/v1/settings"]["patch"]["requestBody"].is_object());
    // Regression (found by Schemathesis): a contact upsert without `attributes` is accepted,
    // so the document must not call it required.
    let upsert = &doc.body["components"]["schemas"]["ContactRequest"];
    assert!(upsert["properties"]["attributes"].is_object(), "{upsert}");
    assert!(
        !upsert["required"]
            .as_array()
            .is_some_and(|r| r.iter().any(|f| f == "attributes")),
        "{upsert}"
    );
    // The report's routes, and the export's type.
    for path in ["report", "recipients", "export.csv"] {
        assert!(
            paths.contains_key(&format!("/api/v1/campaigns/{{campaign_id}}/{path}")),
            "{path}"
        );
    }
    let export = &doc.body["paths"]["/api/v1/campaigns/{campaign_id}/export.csv"]["get"];
    assert!(
        export["responses"]["200"]["content"]["text/csv"].is_object(),
        "{export}"
    );

    // The official validator, when .ci/run has installed it.
    if std::env::var("TERN_VALIDATE_OPENAPI").as_deref() == Ok("1") {
        let file = std::env::temp_dir().join(format!("tern-openapi-{}.json", std::process::id()));
        std::fs::write(&file, &doc.text).unwrap();
        let out = std::process::Command::new("python3")
            .args(["-m", "openapi_spec_validator"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
