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
