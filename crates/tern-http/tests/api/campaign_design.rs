//! Designing, previewing and checking campaigns through the API: template problems with their
//! positions, the variables picker, previews for a contact or a sample, the estimate's
//! arithmetic, MMS outside AU/CA/US, the pre-launch check, and media kept while in use.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tern_testkit::{Reply, TestAccount, TestApp, images, spawn_app};

async fn put_step(app: &TestApp, key: &str, campaign: &str, step: &str, body: Value) -> Reply {
    app.call(
        Method::PUT,
        &format!("/api/v1/campaigns/{campaign}/steps/{step}"),
        Some(key),
        Some(body),
    )
    .await
}

async fn create_campaign(app: &TestApp, key: &str, body: Value) -> String {
    let created = app.post("/api/v1/campaigns", key, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    created.body["id"].as_str().unwrap().to_owned()
}

async fn contact(app: &TestApp, key: &str, body: Value) -> i64 {
    let reply = app.post("/api/v1/contacts", key, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["id"].as_i64().unwrap()
}

/// An account that may send MMS, with senders in the US, Canada and Britain and their prices.
async fn mms_account(app: &TestApp, name: &str) -> TestAccount {
    let account = app.create_account(name).await;
    app.admin(
        Method::PUT,
        &format!("/api/v1/admin/accounts/{}/mms", account.id),
        Some(json!({"enabled": true})),
    )
    .await;
    let sender = |country: &str, address: &str| json!({"country": country, "kind": "phone_number", "address": address, "segments_per_second": 10});
    let settings = app
        .patch(
            "/api/v1/settings",
            &account.key,
            json!({
                "senders": [sender("US", "+14155550100"), sender("CA", "+16135550100"), sender("GB", "+447400100100")],
                "prices": {"currency": "USD",
                    "per_segment": {"US": "0.0079", "CA": "0.0075", "GB": "0.04"},
                    "per_mms": {"US": "0.02", "CA": "0.025"}},
            }),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    account
}

async fn everyone(app: &TestApp, key: &str) -> String {
    let segment = app
        .post(
            "/api/v1/segments",
            key,
            json!({"name": "Everyone", "definition": {"consent": ["subscribed", "unsubscribed", "unknown"]}}),
        )
        .await;
    assert_eq!(segment.status, StatusCode::CREATED, "{}", segment.text);
    segment.body["id"].as_str().unwrap().to_owned()
}

fn codes(problems: &Value) -> Vec<(String, String)> {
    problems
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["field"].as_str().unwrap().to_owned(),
                p["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_single_mms_campaign_is_designed_previewed_estimated_and_checked() {
    let app = spawn_app().await;
    let acme = mms_account(&app, "acme").await;
    let key = acme.key.as_str();
    let ann = contact(&app, key, json!({"phone": "+14155550101", "consent": "subscribed", "attributes": {"first_name": "Ann"}})).await;
    for (phone, consent) in [
        ("+14155550102", "subscribed"),
        ("+14155550103", "subscribed"),
        ("+16135550104", "subscribed"),
        ("+14155550106", "unsubscribed"),
        ("+14155550107", "unknown"),
    ] {
        contact(&app, key, json!({"phone": phone, "consent": consent})).await;
    }
    let briton = contact(&app, key, json!({"phone": "+447400123456", "consent": "subscribed", "attributes": {"first_name": "Bob"}})).await;
    contact(
        &app,
        key,
        json!({"external_id": "no-phone", "consent": "subscribed"}),
    )
    .await;
    let segment = everyone(&app, key).await;
    let picture = app
        .upload("/api/v1/media", key, "sale.jpg", images::jpeg(320, 240, 7))
        .await;
    assert_eq!(picture.status, StatusCode::CREATED, "{}", picture.text);
    let media_id = picture.body["id"].as_str().unwrap().to_owned();

    let id = create_campaign(
        &app,
        key,
        json!({"name": "New in", "type": "single", "channel": "mms"}),
    )
    .await;
    put_step(&app, key, &id, "segments", json!({"include": [segment]})).await;
    put_step(
        &app,
        key,
        &id,
        "goals",
        json!({"event": "Order Completed", "window_hours": 72}),
    )
    .await;

    // A misspelt variable is reported with its place.
    let typo = put_step(
        &app,
        key,
        &id,
        "design",
        json!({"body": "Hi\n{{ frist_name }}", "media": [media_id]}),
    )
    .await;
    assert_eq!(typo.body["complete"], false);
    let problem = &typo.body["problems"][0];
    assert_eq!(
        (problem["field"].as_str(), problem["code"].as_str()),
        (Some("body"), Some("unknown_variable"))
    );
    assert_eq!(
        problem["position"],
        json!({"line": 2, "column": 4, "index": 6})
    );
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .contains("did you mean first_name?")
    );

    let variables = app
        .get(&format!("/api/v1/campaigns/{id}/variables"), key)
        .await;
    let names: Vec<&str> = variables
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"first_name") && names.contains(&"phone"),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("cart")),
        "no cart outside cart reminders"
    );

    let body = "Hi {{ first_name | default: \"there\" }}! New arrivals: https://shop.example/new";
    let design = put_step(
        &app,
        key,
        &id,
        "design",
        json!({"body": body, "media": [media_id]}),
    )
    .await;
    assert_eq!(design.body["complete"], true, "{}", design.text);

    // The sample is the audience's first contact; links are shortened and the footer added.
    let preview = app
        .post(&format!("/api/v1/campaigns/{id}/preview"), key, json!({}))
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert_eq!(preview.body["contact"]["id"], ann);
    let text = preview.body["text"].as_str().unwrap();
    assert!(
        text.starts_with("Hi Ann! New arrivals: http://127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.contains("/l/") && text.ends_with("\nReply STOP to opt out"),
        "{text}"
    );
    assert_eq!(preview.body["links"][0]["url"], "https://shop.example/new");
    assert_eq!(preview.body["route"], "mms");
    assert_eq!(preview.body["counters"]["channel"], "mms");
    assert_eq!(preview.body["counters"]["limit"], 1530);
    assert_eq!(preview.body["counters"]["characters"], text.chars().count());
    assert_eq!(preview.body["media"][0]["id"], media_id.as_str());
    assert!(
        preview.body["media"][0]["url"]
            .as_str()
            .unwrap()
            .contains("/m/")
    );
    assert!(preview.body["media"][0]["bytes"].as_u64().unwrap() > 0);
    // Bob is in Britain: an MMS campaign skips him by default.
    let bob = app
        .post(
            &format!("/api/v1/campaigns/{id}/preview"),
            key,
            json!({"contact_id": briton}),
        )
        .await;
    assert_eq!(
        (bob.body["route"].clone(), bob.body["skipped"].as_str()),
        (Value::Null, Some("outside_mms_countries"))
    );
    assert!(bob.body["text"].as_str().unwrap().starts_with("Hi Bob!"));

    // Launch is not complete until saved, even with nothing to choose but "now".
    let check = app.get(&format!("/api/v1/campaigns/{id}/check"), key).await;
    assert_eq!(
        check.body["problems"][0]["code"], "not_started",
        "{}",
        check.text
    );
    put_step(&app, key, &id, "launch", json!({"send_at": "now"})).await;
    let check = app.get(&format!("/api/v1/campaigns/{id}/check"), key).await;
    assert_eq!(check.body["ready"], true, "{}", check.text);
    let estimate = &check.body["estimate"];
    assert_eq!(estimate["audience"], 8);
    assert_eq!(estimate["recipients"], 4);
    assert_eq!(
        estimate["skipped"],
        json!({"invalid_phone": 1, "unsubscribed": 1, "no_consent": 1, "outside_mms_countries": 1, "no_sender": 0})
    );
    assert_eq!(estimate["messages"], json!({"sms": 0, "mms": 4}));
    // 3 × 0.02 (US) + 1 × 0.025 (CA)
    assert_eq!(estimate["cost"]["total"], "0.085");
    assert_eq!(check.body["launch"]["send_at"], Value::Null);

    // Outside AU/CA/US, the text goes as SMS with a link to the picture.
    let design = put_step(
        &app,
        key,
        &id,
        "design",
        json!({"body": body, "media": [media_id], "outside_mms_countries": "sms_with_link"}),
    )
    .await;
    assert_eq!(design.body["complete"], true, "{}", design.text);
    let bob = app
        .post(
            &format!("/api/v1/campaigns/{id}/preview"),
            key,
            json!({"contact_id": briton}),
        )
        .await;
    assert_eq!(bob.body["route"], "sms_with_link");
    assert_eq!(
        bob.body["links"].as_array().unwrap().len(),
        2,
        "{}",
        bob.text
    );
    let estimate = app
        .get(&format!("/api/v1/campaigns/{id}/audience"), key)
        .await
        .body;
    assert_eq!(estimate["messages"], json!({"sms": 1, "mms": 4}));
    let segments = estimate["sms_segments"].as_u64().unwrap();
    assert!(segments >= 1);
    let gb = estimate["cost"]["by_country"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["country"] == "GB")
        .unwrap()
        .clone();
    assert_eq!(
        gb["cost"].as_str().unwrap().parse::<f64>().unwrap(),
        segments as f64 * 0.04
    );

    // The picture stays while the campaign may send.
    let delete = app.delete(&format!("/api/v1/media/{media_id}"), key).await;
    assert_eq!(delete.status, StatusCode::CONFLICT);
    assert!(
        delete.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"New in\""),
        "{}",
        delete.text
    );
    app.post(&format!("/api/v1/campaigns/{id}/archive"), key, json!({}))
        .await;
    assert_eq!(
        app.delete(&format!("/api/v1/media/{media_id}"), key)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_pre_launch_check_names_every_problem_and_the_longest_personalisation() {
    let app = spawn_app().await;
    let acme = mms_account(&app, "acme").await;
    let key = acme.key.as_str();
    let long_name = "Maximilian".repeat(15);
    contact(&app, key, json!({"phone": "+14155550101", "consent": "subscribed", "attributes": {"first_name": "Al"}})).await;
    let long = contact(&app, key, json!({"phone": "+14155550102", "consent": "subscribed", "attributes": {"first_name": long_name}})).await;
    let segment = everyone(&app, key).await;
    let id = create_campaign(&app, key, json!({"name": "Short", "type": "single"})).await;
    put_step(&app, key, &id, "segments", json!({"include": [segment]})).await;
    put_step(
        &app,
        key,
        &id,
        "goals",
        json!({"event": "Order Completed", "window_hours": 24}),
    )
    .await;

    let bad = put_step(
        &app,
        key,
        &id,
        "design",
        json!({"body": "x".repeat(200), "max_segments": 1,
        "media": ["00000000-0000-4000-8000-000000000000"], "opt_out_footer": "yes"}),
    )
    .await;
    assert_eq!(
        codes(&bad.body["problems"]),
        [
            ("media".into(), "mms_only".into()),
            ("opt_out_footer".into(), "invalid".into()),
            ("body".into(), "too_long".into())
        ]
    );
    let launch = put_step(
        &app,
        key,
        &id,
        "launch",
        json!({"send_at": "2020-01-01T10:00", "throttle": 11}),
    )
    .await;
    assert_eq!(
        codes(&launch.body["problems"]),
        [
            ("send_at".into(), "in_the_past".into()),
            ("throttle".into(), "out_of_range".into())
        ]
    );
    let check = app
        .get(&format!("/api/v1/campaigns/{id}/check"), key)
        .await
        .body;
    assert_eq!(check["ready"], false);
    let steps: Vec<&str> = check["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["design", "design", "design", "launch", "launch"]);

    // One segment fits a contact of whom nothing is known, not the longest name.
    put_step(
        &app,
        key,
        &id,
        "design",
        json!({"body": "Hi {{ first_name }}, see you soon", "max_segments": 1}),
    )
    .await;
    put_step(
        &app,
        key,
        &id,
        "launch",
        json!({"send_at": "2099-01-01T10:00"}),
    )
    .await;
    let check = app
        .get(&format!("/api/v1/campaigns/{id}/check"), key)
        .await
        .body;
    let launch_time = check["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["step"] == "launch")
        .cloned();
    assert_eq!(
        launch_time.unwrap()["code"],
        "out_of_range",
        "more than a year ahead"
    );
    put_step(&app, key, &id, "launch", json!({})).await;
    let check = app
        .get(&format!("/api/v1/campaigns/{id}/check"), key)
        .await
        .body;
    assert_eq!(
        codes(&check["problems"]),
        [("body".into(), "too_long_for_some".into())],
        "{check}"
    );
    assert_eq!(check["longest"][0]["contact_id"], long);
    assert!(
        check["longest"][0]["text"]
            .as_str()
            .unwrap()
            .contains(&long_name)
    );
    assert_eq!(check["longest"][0]["counters"]["segments"], 2);
    put_step(
        &app,
        key,
        &id,
        "design",
        json!({"body": "Hi {{ first_name }}, see you soon", "max_segments": 2}),
    )
    .await;
    let check = app
        .get(&format!("/api/v1/campaigns/{id}/check"), key)
        .await
        .body;
    assert_eq!(check["ready"], true, "{check}");
    // SMS segments are counted at the longest text: 2 recipients × 2 segments × 0.0079.
    assert_eq!(check["estimate"]["sms_segments"], 4);
    assert_eq!(check["estimate"]["cost"]["total"], "0.0316");
}

#[tokio::test]
async fn cart_reminders_and_welcomes_reach_a_clean_check() {
    let app = spawn_app().await;
    let acme = mms_account(&app, "acme").await;
    let key = acme.key.as_str();
    let cart = create_campaign(&app, key, json!({"name": "Carts", "type": "cart_reminder"})).await;
    let variables = app
        .get(&format!("/api/v1/campaigns/{cart}/variables"), key)
        .await
        .body;
    assert!(
        variables
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["name"] == "cart.items"),
        "{variables}"
    );
    put_step(
        &app,
        key,
        &cart,
        "rules",
        json!({"delay_minutes": 60, "min_cart_value": 20}),
    )
    .await;
    let design = put_step(&app, key, &cart, "design", json!({
        "body": "Still thinking? {% for item in cart.items %}{{ item.name }}{% unless forloop.last %}, {% endunless %}{% endfor %} ({{ cart.total }} {{ cart.currency }})"})).await;
    assert_eq!(design.body["complete"], true, "{}", design.text);
    let typo = put_step(
        &app,
        key,
        &cart,
        "design",
        json!({"body": "{{ cart.totl }}"}),
    )
    .await;
    assert_eq!(typo.body["problems"][0]["code"], "unknown_variable");
    put_step(
        &app,
        key,
        &cart,
        "design",
        json!({"body": "Still thinking? {% for item in cart.items %}{{ item.name }} {% endfor %}"}),
    )
    .await;
    put_step(
        &app,
        key,
        &cart,
        "goals",
        json!({"event": "Order Completed", "window_hours": 48, "revenue_property": "total"}),
    )
    .await;
    put_step(
        &app,
        key,
        &cart,
        "launch",
        json!({"end_at": "2099-01-01T00:00"}),
    )
    .await;
    let preview = app
        .post(&format!("/api/v1/campaigns/{cart}/preview"), key, json!({}))
        .await;
    assert!(
        preview.body["text"]
            .as_str()
            .unwrap()
            .starts_with("Still thinking? Sample product Another product"),
        "{}",
        preview.text
    );
    let check = app
        .get(&format!("/api/v1/campaigns/{cart}/check"), key)
        .await
        .body;
    assert_eq!(check["problems"], json!([]));
    let end_at = check["launch"]["end_at"].as_str().unwrap();
    assert!(end_at.starts_with("2099-01-01"), "{end_at}");
    // A triggered campaign has end dates, recipients arrive later.
    assert_eq!(check["estimate"], Value::Null);
    assert_eq!(
        app.get(&format!("/api/v1/campaigns/{cart}/audience"), key)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let welcome = create_campaign(&app, key, json!({"name": "Hello", "type": "welcome"})).await;
    let goals = put_step(
        &app,
        key,
        &welcome,
        "goals",
        json!({"event": "x", "window_hours": 1}),
    )
    .await;
    assert_eq!(goals.status, StatusCode::UNPROCESSABLE_ENTITY);
    put_step(
        &app,
        key,
        &welcome,
        "design",
        json!({"body": "Welcome{% if first_name %}, {{ first_name }}{% endif %}!"}),
    )
    .await;
    put_step(&app, key, &welcome, "rules", json!({"delay_minutes": 0})).await;
    put_step(&app, key, &welcome, "launch", json!({})).await;
    // No contact of this account has a first_name yet: the template may not read it.
    let check = app
        .get(&format!("/api/v1/campaigns/{welcome}/check"), key)
        .await
        .body;
    assert_eq!(check["problems"][0]["code"], "unknown_variable", "{check}");
    contact(
        &app,
        key,
        json!({"phone": "+14155550101", "attributes": {"first_name": "Ann"}}),
    )
    .await;
    let check = app
        .get(&format!("/api/v1/campaigns/{welcome}/check"), key)
        .await
        .body;
    assert_eq!(check["ready"], true, "{check}");
}

#[tokio::test]
async fn mms_designs_follow_the_accounts_gate() {
    let app = spawn_app().await;
    let acme = mms_account(&app, "acme").await;
    let key = acme.key.as_str();
    let id = create_campaign(&app, key, json!({"name": "Pictures", "type": "welcome"})).await;
    // The design step may switch the channel; MMS is allowed here.
    let design = put_step(
        &app,
        key,
        &id,
        "design",
        json!({"channel": "mms", "body": "Welcome!"}),
    )
    .await;
    assert_eq!(design.body["complete"], true, "{}", design.text);
    assert_eq!(
        app.get(&format!("/api/v1/campaigns/{id}"), key).await.body["channel"],
        "mms"
    );
    put_step(&app, key, &id, "rules", json!({"delay_minutes": 0})).await;
    put_step(&app, key, &id, "launch", json!({})).await;
    // The operator withdraws MMS: the design now says why it cannot launch.
    app.admin(
        Method::PUT,
        &format!("/api/v1/admin/accounts/{}/mms", acme.id),
        Some(json!({"enabled": false})),
    )
    .await;
    let check = app
        .get(&format!("/api/v1/campaigns/{id}/check"), key)
        .await
        .body;
    assert_eq!(
        codes(&check["problems"]),
        [("channel".into(), "mms_unavailable".into())]
    );
    let switch = put_step(
        &app,
        key,
        &id,
        "design",
        json!({"channel": "mms", "body": "Welcome!"}),
    )
    .await;
    assert_eq!(switch.status, StatusCode::UNPROCESSABLE_ENTITY);
    let back = put_step(
        &app,
        key,
        &id,
        "design",
        json!({"channel": "sms", "body": "Welcome!"}),
    )
    .await;
    assert_eq!(back.body["complete"], true, "{}", back.text);

    // Another account's contact cannot be previewed.
    let globex = app.create_account("globex").await;
    let theirs = contact(
        &app,
        &globex.key,
        json!({"phone": "+14155550101", "attributes": {"first_name": "Secret"}}),
    )
    .await;
    let preview = app
        .post(
            &format!("/api/v1/campaigns/{id}/preview"),
            key,
            json!({"contact_id": theirs}),
        )
        .await;
    assert_eq!(preview.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!preview.text.contains("Secret"));
}

/// A Single MMS campaign of `segment`, every step but Design complete.
async fn mms_campaign(app: &TestApp, key: &str, name: &str, segment: &str) -> String {
    let id = create_campaign(
        app,
        key,
        json!({"name": name, "type": "single", "channel": "mms"}),
    )
    .await;
    put_step(app, key, &id, "segments", json!({"include": [segment]})).await;
    put_step(
        app,
        key,
        &id,
        "goals",
        json!({"event": "Order Completed", "window_hours": 72}),
    )
    .await;
    put_step(app, key, &id, "launch", json!({"send_at": "now"})).await;
    id
}

async fn picture(app: &TestApp, key: &str, name: &str, seed: u32) -> String {
    let uploaded = app
        .upload("/api/v1/media", key, name, images::jpeg(320, 240, seed))
        .await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.text);
    uploaded.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_second_picture_is_a_design_problem_and_launch_is_refused() {
    let app = spawn_app().await;
    let acme = mms_account(&app, "acme").await;
    let key = acme.key.as_str();
    contact(
        &app,
        key,
        json!({"phone": "+14155550101", "consent": "subscribed"}),
    )
    .await;
    let segment = everyone(&app, key).await;
    let first = picture(&app, key, "one.jpg", 7).await;
    let second = picture(&app, key, "two.jpg", 8).await;
    let id = mms_campaign(&app, key, "Two pictures", &segment).await;

    let two = put_step(
        &app,
        key,
        &id,
        "design",
        json!({"body": "New in", "media": [first, second]}),
    )
    .await;
    assert_eq!(
        two.status,
        StatusCode::OK,
        "the draft is saved: {}",
        two.text
    );
    assert_eq!(two.body["complete"], false);
    assert_eq!(
        codes(&two.body["problems"]),
        [("media".into(), "too_many".into())]
    );
    assert_eq!(
        two.body["problems"][0]["message"],
        "an MMS carries one picture; remove all but one"
    );
    let launched = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), key, json!({}))
        .await;
    assert_eq!(
        launched.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        launched.text
    );
    assert_eq!(launched.body["error"]["field"], "design.media");

    let one = put_step(
        &app,
        key,
        &id,
        "design",
        json!({"body": "New in", "media": [second]}),
    )
    .await;
    assert_eq!(one.body["complete"], true, "{}", one.text);
}

#[tokio::test]
async fn the_preview_starts_on_the_first_contact_who_would_receive_it_and_counts_the_skipped() {
    let app = spawn_app().await;
    let acme = mms_account(&app, "acme").await;
    let key = acme.key.as_str();
    // The audience's first two would be skipped by an MMS campaign: a Briton, an unsubscriber.
    contact(&app, key, json!({"phone": "+447400123456", "consent": "subscribed", "attributes": {"first_name": "Bob"}})).await;
    contact(&app, key, json!({"phone": "+14155550102", "consent": "unsubscribed", "attributes": {"first_name": "Cy"}})).await;
    let ann = contact(&app, key, json!({"phone": "+14155550101", "consent": "subscribed", "attributes": {"first_name": "Ann"}})).await;
    let segment = everyone(&app, key).await;
    let media_id = picture(&app, key, "sale.jpg", 7).await;
    let id = mms_campaign(&app, key, "First recipient", &segment).await;
    put_step(
        &app,
        key,
        &id,
        "design",
        json!({"body": "Hi {{ first_name | default: \"there\" }}", "media": [media_id]}),
    )
    .await;

    let preview = app
        .post(&format!("/api/v1/campaigns/{id}/preview"), key, json!({}))
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert_eq!(preview.body["contact"]["id"], ann, "{}", preview.text);
    assert_eq!(preview.body["route"], "mms");
    assert_eq!(preview.body["skipped"], Value::Null);
    assert!(preview.body["text"].as_str().unwrap().starts_with("Hi Ann"));
    let estimate = app
        .get(&format!("/api/v1/campaigns/{id}/audience"), key)
        .await
        .body;
    let audience = &preview.body["audience"];
    assert_eq!(
        (audience["audience"].clone(), audience["recipients"].clone()),
        (json!(3), json!(1))
    );
    assert_eq!(audience["skipped"]["outside_mms_countries"], 1);
    assert_eq!(audience["skipped"]["unsubscribed"], 1);
    assert_eq!(audience["skipped"], estimate["skipped"]);

    // Sent as SMS with a link outside AU/CA/US, the Briton receives it: the preview starts on him.
    let unsaved =
        json!({"body": "Hi", "media": [media_id], "outside_mms_countries": "sms_with_link"});
    let preview = app
        .post(
            &format!("/api/v1/campaigns/{id}/preview"),
            key,
            json!({"design": unsaved}),
        )
        .await;
    assert_eq!(preview.body["route"], "sms_with_link", "{}", preview.text);
    assert_eq!(
        preview.body["audience"]["skipped"]["outside_mms_countries"],
        0
    );
    assert_eq!(preview.body["audience"]["recipients"], 2);
}

#[tokio::test]
async fn the_preview_warns_of_variables_that_print_nothing_for_some_contacts() {
    let app = spawn_app().await;
    let acme = mms_account(&app, "acme").await;
    let key = acme.key.as_str();
    contact(&app, key, json!({"phone": "+14155550101", "consent": "subscribed", "attributes": {"first_name": "Ann", "city": "Reno", "tier": "gold"}})).await;
    contact(
        &app,
        key,
        json!({"phone": "+14155550102", "consent": "subscribed", "attributes": {"tier": "silver"}}),
    )
    .await;
    let segment = everyone(&app, key).await;
    let id = create_campaign(&app, key, json!({"name": "Fallbacks", "type": "single"})).await;
    put_step(&app, key, &id, "segments", json!({"include": [segment]})).await;

    let variables = app
        .get(&format!("/api/v1/campaigns/{id}/variables"), key)
        .await
        .body;
    let find = |name: &str| {
        variables
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        find("first_name")["insert"],
        "{{ first_name | default: \"there\" }}"
    );
    assert_eq!(find("first_name")["fallback"], "there");
    assert_eq!(find("city")["fallback"], "");
    assert_eq!(find("phone")["fallback"], Value::Null);

    let body = "Hi {{ first_name }}! {{ city | default: \"\" }} {{ tier }} {% if city %}{{ city }}{% endif %}";
    let preview = app
        .post(
            &format!("/api/v1/campaigns/{id}/preview"),
            key,
            json!({"design": {"body": body}}),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    let warnings: Vec<(&str, &str)> = preview.body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["variable"].as_str().unwrap(), w["code"].as_str().unwrap()))
        .collect();
    // Everyone has a tier; city is printed bare only where it is tested.
    assert_eq!(
        warnings,
        [("first_name", "no_fallback"), ("city", "empty_fallback")],
        "{}",
        preview.text
    );
    let message = preview.body["warnings"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("1 contact who may receive it has no first_name"),
        "{message}"
    );
    assert_eq!(preview.body["warnings"][0]["position"]["column"], 4);

    let fixed = "Hi {{ first_name | default: \"there\" }}!";
    let preview = app
        .post(
            &format!("/api/v1/campaigns/{id}/preview"),
            key,
            json!({"design": {"body": fixed}}),
        )
        .await;
    assert_eq!(preview.body["warnings"], json!([]));
}
