//! What happens after a launch does not change what a campaign sends, except what must: an
//! opt-out while a message waits is honoured at send time, the operator's MMS switch stops
//! pending pictures, and segments, settings and the design edited or deleted after launch
//! change nothing of the messages.

use reqwest::{Method, StatusCode};
use serde_json::json;
use tern_testkit::{images, spawn_app};

use crate::campaign_send::{campaign, campaign_on, contact, progress, sandbox_account, wait_for};

#[tokio::test]
async fn an_opt_out_while_the_message_waits_for_the_throttle_is_honoured() {
    let app = spawn_app().await;
    // One segment a second: the last of five waits about four seconds in the outbox.
    let account = sandbox_account(&app, 1).await;
    let key = &account.key;
    for i in 0..5 {
        contact(
            &app,
            key,
            json!({"external_id": format!("c{i}"), "phone": format!("+1415555040{i}"), "consent": "subscribed"}),
        )
        .await;
    }
    let id = campaign(&app, key, "Flash sale today", json!({})).await;
    let launched = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), key, json!({}))
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{}", launched.text);
    // Once every message is written (queued), the last recipient opts out through the API.
    let written = wait_for(&app, key, &id, |p| p["audience_written"] == true).await;
    assert_eq!(written["total"], 5, "{written}");
    assert!(written["queued"].as_u64().unwrap() >= 2, "{written}");
    let stop = app
        .post(
            "/api/v1/contacts",
            key,
            json!({"external_id": "c4", "consent": "unsubscribed"}),
        )
        .await;
    assert_eq!(stop.status, StatusCode::OK, "{}", stop.text);

    let done = wait_for(&app, key, &id, |p| p["status"] == "completed").await;
    assert_eq!(done["sent"], 4, "{done}");
    assert_eq!(done["skipped_by_reason"]["unsubscribed"], 1, "{done}");
    let messages = app
        .get(&format!("/api/v1/campaigns/{id}/messages"), key)
        .await;
    let last = messages
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to"] == "+14155550404")
        .unwrap();
    assert_eq!(
        (&last["state"], &last["reason"]),
        (&json!("skipped"), &json!("unsubscribed"))
    );
}

#[tokio::test]
async fn edits_after_launch_change_nothing_sent_and_a_used_segment_is_kept() {
    let app = spawn_app().await;
    let account = sandbox_account(&app, 2).await;
    let key = &account.key;
    for i in 0..4 {
        contact(
            &app,
            key,
            json!({"phone": format!("+1415555050{i}"), "consent": "subscribed"}),
        )
        .await;
    }
    let id = campaign(&app, key, "Spring collection", json!({})).await;
    let launched = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), key, json!({}))
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{}", launched.text);
    // At once, before or while the audience is written: the segment now matches nobody, the
    // footer and the sender change.
    let segments = app.get("/api/v1/segments", key).await;
    let segment = segments.body.as_array().unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let edited = app
        .patch(
            &format!("/api/v1/segments/{segment}"),
            key,
            json!({"name": "Nobody", "definition": {"consent": ["unknown"]}}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    let settings = app
        .patch(
            "/api/v1/settings",
            key,
            json!({
                "senders": [{"country": "US", "kind": "phone_number", "address": "+15005550007", "segments_per_second": 2}],
                "opt_out_footer": "Changed after launch: reply STOP",
            }),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    // The segment is used by a campaign that is still sending: it cannot be deleted.
    let refused = app
        .delete(&format!("/api/v1/segments/{segment}"), key)
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert!(refused.text.contains(&id), "{}", refused.text);

    let done = wait_for(&app, key, &id, |p| p["status"] == "completed").await;
    assert_eq!(done["sent"], 4, "the audience as launched: {done}");
    let messages = app
        .get(&format!("/api/v1/campaigns/{id}/messages"), key)
        .await;
    for message in messages.body.as_array().unwrap() {
        assert_eq!(message["from"], "+15005550006", "{message}");
        assert!(
            !message["body"]
                .as_str()
                .unwrap()
                .contains("Changed after launch"),
            "{message}"
        );
    }
    // Once the campaign is over, the segment may go.
    let deleted = app
        .delete(&format!("/api/v1/segments/{segment}"), key)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
}

#[tokio::test]
async fn the_operators_mms_switch_stops_pending_picture_messages() {
    let app = spawn_app().await;
    let account = sandbox_account(&app, 1).await;
    let key = &account.key;
    let mms_path = format!("/api/v1/admin/accounts/{}/mms", account.id);
    let mms = |enabled: bool| app.admin(Method::PUT, &mms_path, Some(json!({"enabled": enabled})));
    assert_eq!(mms(true).await.status, StatusCode::OK);
    for i in 0..4 {
        contact(
            &app,
            key,
            json!({"phone": format!("+1415555060{i}"), "consent": "subscribed"}),
        )
        .await;
    }
    let picture = app
        .upload("/api/v1/media", key, "sale.jpg", images::jpeg(320, 240, 7))
        .await;
    assert_eq!(picture.status, StatusCode::CREATED, "{}", picture.text);
    let id = campaign_on(
        &app,
        key,
        "mms",
        json!({"body": "New in store", "media": [picture.body["id"]]}),
        json!({}),
    )
    .await;
    let launched = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), key, json!({}))
        .await;
    assert_eq!(launched.status, StatusCode::OK, "{}", launched.text);
    // One picture message a second: the first goes, then the operator turns MMS off.
    wait_for(&app, key, &id, |p| {
        p["audience_written"] == true && p["queued"].as_u64() <= Some(3)
    })
    .await;
    assert_eq!(mms(false).await.status, StatusCode::OK);
    let done = wait_for(&app, key, &id, |p| p["status"] == "completed").await;
    let skipped = done["skipped_by_reason"]["mms_disabled"].as_u64().unwrap();
    assert!(skipped >= 2, "{done}");
    assert_eq!(done["sent"].as_u64().unwrap() + skipped, 4, "{done}");
    assert_eq!(progress(&app, key, &id).await["provider_pauses"], 0);
}
