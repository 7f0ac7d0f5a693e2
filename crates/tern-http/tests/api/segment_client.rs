//! Segment's official Python library, pointed at Tern, delivers contacts, events and carts.
//! Needs `pip install -r tools/segment-client/requirements.txt` (done by `.ci/run`).

use reqwest::StatusCode;
use tern_testkit::spawn_app;

#[tokio::test(flavor = "multi_thread")]
async fn segments_python_library_sends_identify_and_track_unchanged() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    // The script sends `sms_consent`, which counts only where the account allows it.
    let allowed = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/settings",
            Some(&acme.key),
            Some(serde_json::json!({"identify_sets_consent": true})),
        )
        .await;
    assert_eq!(allowed.status, StatusCode::OK);
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/segment-client/send.py"
    );
    let (address, write_key) = (app.address.clone(), acme.write_key.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args([script, &address, &write_key])
            .output()
            .expect("run python3")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "the library reported errors (is segment-analytics-python installed?): {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let contacts = app
        .get("/api/v1/contacts?search=shopper-42", &acme.key)
        .await;
    assert_eq!(contacts.status, StatusCode::OK);
    let contact = &contacts.body["contacts"][0];
    assert_eq!(contact["phone"], "+14155550142");
    assert_eq!(contact["consent"], "subscribed");
    assert_eq!(contact["attributes"]["first_name"], "Grace");
    let id = contact["id"].as_i64().unwrap();
    let events = app
        .get(&format!("/api/v1/contacts/{id}/events"), &acme.key)
        .await
        .body;
    let ids: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "the retried call was deduplicated: {events}");
    assert!(
        ids.contains(&"evt-1") && ids.contains(&"evt-2"),
        "the gzipped batch arrived: {ids:?}"
    );
    let cart = &app
        .get(&format!("/api/v1/contacts/{id}"), &acme.key)
        .await
        .body["cart"];
    assert_eq!(cart["items"].as_array().unwrap().len(), 2, "{cart}");
    assert_eq!(cart["total"], 63.5);
    assert_eq!(
        cart["items"][1]["image_url"],
        "https://shop.example/sku-2.jpg"
    );
}

/// Runs one of `tools/segment-client`'s scripts against the app with the account's write key.
async fn run_script(app: &tern_testkit::TestApp, write_key: &str, name: &str) {
    let script = format!(
        "{}/../../tools/segment-client/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let (address, write_key) = (app.address.clone(), write_key.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args([&script, &address, &write_key])
            .output()
            .expect("run python3")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "the library reported errors: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn segments_python_library_drives_cart_reminders_and_welcomes() {
    use crate::triggers::{activated, wait_triggers};
    let app = spawn_app().await;
    let acme = crate::campaign_send::sandbox_account(&app, 50).await;
    let key = acme.key.as_str();
    let allowed = app
        .patch(
            "/api/v1/settings",
            key,
            serde_json::json!({"identify_sets_consent": true}),
        )
        .await;
    assert_eq!(allowed.status, StatusCode::OK);
    let carts = activated(
        &app,
        key,
        "cart_reminder",
        serde_json::json!({"delay_minutes": 15}),
        "Still thinking it over? {{ cart.total }} {{ cart.currency }}",
    )
    .await;
    let welcome = activated(
        &app,
        key,
        "welcome",
        serde_json::json!({"delay_minutes": 0}),
        "Welcome!",
    )
    .await;
    run_script(&app, &acme.write_key, "shoppers.py").await;

    let id = |user: &'static str| {
        let app = &app;
        async move {
            let found = app
                .get(&format!("/api/v1/contacts?search={user}"), key)
                .await;
            found.body["contacts"][0]["id"].as_i64().expect(user)
        }
    };
    let (left, bought, browsing, late, stopped) = (
        id("left").await,
        id("bought").await,
        id("browsing").await,
        id("late").await,
        id("stopped").await,
    );
    let page = wait_triggers(&app, key, &carts, |page| {
        page["counts"]["sent"] == 1 && page["counts"]["skipped"] == 1
    })
    .await;
    let state_of = |contact: i64| -> Vec<(String, Option<String>)> {
        page["triggers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["contact_id"] == contact)
            .map(|t| {
                (
                    t["state"].as_str().unwrap().to_owned(),
                    t["reason"].as_str().map(str::to_owned),
                )
            })
            .collect()
    };
    assert_eq!(state_of(left), [("sent".into(), None)], "{page}");
    assert!(state_of(bought).is_empty(), "{page}");
    assert_eq!(state_of(browsing), [("waiting".into(), None)], "{page}");
    assert_eq!(
        state_of(late),
        [("cancelled".into(), Some("ordered".into()))],
        "{page}"
    );
    assert_eq!(
        state_of(stopped),
        [("skipped".into(), Some("unsubscribed".into()))],
        "{page}"
    );
    let sent = app
        .get(&format!("/api/v1/campaigns/{carts}/messages"), key)
        .await
        .body;
    assert_eq!(sent.as_array().unwrap().len(), 1, "{sent}");
    assert_eq!(sent[0]["contact_id"], left);

    // Each shopper subscribed once through identify: one welcome each, the second identify
    // of `left` none.
    let welcomes = wait_triggers(&app, key, &welcome, |page| page["counts"]["waiting"] == 0).await;
    let of_left = welcomes["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["contact_id"] == left)
        .count();
    assert_eq!(of_left, 1, "{welcomes}");
}
