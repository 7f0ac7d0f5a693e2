//! Every account route, called with another account's key, must neither reach nor reveal that
//! account's data. Routes come from the OpenAPI document, so a new route joins this test by
//! itself; a path parameter without a fixture below fails the test until one is added.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::json;
use tern_testkit::{TestAccount, spawn_app};

#[tokio::test]
async fn no_account_route_reaches_or_reveals_another_accounts_data() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let globex = app.create_account("globex").await;
    let secret_number = "+14155550199";
    let seeded = app
        .patch(
            "/api/v1/settings",
            &globex.key,
            json!({ "test_numbers": [secret_number], "timezone": "Asia/Tokyo" }),
        )
        .await;
    assert_eq!(seeded.status, StatusCode::OK);

    // Path parameter name → globex's resource of that kind.
    let media = app
        .upload(
            "/api/v1/media",
            &globex.key,
            "globex-logo.gif",
            tern_testkit::images::animated_gif(2),
        )
        .await;
    assert_eq!(media.status, StatusCode::CREATED);
    let media_id = media.body["id"].as_str().unwrap().to_owned();
    let media_token = media.body["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();

    let contact = app
        .post(
            "/api/v1/contacts",
            &globex.key,
            json!({"external_id": "globex-vip", "phone": "+14155550177", "attributes": {"secret": "globex-plan"}}),
        )
        .await;
    assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.text);
    let contact_id = contact.body["id"].to_string();
    let segment = app
        .post(
            "/api/v1/segments",
            &globex.key,
            json!({"name": "globex-segment", "definition": {"attribute": "secret", "op": "exists"}}),
        )
        .await;
    assert_eq!(segment.status, StatusCode::CREATED, "{}", segment.text);
    let segment_id = segment.body["id"].as_str().unwrap().to_owned();
    let import = app
        .import_and_wait(
            &globex.key,
            "external_id,phone\nglobex-imported,+14155550188\n",
            &[],
        )
        .await;
    let import_id = import["id"].as_str().unwrap().to_owned();

    let campaign = app
        .post(
            "/api/v1/campaigns",
            &globex.key,
            json!({"name": "globex-campaign", "type": "single"}),
        )
        .await;
    assert_eq!(campaign.status, StatusCode::CREATED, "{}", campaign.text);
    let campaign_id = campaign.body["id"].as_str().unwrap().to_owned();

    let fixtures: HashMap<&str, String> = HashMap::from([
        ("campaign_id", campaign_id.clone()),
        ("step", "segments".to_owned()),
        ("key_id", globex.key_id.clone()),
        ("media_id", media_id.clone()),
        ("contact_id", contact_id.clone()),
        ("segment_id", segment_id.clone()),
        ("import_id", import_id.clone()),
    ]);
    let globex_marks = [
        globex.id.as_str(),
        globex.write_key.as_str(),
        globex.key_id.as_str(),
        "globex",
        secret_number,
        "Asia/Tokyo",
        media_id.as_str(),
        media_token.as_str(),
        "globex-vip",
        "globex-plan",
        "+14155550177",
        "globex-segment",
        segment_id.as_str(),
        "globex-imported",
        "globex-campaign",
        campaign_id.as_str(),
        import_id.as_str(),
    ];

    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .body;
    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/api/v1/admin/") {
            continue;
        }
        for method in operations.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let (url, has_params) = fill(path, &fixtures);
            let body =
                matches!(method, Method::POST | Method::PUT | Method::PATCH).then(|| json!({}));
            let reply = app.call(method.clone(), &url, Some(&acme.key), body).await;
            if has_params {
                assert_eq!(
                    reply.status,
                    StatusCode::NOT_FOUND,
                    "{method} {url} with another account's key: {}",
                    reply.text
                );
            }
            assert!(
                reply.status.as_u16() < 500,
                "{method} {url}: {}",
                reply.text
            );
            for mark in globex_marks {
                assert!(
                    !reply.text.contains(mark),
                    "{method} {url} revealed {mark:?}: {}",
                    reply.text
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} routes checked");
    assert_untouched(&app, &globex, secret_number).await;
    let contacts = app.get("/api/v1/contacts", &globex.key).await;
    assert_eq!(
        contacts.body["contacts"].as_array().unwrap().len(),
        2,
        "globex's contacts are intact"
    );
    let counted = app
        .get(
            &format!("/api/v1/segments/{segment_id}/audience"),
            &globex.key,
        )
        .await;
    assert_eq!(
        counted.body["count"], 1,
        "acme's calls changed nothing of globex's"
    );
}

/// Replaces `{name}` segments with fixtures; panics naming a parameter that has none.
fn fill(path: &str, fixtures: &HashMap<&str, String>) -> (String, bool) {
    let mut has_params = false;
    let url = path
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => {
                    has_params = true;
                    fixtures
                        .get(name)
                        .unwrap_or_else(|| {
                            panic!("{path}: add an isolation fixture for {{{name}}}")
                        })
                        .clone()
                }
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/");
    (url, has_params)
}

async fn assert_untouched(app: &tern_testkit::TestApp, globex: &TestAccount, number: &str) {
    let settings = app.get("/api/v1/settings", &globex.key).await;
    assert_eq!(settings.status, StatusCode::OK, "globex's key still works");
    assert_eq!(settings.body["test_numbers"], json!([number]));
    assert_eq!(settings.body["timezone"], "Asia/Tokyo");
    assert_eq!(
        app.get("/api/v1/media", &globex.key)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1,
        "globex's media is still there"
    );
}
