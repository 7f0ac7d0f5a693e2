//! Who may sign in, how fast one may guess, users and their roles, the sign-in's `next`, the
//! import form's small fields, settings revisions, test-send limits and the audit trail.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, header};
use serde_json::json;
use tern_testkit::{TestAccount, TestApp, spawn_app};

use crate::panel::{Browser, PASSWORD, csrf_of, hidden, user};

#[tokio::test]
async fn guessing_a_password_is_slowed_down_with_429_and_retry_after() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    user(&app, &acme.id, "ann@acme.test").await;
    let mut browser = Browser::new(&app);
    for attempt in 1..=5 {
        assert_eq!(
            browser.sign_in("ann@acme.test", "wrong guess").await,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    // The sixth comes too soon, even with the right password.
    let (_, _, page) = browser.get("/login").await;
    let csrf = hidden(&page, "csrf");
    let (status, headers, page) = browser
        .form(
            "/login",
            &[
                ("email", "ann@acme.test"),
                ("password", PASSWORD),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{page}");
    let wait: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert!(browser.cookies.iter().all(|(n, _)| n != "tern_session"));
    assert!(page.contains("try again in"), "{page}");

    tokio::time::sleep(Duration::from_millis(wait * 1000 + 100)).await;
    assert_eq!(
        browser.sign_in("ann@acme.test", PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    // Another user's e-mail is not slowed by Ann's failures.
    user(&app, &acme.id, "bob@acme.test").await;
    assert_eq!(
        Browser::new(&app).sign_in("bob@acme.test", PASSWORD).await,
        StatusCode::SEE_OTHER
    );
}

/// How long one failed sign-in takes, in milliseconds.
async fn failed_sign_in(app: &TestApp, email: &str, from: [u8; 4]) -> f64 {
    let mut browser = Browser::from_address(app, Some(from.into()));
    let (_, _, page) = browser.get("/login").await;
    let csrf = hidden(&page, "csrf");
    let started = Instant::now();
    let (status, _, _) = browser
        .form(
            "/login",
            &[
                ("email", email),
                ("password", "not the one"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    started.elapsed().as_secs_f64() * 1000.0
}

/// The quickest sample: the machine's noise (other tests run beside this one) only ever adds
/// time, so the minimum is what the work itself costs.
fn quickest(samples: &[f64]) -> f64 {
    samples.iter().copied().fold(f64::INFINITY, f64::min)
}

#[tokio::test]
async fn an_unknown_email_takes_as_long_as_a_wrong_password() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    // A real difference (no hash for unknown e-mails) shows in every round; a burst of the
    // machine's noise in one round does not, so up to three rounds are measured.
    let mut rounds = Vec::new();
    for round in 0..3u8 {
        let (known, unknown) = sign_in_times(&app, &acme, round).await;
        if (known - unknown).abs() <= 0.10 * known.max(unknown) {
            return;
        }
        rounds.push(format!("{known:.1} ms against {unknown:.1} ms"));
    }
    panic!("a wrong password against an unknown e-mail took {rounds:?}");
}

/// The quickest wrong-password and unknown-e-mail sign-ins of one round.
async fn sign_in_times(app: &TestApp, acme: &TestAccount, round: u8) -> (f64, f64) {
    // One e-mail and one address each time, so that no limit starts; interleaved in turns, so
    // that the machine's noise falls on both alike; the first turns warm up.
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for n in 0..28u8 {
        let email = format!("user{round}-{n}@acme.test");
        tern_app::operator::create_user(
            &*app.store,
            acme.id.parse().unwrap(),
            email.parse().unwrap(),
            crate::panel::PASSWORD,
        )
        .await
        .unwrap();
        let nobody = format!("nobody{round}-{n}@acme.test");
        let from = |k: u8| [127, round + 1, 1, k];
        let (a, b) = if n % 2 == 0 {
            let a = failed_sign_in(app, &email, from(2 * n)).await;
            (a, failed_sign_in(app, &nobody, from(2 * n + 1)).await)
        } else {
            let b = failed_sign_in(app, &nobody, from(2 * n + 1)).await;
            (failed_sign_in(app, &email, from(2 * n)).await, b)
        };
        if n >= 3 {
            known.push(a);
            unknown.push(b);
        }
    }
    (quickest(&known), quickest(&unknown))
}

#[tokio::test]
async fn next_after_sign_in_is_only_a_path_of_this_site() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    user(&app, &acme.id, "ann@acme.test").await;
    for (next, expected) in [
        ("/\t/evil.example", "/campaigns"),
        ("/\n/evil.example", "/campaigns"),
        ("/campaigns\r\nSet-Cookie: x=1", "/campaigns"),
        ("//evil.example", "/campaigns"),
        ("/\\evil.example", "/campaigns"),
        ("https://evil.example", "/campaigns"),
        (
            "/contacts?consent=subscribed",
            "/contacts?consent=subscribed",
        ),
    ] {
        let mut browser = Browser::new(&app);
        let (_, _, page) = browser.get("/login").await;
        let csrf = hidden(&page, "csrf");
        let (status, headers, body) = browser
            .form(
                "/login",
                &[
                    ("email", "ann@acme.test"),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{next:?}: {body}");
        assert_eq!(headers[header::LOCATION], expected, "{next:?}");
    }
    // A NUL is refused before anything else, and signs nobody in.
    let mut browser = Browser::new(&app);
    let (_, _, page) = browser.get("/login").await;
    let csrf = hidden(&page, "csrf");
    let (status, _, _) = browser
        .form(
            "/login",
            &[
                ("email", "ann@acme.test"),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", "/a\0b"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(browser.cookies.iter().all(|(n, _)| n != "tern_session"));
}

#[tokio::test]
async fn admins_invite_and_remove_users_and_a_new_password_ends_the_other_sessions() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    user(&app, &acme.id, "ann@acme.test").await;
    let mut ann = Browser::new(&app);
    assert_eq!(
        ann.sign_in("ann@acme.test", PASSWORD).await,
        StatusCode::SEE_OTHER
    );
    let (status, _, page) = ann.get("/users").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&page);

    // An invitation link is shown once and works once.
    let (status, _, page) = ann
        .form(
            "/users/invite",
            &[
                ("csrf", &csrf),
                ("email", "bob@acme.test"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let link = hidden_value(&page, "invite-link");
    let path = link.strip_prefix(&app.address).unwrap_or(&link).to_owned();
    assert!(path.starts_with("/invite/"), "{link}");
    let (status, _, page) = ann.get("/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains(&path), "the link is not shown again");
    assert!(page.contains("bob@acme.test"), "the invitation is listed");

    // Posted from another site (a page that would sign visitors in to its own account), the
    // form is refused.
    let cross_site = reqwest::Client::new()
        .post(format!("{}{path}", app.address))
        .header("sec-fetch-site", "cross-site")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("password=stolen+passphrase&confirm_password=stolen+passphrase")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let mut bob = Browser::new(&app);
    let (status, _, page) = bob.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("bob@acme.test"));
    let (status, _, _) = bob
        .form(
            &path,
            &[("password", "short"), ("confirm_password", "short")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, headers, _) = bob
        .form(
            &path,
            &[
                ("password", "bob's own passphrase"),
                ("confirm_password", "bob's own passphrase"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/campaigns");
    let (status, _, _) = Browser::new(&app)
        .form(
            &path,
            &[
                ("password", "another passphrase"),
                ("confirm_password", "another passphrase"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a link works once");

    // A member manages no users, but the rest of the panel is theirs.
    let (status, _, page) = bob.get("/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Only an admin"), "{page}");
    let bob_csrf = csrf_of(&page);
    let (status, _, _) = bob
        .form(
            "/users/invite",
            &[
                ("csrf", &bob_csrf),
                ("email", "eve@acme.test"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(bob.get("/campaigns").await.0, StatusCode::OK);

    // Bob changes his password: his other session ends, this one goes on.
    let mut bob_elsewhere = Browser::new(&app);
    assert_eq!(
        bob_elsewhere
            .sign_in("bob@acme.test", "bob's own passphrase")
            .await,
        StatusCode::SEE_OTHER
    );
    let (status, _, page) = bob
        .form(
            "/users/password",
            &[
                ("csrf", &bob_csrf),
                ("current_password", "not it"),
                ("new_password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let (status, _, _) = bob
        .form(
            "/users/password",
            &[
                ("csrf", &bob_csrf),
                ("current_password", "bob's own passphrase"),
                ("new_password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(bob.get("/campaigns").await.0, StatusCode::OK);
    assert_eq!(
        bob_elsewhere.get("/campaigns").await.0,
        StatusCode::SEE_OTHER,
        "the other session ended"
    );

    // Ann removes Bob, whose session ends at once; Ann cannot remove herself.
    let users = app
        .store
        .list_users(acme.id.parse().unwrap())
        .await
        .unwrap();
    let bob_id = users
        .iter()
        .find(|u| u.email == "bob@acme.test")
        .unwrap()
        .id;
    let ann_id = users
        .iter()
        .find(|u| u.email == "ann@acme.test")
        .unwrap()
        .id;
    let (status, _, _) = ann
        .form(&format!("/users/{ann_id}/remove"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _, _) = ann
        .form(&format!("/users/{bob_id}/remove"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(bob.get("/campaigns").await.0, StatusCode::SEE_OTHER);

    // The audit trail tells who did it, in the API and on its page.
    let trail = app.get("/api/v1/audit", &acme.key).await.body;
    let actions: Vec<&str> = trail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "user.removed",
            "user.password_changed",
            "user.joined",
            "user.invited",
            "key.created"
        ]
    );
    let (status, _, page) = ann.get("/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("user.removed"), "{page}");
}

/// The `value` of the input with this id.
fn hidden_value(page: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {page}"));
    let start = page[at..].find("value=\"").unwrap() + at + "value=\"".len();
    page[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
}

#[tokio::test]
async fn settings_change_only_from_the_revision_read() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let read = app.get("/api/v1/settings", &acme.key).await;
    let etag = read.headers[header::ETAG].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", read.body["revision"]));

    let first = app
        .client
        .patch(format!("{}/api/v1/settings", app.address))
        .bearer_auth(&acme.key)
        .header(header::IF_MATCH, &etag)
        .json(&json!({"help_reply": "First"}))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let new_etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    // A second editor who read before the first change is refused, and changes nothing.
    let stale = app
        .client
        .patch(format!("{}/api/v1/settings", app.address))
        .bearer_auth(&acme.key)
        .header(header::IF_MATCH, &etag)
        .json(&json!({"opt_out_footer": "Second"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);
    let now = app.get("/api/v1/settings", &acme.key).await.body;
    assert_eq!(
        (now["help_reply"].as_str(), now["opt_out_footer"].as_str()),
        (Some("First"), Some("Reply STOP to opt out"))
    );
    // Concurrent patches without If-Match both land: neither overwrites the other's field.
    let (a, b) = tokio::join!(
        app.patch("/api/v1/settings", &acme.key, json!({"help_reply": "A"})),
        app.patch(
            "/api/v1/settings",
            &acme.key,
            json!({"opt_out_footer": "B"})
        ),
    );
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK));
    let now = app.get("/api/v1/settings", &acme.key).await.body;
    assert_eq!(
        (now["help_reply"].as_str(), now["opt_out_footer"].as_str()),
        (Some("A"), Some("B"))
    );
    let trail = app.get("/api/v1/audit", &acme.key).await.body;
    assert_eq!(trail["entries"][0]["action"], "settings.changed");
}

#[tokio::test]
async fn an_import_refuses_a_mapping_larger_than_64_kb() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let big = format!("{{\"a\": \"{}\"}}", "x".repeat(70 * 1024));
    let started = app
        .import_csv(&acme.key, "phone\n+14155550101\n", &[("mapping", &big)])
        .await;
    assert_eq!(
        started.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        started.text
    );
    assert_eq!(started.body["error"]["field"], "mapping");
    let region = "U".repeat(70 * 1024);
    let started = app
        .import_csv(
            &acme.key,
            "phone\n+14155550101\n",
            &[("default_region", &region)],
        )
        .await;
    assert_eq!(started.body["error"]["field"], "default_region");
    let imports = app.get("/api/v1/contacts/imports", &acme.key).await.body;
    assert_eq!(imports, json!([]), "nothing started");
}

#[tokio::test]
async fn test_sends_are_limited_per_account_and_hour() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let numbers: Vec<String> = (0..20).map(|i| format!("+1415555{:04}", 200 + i)).collect();
    app.patch(
        "/api/v1/settings",
        &acme.key,
        json!({"test_numbers": numbers}),
    )
    .await;
    let made = app
        .post(
            "/api/v1/campaigns",
            &acme.key,
            json!({"name": "Tests", "type": "single"}),
        )
        .await;
    let id = made.body["id"].as_str().unwrap().to_owned();
    let saved = app
        .call(
            Method::PUT,
            &format!("/api/v1/campaigns/{id}/steps/design"),
            Some(&acme.key),
            Some(json!({"body": "Hello"})),
        )
        .await;
    assert!(saved.status.is_success(), "{}", saved.text);
    let path = format!("/api/v1/campaigns/{id}/tests");
    // 60 an hour: three sends to the 20 numbers pass, the fourth does not.
    for _ in 0..3 {
        let sent = app.post(&path, &acme.key, json!({})).await;
        assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.text);
    }
    let refused = app.post(&path, &acme.key, json!({})).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    assert!(refused.headers.contains_key(header::RETRY_AFTER));
    let listed = app.get(&path, &acme.key).await.body;
    assert_eq!(
        listed.as_array().unwrap().len(),
        60,
        "the refused send queued nothing"
    );
    // Another account has its own hour.
    let globex = app.create_account("globex").await;
    let other = app
        .patch(
            "/api/v1/settings",
            &globex.key,
            json!({"test_numbers": ["+14155550300"]}),
        )
        .await;
    assert_eq!(other.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn guesses_sent_at_once_wait_their_turn_and_meet_the_limit() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    user(&app, &acme.id, "ann@acme.test").await;
    // Each from its own address and connection, all at once.
    let mut attempts = tokio::task::JoinSet::new();
    for n in 0..16u8 {
        let mut browser = Browser::from_address(&app, Some([127, 0, 3, n].into()));
        attempts.spawn(async move { browser.sign_in("ann@acme.test", "a guess").await });
    }
    let statuses: Vec<StatusCode> = attempts.join_all().await;
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let waited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    // Five free failures, plus those already checking when the fifth was counted (4 at once).
    assert!(refused <= 5 + 3, "{statuses:?}");
    assert_eq!(refused + waited, 16, "{statuses:?}");
}

#[tokio::test]
async fn an_addresss_wait_holds_for_every_email_and_a_huge_email_is_just_wrong() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    user(&app, &acme.id, "ann@acme.test").await;
    // One address tries one password on many e-mails (password spraying).
    let office = Some([127, 0, 4, 1].into());
    for n in 0..21 {
        Browser::from_address(&app, office)
            .sign_in(&format!("stranger{n}@acme.test"), "a guess")
            .await;
    }
    assert_eq!(
        Browser::from_address(&app, office)
            .sign_in("someone@acme.test", "a guess")
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "the address waits"
    );
    assert_eq!(
        Browser::from_address(&app, office)
            .sign_in("ann@acme.test", PASSWORD)
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "even a right password waits: guessing one across e-mails gains nothing"
    );
    assert_eq!(
        Browser::from_address(&app, Some([127, 0, 4, 2].into()))
            .sign_in("ann@acme.test", PASSWORD)
            .await,
        StatusCode::SEE_OTHER,
        "another address is not held up"
    );
    let huge = format!("{}@acme.test", "a".repeat(10_000));
    assert_eq!(
        Browser::new(&app).sign_in(&huge, "a guess").await,
        StatusCode::UNAUTHORIZED
    );
}
