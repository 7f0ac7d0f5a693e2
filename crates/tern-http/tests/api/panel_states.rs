//! Every page of the wizard and the campaign page, for campaigns in every state, renders without
//! a server error and says what stands in the way; Create keeps what was typed when refused;
//! duplicate and archive work from the panel's forms.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use tern_testkit::{TestApp, spawn_app};

use crate::panel::{Browser, PASSWORD, csrf_of, hidden, user};

async fn put_step(app: &TestApp, key: &str, id: &str, step: &str, body: Value) {
    let reply = app
        .call(
            Method::PUT,
            &format!("/api/v1/campaigns/{id}/steps/{step}"),
            Some(key),
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

async fn create(app: &TestApp, key: &str, name: &str, kind: &str) -> String {
    let made = app
        .post(
            "/api/v1/campaigns",
            key,
            json!({"name": name, "type": kind}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    made.body["id"].as_str().unwrap().to_owned()
}

/// A Single SMS campaign with every step but Launch complete.
async fn ready_single(app: &TestApp, key: &str, segment: &str, name: &str) -> String {
    let id = create(app, key, name, "single").await;
    put_step(app, key, &id, "segments", json!({"include": [segment]})).await;
    put_step(
        app,
        key,
        &id,
        "design",
        json!({"body": "Hi {{ first_name | default: \"there\" }}, 20% off today"}),
    )
    .await;
    put_step(
        app,
        key,
        &id,
        "goals",
        json!({"event": "Order Completed", "window_hours": 72}),
    )
    .await;
    id
}

async fn status_of(app: &TestApp, key: &str, id: &str) -> String {
    let reply = app.get(&format!("/api/v1/campaigns/{id}"), key).await;
    reply.body["status"].as_str().unwrap().to_owned()
}

async fn wait_until(app: &TestApp, key: &str, id: &str, status: &str) {
    let start = Instant::now();
    while status_of(app, key, id).await != status {
        assert!(start.elapsed() < Duration::from_secs(30), "never {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens `path` as a user following redirects; answers the last status, path and page.
async fn open(browser: &mut Browser, path: &str) -> (StatusCode, String, String) {
    let mut path = path.to_owned();
    for _ in 0..5 {
        let (status, headers, page) = browser.get(&path).await;
        if status != StatusCode::SEE_OTHER {
            return (status, path, page);
        }
        path = headers[header::LOCATION].to_str().unwrap().to_owned();
    }
    panic!("too many redirects from {path}");
}

#[tokio::test]
async fn every_step_page_and_campaign_page_renders_in_every_state() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let key = &acme.key;
    let settings = app
        .patch(
            "/api/v1/settings",
            key,
            json!({
                "senders": [{"country": "US", "kind": "phone_number", "address": "+15005550006", "segments_per_second": 100}],
                "quiet_hours": {"allowed_from": "00:00", "allowed_until": "23:59"},
                "sandbox": {"latency_ms": 50, "failure_percent": 0},
            }),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    for (i, name) in ["Ann", "Bob"].iter().enumerate() {
        let reply = app
            .post(
                "/api/v1/contacts",
                key,
                json!({"phone": format!("+1415555011{i}"), "consent": "subscribed", "attributes": {"first_name": name}}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    }
    let segment = app
        .post(
            "/api/v1/segments",
            key,
            json!({"name": "Subscribers", "definition": {"consent": ["subscribed"]}}),
        )
        .await;
    let segment = segment.body["id"].as_str().unwrap().to_owned();

    // Drafts: new, half done, with a schedule in the past, of each type, archived.
    let fresh = create(&app, key, "Fresh single", "single").await;
    let half = create(&app, key, "Half done", "single").await;
    put_step(&app, key, &half, "segments", json!({"include": [segment]})).await;
    put_step(&app, key, &half, "design", json!({"body": "Hi {{ nope"})).await;
    let past = ready_single(&app, key, &segment, "Past schedule").await;
    put_step(
        &app,
        key,
        &past,
        "launch",
        json!({"send_at": "2020-01-01T10:00"}),
    )
    .await;
    let cart = create(&app, key, "Cart nudge", "cart_reminder").await;
    let welcome = create(&app, key, "Hello", "welcome").await;
    let archived = create(&app, key, "Old draft", "single").await;
    let reply = app
        .post(
            &format!("/api/v1/campaigns/{archived}/archive"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);

    // Launched: finished, scheduled, paused, cancelled.
    let finished = ready_single(&app, key, &segment, "Finished").await;
    put_step(&app, key, &finished, "launch", json!({"send_at": "now"})).await;
    let scheduled = ready_single(&app, key, &segment, "Scheduled").await;
    let later = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    put_step(&app, key, &scheduled, "launch", json!({"send_at": later})).await;
    let paused = ready_single(&app, key, &segment, "Paused").await;
    put_step(&app, key, &paused, "launch", json!({"send_at": later})).await;
    let cancelled = ready_single(&app, key, &segment, "Cancelled").await;
    put_step(&app, key, &cancelled, "launch", json!({"send_at": later})).await;
    for id in [&finished, &scheduled, &paused, &cancelled] {
        let reply = app
            .post(&format!("/api/v1/campaigns/{id}/launch"), key, json!({}))
            .await;
        assert!(reply.status.is_success(), "{}", reply.text);
    }
    for (id, action) in [(&paused, "pause"), (&cancelled, "cancel")] {
        let reply = app
            .post(&format!("/api/v1/campaigns/{id}/{action}"), key, json!({}))
            .await;
        assert!(reply.status.is_success(), "{}", reply.text);
    }
    wait_until(&app, key, &finished, "completed").await;

    user(&app, &acme.id, "ann@acme.test").await;
    let mut browser = Browser::new(&app);
    assert_eq!(
        browser.sign_in("ann@acme.test", PASSWORD).await,
        StatusCode::SEE_OTHER
    );

    // The listing opens each one without a server error.
    let (status, _, listing) = browser.get("/campaigns").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !listing.contains("Old draft"),
        "archived campaigns leave the listing"
    );
    let (_, _, archive) = browser.get("/campaigns?archived=true").await;
    assert!(archive.contains("Old draft"), "…and are under Archived");
    // Each campaign with the steps its type has while a draft (a launched one's steps all lead
    // to its page); any other step is not found.
    let single = ["segments", "design", "goals", "launch"];
    let all = ["segments", "rules", "design", "goals", "launch"];
    let cases: [(&String, &[&str]); 10] = [
        (&fresh, &single),
        (&half, &single),
        (&past, &single),
        (&cart, &["rules", "design", "goals", "launch"]),
        (&welcome, &["rules", "design", "launch"]),
        (&archived, &single),
        (&finished, &all),
        (&scheduled, &all),
        (&paused, &all),
        (&cancelled, &all),
    ];
    for (id, steps) in cases {
        let (status, landed, page) = open(&mut browser, &format!("/campaigns/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{landed}: {page}");
        for step in all {
            let (status, landed, page) =
                open(&mut browser, &format!("/campaigns/{id}/steps/{step}")).await;
            let expected = if steps.contains(&step) {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(status, expected, "{landed}: {page}");
        }
    }

    // Without an AI endpoint the Design step's writer says how to configure one.
    let (status, _, page) = browser
        .get(&format!("/campaigns/{half}/steps/design"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Not available on this server") && page.contains("TERN_AI_URL"),
        "{page}"
    );
    assert!(!page.contains("id=\"ai-form\""), "{page}");

    // The report: a sent campaign's has its chart and recipients; a scheduled one says when
    // its chart starts; the recipients' filters take any input without a server error.
    let (_, _, page) = browser.get(&format!("/campaigns/{finished}")).await;
    for part in [
        "id=\"report\"",
        "<svg",
        "id=\"recipients\"",
        "export.csv",
        "Human clicks",
    ] {
        assert!(page.contains(part), "{part}: {page}");
    }
    let (_, _, page) = browser.get(&format!("/campaigns/{scheduled}")).await;
    assert!(
        page.contains("The chart starts with the first message sent"),
        "{page}"
    );
    for query in [
        "state=sent&converted=yes",
        "state=skipped&reason=holdout&converted=no",
        "after=abc&reason=%3Cscript%3E",
        "after=-5&state=",
    ] {
        let (status, _, page) = browser.get(&format!("/campaigns/{finished}?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {page}");
        assert!(!page.contains("<script>"), "{query}");
    }
    let (status, _, page) = browser
        .get(&format!("/campaigns/{finished}?state=bogus"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("queued, sending, sent"), "{page}");

    // A launched campaign's goal changes from its page: a forged form or a bad window changes
    // nothing, a good one is what the report counts by.
    let (_, _, page) = browser.get(&format!("/campaigns/{finished}")).await;
    assert!(page.contains("id=\"change-goal\""), "{page}");
    let csrf = csrf_of(&page);
    let goal = format!("/campaigns/{finished}/goal");
    let (status, _, _) = browser
        .form(
            &goal,
            &[
                ("csrf", "forged"),
                ("event", "Order Completed"),
                ("window_hours", "24"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for window in ["abc", "0", "100000", ""] {
        let (status, _, page) = browser
            .form(
                &goal,
                &[
                    ("csrf", &csrf),
                    ("event", "Order Completed"),
                    ("window_hours", window),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{window}: {page}");
    }
    let (status, _, page) = browser
        .form(
            &goal,
            &[("csrf", &csrf), ("event", ""), ("window_hours", "24")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let (status, headers, _) = browser
        .form(
            &goal,
            &[
                ("csrf", &csrf),
                ("event", "Order Completed"),
                ("window_hours", "24"),
                ("revenue_property", "total"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        format!("/campaigns/{finished}#report").as_str()
    );
    let report = app
        .get(&format!("/api/v1/campaigns/{finished}/report"), key)
        .await;
    assert_eq!(report.body["goal"]["window_hours"], 24, "{}", report.text);
    assert_eq!(
        report.body["goal"]["revenue_property"], "total",
        "{}",
        report.text
    );

    // Regression: the Launch step answered 500 whenever the pre-launch check found a problem.
    let (status, _, page) = browser
        .get(&format!("/campaigns/{half}/steps/launch"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("steps/design\">Design</a>"),
        "the check names the design: {page}"
    );
    // A schedule in the past: the listing's link lands on Launch, which names the problem.
    let (status, landed, page) = open(&mut browser, &format!("/campaigns/{past}")).await;
    assert_eq!(
        (status, landed.as_str()),
        (
            StatusCode::OK,
            format!("/campaigns/{past}/steps/launch").as_str()
        )
    );
    assert!(
        page.contains("has passed: choose a later time, or send now"),
        "{page}"
    );
    assert!(
        !page.contains("id=\"launch\" disabled"),
        "launching again is offered: {page}"
    );

    // Regression: a new campaign showed "Launch ✓ Complete"; nothing is complete before a save.
    let (_, _, page) = browser
        .get(&format!("/campaigns/{fresh}/steps/launch"))
        .await;
    assert!(!page.contains('✓'), "{page}");
    assert!(page.contains("not saved yet"), "{page}");
    assert!(page.contains("id=\"launch\" disabled"), "{page}");
    // Sending hours are named as what they are, not as the quiet ones.
    assert!(page.contains("Send only from"), "{page}");

    // Triggered campaigns say what launching does; with steps still to do, no Launch.
    for id in [&cart, &welcome] {
        let (_, _, page) = browser.get(&format!("/campaigns/{id}/steps/launch")).await;
        assert!(
            page.contains("Launching makes the campaign active"),
            "{page}"
        );
        assert!(page.contains("id=\"launch\" disabled"), "{page}");
    }
    // A Welcome's Rules step shows its default instead of an empty field, and is not complete.
    let (_, _, page) = browser
        .get(&format!("/campaigns/{welcome}/steps/rules"))
        .await;
    assert!(page.contains("name=\"delay_minutes\""), "{page}");
    assert!(page.contains("value=\"0\""), "{page}");
    assert!(!page.contains('✓'), "{page}");

    // Launched campaigns open their page; their steps lead there too.
    for (id, status) in [
        (&finished, "Completed"),
        (&scheduled, "Scheduled"),
        (&paused, "Paused"),
        (&cancelled, "Cancelled"),
    ] {
        let (code, landed, page) =
            open(&mut browser, &format!("/campaigns/{id}/steps/design")).await;
        assert_eq!(
            (code, landed.clone()),
            (StatusCode::OK, format!("/campaigns/{id}"))
        );
        assert!(page.contains(status), "{landed}: {page}");
    }

    // While Twilio keeps failing, the campaign page says that sending waits, and until when.
    let (_, _, page) = browser.get(&format!("/campaigns/{finished}")).await;
    assert!(page.contains("id=\"provider-paused\" hidden"), "{page}");
    let account: tern_domain::ids::AccountId = acme.id.parse().unwrap();
    let failing = tern_store::ProviderAnswers {
        account,
        succeeded: 0,
        failed: tern_store::BREAKER_FAILURES,
    };
    app.store
        .provider_answers(&[failing], chrono::Utc::now())
        .await
        .unwrap();
    let (_, _, page) = browser.get(&format!("/campaigns/{scheduled}")).await;
    assert!(!page.contains("id=\"provider-paused\" hidden"), "{page}");
    assert!(page.contains("Twilio keeps failing"), "{page}");
}

#[tokio::test]
async fn create_keeps_what_was_typed_and_duplicate_and_archive_work_from_the_panel() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    user(&app, &acme.id, "ann@acme.test").await;
    let mut browser = Browser::new(&app);
    assert_eq!(
        browser.sign_in("ann@acme.test", PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    let (_, _, listing) = browser.get("/campaigns").await;
    assert!(
        listing.contains("maxlength=\"120\""),
        "the field holds what the server allows"
    );
    let csrf = hidden(&listing, "csrf");

    // Regression: the Create form lost the typed name and type after an error.
    let long = "N".repeat(121);
    let (status, _, page) = browser
        .form(
            "/campaigns",
            &[
                ("csrf", &csrf),
                ("name", &long),
                ("type", "welcome"),
                ("channel", "sms"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Name: must be 1 to 120 characters"), "{page}");
    assert!(page.contains(&format!("value=\"{long}\"")), "{page}");
    assert!(page.contains("value=\"welcome\" checked"), "{page}");

    // Create, then duplicate from the panel: the copy opens as a new draft.
    let (status, headers, _) = browser
        .form(
            "/campaigns",
            &[
                ("csrf", &csrf),
                ("name", "Spring"),
                ("type", "single"),
                ("channel", "sms"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let first = headers[header::LOCATION].to_str().unwrap().to_owned();
    let id = first.split('/').nth(2).unwrap().to_owned();
    let (_, _, page) = browser.get(&first).await;
    let csrf = csrf_of(&page);
    let (status, headers, _) = browser
        .form(&format!("/campaigns/{id}/duplicate"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let copy = headers[header::LOCATION].to_str().unwrap().to_owned();
    assert_ne!(copy, format!("/campaigns/{id}"));
    let (_, _, listing) = browser.get("/campaigns").await;
    assert!(listing.contains("Copy of Spring"), "{listing}");

    // A forged archive changes nothing; the real one moves it under Archived.
    let (status, _, _) = browser
        .form(&format!("/campaigns/{id}/archive"), &[("csrf", "forged")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, _) = browser
        .form(&format!("/campaigns/{id}/archive"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/campaigns?archived=true");
    let (_, _, listing) = browser.get("/campaigns").await;
    assert!(
        !listing.contains(&format!("/campaigns/{id}\"")),
        "{listing}"
    );
    let (_, _, archived) = browser.get("/campaigns?archived=true").await;
    assert!(
        archived.contains(&format!("/campaigns/{id}\"")),
        "{archived}"
    );
}
