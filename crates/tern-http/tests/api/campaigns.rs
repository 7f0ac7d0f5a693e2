//! Campaigns through the API: each type's steps in order, drafts saved in any order with what
//! they lack, MMS gating, listing, duplicate, archive, history.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tern_testkit::spawn_app;

fn steps(detail: &Value) -> Vec<(String, bool)> {
    detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_owned(),
                s["complete"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_type_gets_its_steps_and_says_what_each_lacks() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let single = app
        .post(
            "/api/v1/campaigns",
            &acme.key,
            json!({"name": "Black Friday", "type": "single"}),
        )
        .await;
    assert_eq!(single.status, StatusCode::CREATED, "{}", single.text);
    assert_eq!(
        (
            single.body["channel"].as_str(),
            single.body["status"].as_str()
        ),
        (Some("sms"), Some("draft"))
    );
    let names: Vec<String> = steps(&single.body).into_iter().map(|(s, _)| s).collect();
    assert_eq!(names, ["segments", "design", "goals", "launch"]);
    assert_eq!(single.body["steps"][0]["problems"][0]["code"], "required");
    for (kind, expected) in [
        ("cart_reminder", vec!["rules", "design", "goals", "launch"]),
        ("welcome", vec!["rules", "design", "launch"]),
    ] {
        let c = app
            .post(
                "/api/v1/campaigns",
                &acme.key,
                json!({"name": kind, "type": kind}),
            )
            .await;
        let names: Vec<String> = steps(&c.body).into_iter().map(|(s, _)| s).collect();
        assert_eq!(names, expected);
        // Regression: a new campaign showed "Rules ✓ Complete" and "Launch ✓ Complete" with
        // nothing saved, because their defaults pass. Unsaved steps are not complete.
        let unsaved: Vec<(String, bool)> = steps(&c.body)
            .into_iter()
            .filter(|(s, _)| s == "rules" || s == "launch")
            .collect();
        assert_eq!(unsaved, [("rules".into(), false), ("launch".into(), false)]);
        if kind == "welcome" {
            assert_eq!(c.body["steps"][0]["problems"][0]["code"], "not_started");
            let saved = app
                .call(
                    Method::PUT,
                    &format!(
                        "/api/v1/campaigns/{}/steps/rules",
                        c.body["id"].as_str().unwrap()
                    ),
                    Some(&acme.key),
                    Some(json!({"delay_minutes": 0})),
                )
                .await;
            assert_eq!(saved.body["complete"], true, "{}", saved.text);
        }
    }

    let id = single.body["id"].as_str().unwrap();
    let segment = app
        .post(
            "/api/v1/segments",
            &acme.key,
            json!({"name": "All", "definition": {"consent": "subscribed"}}),
        )
        .await;
    let segment_id = segment.body["id"].as_str().unwrap();
    // Goals first, then segments: any order.
    let goals = app
        .call(
            Method::PUT,
            &format!("/api/v1/campaigns/{id}/steps/goals"),
            Some(&acme.key),
            Some(json!({"event": "Order Completed", "window_hours": 0})),
        )
        .await;
    assert_eq!(goals.status, StatusCode::OK, "{}", goals.text);
    assert_eq!(
        (
            goals.body["complete"].as_bool(),
            goals.body["problems"][0]["field"].as_str()
        ),
        (Some(false), Some("window_hours"))
    );
    let goals = app
        .call(Method::PUT, &format!("/api/v1/campaigns/{id}/steps/goals"), Some(&acme.key),
              Some(json!({"event": "Order Completed", "window_hours": 72, "revenue_property": "total"})))
        .await;
    assert_eq!(goals.body["complete"], true, "{}", goals.text);
    let segments = app
        .call(
            Method::PUT,
            &format!("/api/v1/campaigns/{id}/steps/segments"),
            Some(&acme.key),
            Some(json!({"include": [segment_id, "00000000-0000-4000-8000-000000000000"]})),
        )
        .await;
    assert_eq!(
        segments.body["problems"][0]["code"], "unknown_segment",
        "{}",
        segments.text
    );
    let segments = app
        .call(
            Method::PUT,
            &format!("/api/v1/campaigns/{id}/steps/segments"),
            Some(&acme.key),
            Some(json!({"include": [segment_id]})),
        )
        .await;
    assert_eq!(segments.body["complete"], true);
    let now = app
        .get(&format!("/api/v1/campaigns/{id}/steps"), &acme.key)
        .await;
    let state: Vec<(String, bool)> = now
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().into(),
                s["complete"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        state,
        [
            ("segments".into(), true),
            ("design".into(), false),
            ("goals".into(), true),
            // Launch is complete only once saved, even though its defaults would pass.
            ("launch".into(), false)
        ]
    );

    let wrong = app
        .call(
            Method::PUT,
            &format!("/api/v1/campaigns/{id}/steps/rules"),
            Some(&acme.key),
            Some(json!({"delay_minutes": 60})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        wrong.body["error"]["message"],
        "a Single campaign has no rules step (its steps: segments, design, goals, launch)"
    );
    let unknown = app
        .call(
            Method::PUT,
            &format!("/api/v1/campaigns/{id}/steps/colour"),
            Some(&acme.key),
            Some(json!({})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    let history = app
        .get(&format!("/api/v1/campaigns/{id}/changes"), &acme.key)
        .await
        .body;
    let what: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["what"].as_str().unwrap())
        .collect();
    assert_eq!(
        what,
        [
            "created",
            "step:goals",
            "step:goals",
            "step:segments",
            "step:segments"
        ]
    );
    assert!(history[0]["by"].as_str().unwrap().starts_with("key:"));
}

#[tokio::test]
async fn mms_needs_the_operators_switch_and_a_sender_in_au_ca_or_us() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let body = json!({"name": "Pictures", "type": "single", "channel": "mms"});
    let refused = app.post("/api/v1/campaigns", &acme.key, body.clone()).await;
    assert_eq!(
        (refused.status, &refused.body["error"]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("channel"))
    );
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not enabled")
    );
    app.admin(
        Method::PUT,
        &format!("/api/v1/admin/accounts/{}/mms", acme.id),
        Some(json!({"enabled": true})),
    )
    .await;
    let no_sender = app.post("/api/v1/campaigns", &acme.key, body.clone()).await;
    assert!(
        no_sender.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Australia, Canada or the USA"),
        "{}",
        no_sender.text
    );
    let senders = json!({"senders": [{"country": "US", "kind": "phone_number", "address": "+14155550100", "segments_per_second": 1}]});
    assert_eq!(
        app.patch("/api/v1/settings", &acme.key, senders)
            .await
            .status,
        StatusCode::OK
    );
    let accepted = app.post("/api/v1/campaigns", &acme.key, body).await;
    assert_eq!(
        (accepted.status, accepted.body["channel"].as_str()),
        (StatusCode::CREATED, Some("mms")),
        "{}",
        accepted.text
    );
    assert!(
        app.get("/api/v1/campaigns", &acme.key)
            .await
            .body
            .as_array()
            .unwrap()
            .len()
            == 1,
        "refusals stored nothing"
    );
}

#[tokio::test]
async fn the_listing_filters_and_campaigns_duplicate_rename_and_archive() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    for (name, kind) in [
        ("Spring sale", "single"),
        ("Carts", "cart_reminder"),
        ("Hello", "welcome"),
    ] {
        app.post(
            "/api/v1/campaigns",
            &acme.key,
            json!({"name": name, "type": kind}),
        )
        .await;
    }
    let names = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&app.get("/api/v1/campaigns?sort=name", &acme.key).await.body),
        ["Carts", "Hello", "Spring sale"]
    );
    assert_eq!(
        names(
            &app.get("/api/v1/campaigns?type=welcome", &acme.key)
                .await
                .body
        ),
        ["Hello"]
    );
    assert_eq!(
        names(
            &app.get(
                "/api/v1/campaigns?search=SALE&status=draft&channel=sms",
                &acme.key
            )
            .await
            .body
        ),
        ["Spring sale"]
    );
    for bad in ["sort=size", "type=blast", "status=lost", "limit=0"] {
        assert!(
            app.get(&format!("/api/v1/campaigns?{bad}"), &acme.key)
                .await
                .status
                .is_client_error(),
            "{bad}"
        );
    }
    let spring = &app
        .get("/api/v1/campaigns?search=spring", &acme.key)
        .await
        .body[0];
    let id = spring["id"].as_str().unwrap();
    let renamed = app
        .call(
            Method::PATCH,
            &format!("/api/v1/campaigns/{id}"),
            Some(&acme.key),
            Some(json!({"name": "Summer sale"})),
        )
        .await;
    assert_eq!(
        (
            renamed.body["name"].as_str(),
            renamed.body["revision"].as_i64()
        ),
        (Some("Summer sale"), Some(2))
    );
    let copy = app
        .post(
            &format!("/api/v1/campaigns/{id}/duplicate"),
            &acme.key,
            json!({}),
        )
        .await;
    assert_eq!(
        (copy.status, copy.body["name"].as_str()),
        (StatusCode::CREATED, Some("Copy of Summer sale"))
    );
    let archived = app
        .post(
            &format!("/api/v1/campaigns/{id}/archive"),
            &acme.key,
            json!({}),
        )
        .await;
    assert!(
        archived.body["archived_at"].is_string(),
        "{}",
        archived.text
    );
    assert_eq!(
        names(
            &app.get("/api/v1/campaigns?archived=true", &acme.key)
                .await
                .body
        ),
        ["Summer sale"]
    );
    assert_eq!(
        app.get("/api/v1/campaigns", &acme.key)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let frozen = app
        .call(
            Method::PATCH,
            &format!("/api/v1/campaigns/{id}"),
            Some(&acme.key),
            Some(json!({"name": "Again"})),
        )
        .await;
    assert_eq!(
        frozen.status,
        StatusCode::CONFLICT,
        "an archived campaign is not edited"
    );
}
