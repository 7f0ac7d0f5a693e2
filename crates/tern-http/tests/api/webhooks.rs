//! Twilio's inbound webhook, signed by Twilio's official Python library (`RequestValidator`):
//! consent keywords change consent with the source recorded, HELP is answered, and a request
//! that is not signed for the account is refused and changes nothing.
//! Needs `pip install -r tools/twilio-signer/requirements.txt` (done by `.ci/run`).

use reqwest::StatusCode;
use serde_json::{Value, json};
use tern_testkit::{TestApp, spawn_app};

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "f00dfeedf00dfeedf00dfeedf00dfeed";

/// The signature twilio-python computes.
async fn twilio_signature(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tools/twilio-signer/sign.py"
    );
    let input = json!({"token": token, "url": url, "params": params}).to_string();
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run python3");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "is twilio installed? {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn inbound(from: &str, body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AccountSid", ACCOUNT_SID.into()),
        ("ApiVersion", "2010-04-01".into()),
        ("Body", body.into()),
        ("From", from.into()),
        ("MessageSid", "SM00000000000000000000000000000042".into()),
        ("NumMedia", "0".into()),
        ("SmsStatus", "received".into()),
        ("To", "+14155550100".into()),
    ]
}

async fn post(
    app: &TestApp,
    url: &str,
    params: &[(&str, String)],
    signature: Option<&str>,
) -> (StatusCode, String) {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let mut request = app
        .client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(signature) = signature {
        request = request.header("x-twilio-signature", signature);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn signed_post(app: &TestApp, url: &str, params: &[(&str, String)]) -> (StatusCode, String) {
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let signature = twilio_signature(TOKEN, url, &pairs).await;
    post(app, url, params, Some(&signature)).await
}

async fn consent(app: &TestApp, key: &str, phone: &str) -> Value {
    let all = app.get("/api/v1/contacts?limit=100", key).await;
    let found = all.body["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["phone"] == phone)
        .cloned();
    found.unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread")]
async fn inbound_keywords_change_consent_only_when_twilio_signed_them() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let settings = app
        .patch(
            "/api/v1/settings",
            &acme.key,
            json!({"twilio": {"account_sid": ACCOUNT_SID, "auth_token": TOKEN},
                   "help_reply": "Acme & Co: reply STOP to opt out <3"}),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    let phone = "+14155550101";
    let created = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"phone": phone, "consent": "subscribed"}),
        )
        .await;
    let id = created.body["id"].as_i64().unwrap();
    let url = format!(
        "{}/webhooks/twilio/inbound?account={}",
        app.address, acme.id
    );

    // Refused: no signature, a wrong one, a body changed after signing, another account's URL.
    let stop = inbound(phone, "STOP");
    assert_eq!(post(&app, &url, &stop, None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        post(&app, &url, &stop, Some("bm90IGl0")).await.0,
        StatusCode::FORBIDDEN
    );
    let hello = inbound(phone, "HELLO");
    let pairs: Vec<(&str, &str)> = hello.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let hello_signature = twilio_signature(TOKEN, &url, &pairs).await;
    assert_eq!(
        post(&app, &url, &stop, Some(&hello_signature)).await.0,
        StatusCode::FORBIDDEN
    );
    let globex = app.create_account("globex").await;
    let elsewhere = format!(
        "{}/webhooks/twilio/inbound?account={}",
        app.address, globex.id
    );
    assert_eq!(
        signed_post(&app, &elsewhere, &stop).await.0,
        StatusCode::FORBIDDEN
    );
    let forged = format!(
        "{}/webhooks/twilio/inbound?account=00000000-0000-4000-8000-000000000000",
        app.address
    );
    assert_eq!(
        signed_post(&app, &forged, &stop).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        consent(&app, &acme.key, phone).await["consent"],
        "subscribed",
        "refusals changed nothing"
    );

    // STOP in any case unsubscribes; the history says it came by keyword.
    let (status, reply) = signed_post(&app, &url, &inbound(phone, "stop")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(reply.ends_with("<Response/>"), "{reply}");
    assert_eq!(
        consent(&app, &acme.key, phone).await["consent"],
        "unsubscribed"
    );
    let history = app
        .get(&format!("/api/v1/contacts/{id}/consent"), &acme.key)
        .await
        .body;
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["consent"].as_str(), last["source"].as_str()),
        (Some("unsubscribed"), Some("keyword"))
    );

    // A keyword inside a sentence is not one; START subscribes again.
    signed_post(&app, &url, &inbound(phone, "please start")).await;
    assert_eq!(
        consent(&app, &acme.key, phone).await["consent"],
        "unsubscribed"
    );
    signed_post(&app, &url, &inbound(phone, "START")).await;
    assert_eq!(
        consent(&app, &acme.key, phone).await["consent"],
        "subscribed"
    );

    // HELP is answered with the account's text, escaped as XML.
    let (_, reply) = signed_post(&app, &url, &inbound(phone, "help")).await;
    assert!(
        reply.contains("<Message>Acme &amp; Co: reply STOP to opt out &lt;3</Message>"),
        "{reply}"
    );

    // STOP from a number Tern does not know keeps it suppressed as a new contact.
    let stranger = "+14155550177";
    signed_post(&app, &url, &inbound(stranger, "STOPALL")).await;
    assert_eq!(
        consent(&app, &acme.key, stranger).await["consent"],
        "unsubscribed"
    );
}

fn status(sid: &str, status: &str, error: Option<&str>) -> Vec<(&'static str, String)> {
    let mut params = vec![
        ("AccountSid", ACCOUNT_SID.into()),
        ("ApiVersion", "2010-04-01".into()),
        ("From", "+14155550100".into()),
        ("MessageSid", sid.into()),
        ("MessageStatus", status.into()),
        ("SmsSid", sid.into()),
        ("SmsStatus", status.into()),
        ("To", "+14155550199".into()),
    ];
    if let Some(code) = error {
        params.push(("ErrorCode", code.into()));
    }
    params
}

async fn test_message(app: &TestApp, key: &str, campaign: &str) -> Value {
    let tests = app
        .get(&format!("/api/v1/campaigns/{campaign}/tests"), key)
        .await;
    tests.body[0].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn status_callbacks_move_a_message_forward_only_when_twilio_signed_them() {
    let twilio =
        tern_testkit::twilio_stub::TwilioStub::start(0, std::time::Duration::ZERO, true).await;
    let app = tern_testkit::spawn_app_sending_to(&twilio.base).await;
    let acme = app.create_account("acme").await;
    let key = &acme.key;
    let settings = app
        .patch(
            "/api/v1/settings",
            key,
            json!({"twilio": {"account_sid": ACCOUNT_SID, "auth_token": TOKEN},
                   "senders": [{"country": "US", "kind": "phone_number", "address": "+14155550100", "segments_per_second": 10}],
                   "test_numbers": ["+14155550199"]}),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    let campaign = app
        .post(
            "/api/v1/campaigns",
            key,
            json!({"name": "Promo", "type": "single", "channel": "sms"}),
        )
        .await;
    let campaign = campaign.body["id"].as_str().unwrap().to_owned();
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/campaigns/{campaign}/steps/design"),
        Some(key),
        Some(json!({"body": "Hello"})),
    )
    .await;
    let sent = app
        .post(
            &format!("/api/v1/campaigns/{campaign}/tests"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "{}", sent.text);
    // The test message reaches the Twilio-compatible server and gets its SID.
    let mut message = Value::Null;
    for _ in 0..100 {
        message = test_message(&app, key, &campaign).await;
        if message["provider_sid"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let sid = message["provider_sid"].as_str().expect("sent").to_owned();
    assert_eq!(message["provider_status"], "queued");
    let url = format!("{}/webhooks/twilio/status?account={}", app.address, acme.id);

    // Unsigned or wrongly signed: refused, nothing changes.
    let delivered = status(&sid, "delivered", None);
    assert_eq!(
        post(&app, &url, &delivered, None).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&app, &url, &delivered, Some("bm90IGl0")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        test_message(&app, key, &campaign).await["provider_status"],
        "queued"
    );

    // Signed by twilio-python: delivered; a late `sent` and a repeat change nothing.
    assert_eq!(
        signed_post(&app, &url, &delivered).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        signed_post(&app, &url, &status(&sid, "sent", None)).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        signed_post(&app, &url, &delivered).await.0,
        StatusCode::NO_CONTENT
    );
    let after = test_message(&app, key, &campaign).await;
    assert_eq!(after["provider_status"], "delivered", "{after}");

    // Another account cannot touch it, even with its own valid signature.
    let globex = app.create_account("globex").await;
    app.patch(
        "/api/v1/settings",
        &globex.key,
        json!({"twilio": {"account_sid": ACCOUNT_SID, "auth_token": TOKEN}}),
    )
    .await;
    let theirs = format!(
        "{}/webhooks/twilio/status?account={}",
        app.address, globex.id
    );
    assert_eq!(
        signed_post(&app, &theirs, &status(&sid, "undelivered", Some("30003")))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let still = test_message(&app, key, &campaign).await;
    assert_eq!(still["provider_status"], "delivered", "{still}");
    assert_eq!(still["error_code"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stop_stays_a_stop_until_the_contacts_own_start_or_a_proven_consent() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let twilio = json!({"twilio": {"account_sid": ACCOUNT_SID, "auth_token": TOKEN}});
    assert_eq!(
        app.patch("/api/v1/settings", &acme.key, twilio)
            .await
            .status,
        StatusCode::OK
    );
    let phone = "+14155550101";
    let created = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"external_id": "c1", "phone": phone, "consent": "subscribed"}),
        )
        .await;
    let id = created.body["id"].as_i64().unwrap();
    let url = format!(
        "{}/webhooks/twilio/inbound?account={}",
        app.address, acme.id
    );
    assert_eq!(
        signed_post(&app, &url, &inbound(phone, "STOP")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        consent(&app, &acme.key, phone).await["consent"],
        "unsubscribed"
    );

    // An old list re-imported keeps the opt-out, and its report names the row.
    let csv = "external_id,phone,consent\nc2,+14155550102,yes\nc1,+14155550101,yes\n";
    let done = app.import_and_wait(&acme.key, csv, &[]).await;
    assert_eq!(
        (
            done["consent_kept"].as_u64(),
            done["consent_kept_lines"].clone()
        ),
        (Some(1), json!([3])),
        "{done}"
    );
    assert_eq!(
        consent(&app, &acme.key, phone).await["consent"],
        "unsubscribed"
    );
    assert_eq!(
        consent(&app, &acme.key, "+14155550102").await["consent"],
        "subscribed",
        "a first consent from an import stands"
    );

    // An API write without a proof keeps it too, and says why.
    let plain = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"external_id": "c1", "consent": "subscribed"}),
        )
        .await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.text);
    assert_eq!(plain.body["consent"], "unsubscribed");
    assert!(
        plain.body["consent_kept"]
            .as_str()
            .is_some_and(|why| why.contains("consent_proof")),
        "{}",
        plain.text
    );
    // A proof from the future, or without its consent, is refused and changes nothing.
    let future = json!({"method": "web form", "collected_at": "2999-01-01T00:00:00Z", "location": "https://shop.example/join"});
    let refused = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"external_id": "c1", "consent": "subscribed", "consent_proof": future}),
        )
        .await;
    assert_eq!(
        (refused.status, refused.body["error"]["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("consent_proof.collected_at")
        )
    );
    // Consent given anew after the STOP (a few milliseconds later at least).
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let collected = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let proof = json!({"method": "web form double opt-in", "collected_at": collected, "location": "https://shop.example/join"});
    let alone = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"external_id": "c1", "consent_proof": proof}),
        )
        .await;
    assert_eq!(alone.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        consent(&app, &acme.key, phone).await["consent"],
        "unsubscribed"
    );

    // With a proof of new consent the API subscribes again, and the proof is kept.
    let proven = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"external_id": "c1", "consent": "subscribed", "consent_proof": proof}),
        )
        .await;
    assert_eq!(proven.body["consent"], "subscribed", "{}", proven.text);
    assert!(proven.body.get("consent_kept").is_none());
    let history = app
        .get(&format!("/api/v1/contacts/{id}/consent"), &acme.key)
        .await
        .body;
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["source"].as_str(), last["proof"]["method"].as_str()),
        (Some("api"), Some("web form double opt-in"))
    );
    let trail = app.get("/api/v1/audit", &acme.key).await.body;
    let consent_entry = trail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["action"] == "contact.consent_changed"
                && e["target"].as_str() == Some(&*id.to_string())
        })
        .cloned()
        .expect("the proven change is in the audit trail");
    assert_eq!(
        consent_entry["detail"]["proof"]["location"],
        "https://shop.example/join"
    );

    // The contact's own START undoes their STOP with no proof.
    signed_post(&app, &url, &inbound(phone, "STOP")).await;
    signed_post(&app, &url, &inbound(phone, "START")).await;
    assert_eq!(
        consent(&app, &acme.key, phone).await["consent"],
        "subscribed"
    );

    // After another STOP, the proof from before it proves nothing any more.
    signed_post(&app, &url, &inbound(phone, "STOP")).await;
    let replayed = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"external_id": "c1", "consent": "subscribed", "consent_proof": proof}),
        )
        .await;
    assert_eq!(
        replayed.body["consent"], "unsubscribed",
        "{}",
        replayed.text
    );
    assert!(replayed.body["consent_kept"].is_string());

    // The opt-out outlives the contact: deleted and made again, or its number moved to a new
    // contact, the number stays unsubscribed.
    let deleted = app
        .delete(&format!("/api/v1/contacts/{id}"), &acme.key)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"external_id": "c1-again", "phone": phone, "consent": "subscribed"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.body["consent"], "unsubscribed", "{}", again.text);
    assert!(again.body["consent_kept"].is_string());
    let moved = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"external_id": "c1-again", "phone": "+14155550109"}),
        )
        .await;
    assert_eq!(moved.body["phone"], "+14155550109", "{}", moved.text);
    let csv = format!("external_id,phone,consent\nc1-csv,{phone},yes\n");
    let done = app.import_and_wait(&acme.key, &csv, &[]).await;
    assert_eq!(done["consent_kept"], 1, "{done}");
    assert_eq!(
        consent(&app, &acme.key, phone).await["consent"],
        "unsubscribed"
    );
    // The number's own START subscribes whoever holds it now.
    signed_post(&app, &url, &inbound(phone, "START")).await;
    assert_eq!(
        consent(&app, &acme.key, phone).await["consent"],
        "subscribed"
    );

    // A second STOP dates the opt-out anew: a proof from between the two proves nothing.
    signed_post(&app, &url, &inbound(phone, "STOP")).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let between = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    signed_post(&app, &url, &inbound(phone, "STOP")).await;
    let proof = json!({"method": "checkout box", "collected_at": between, "location": "shop"});
    let stale = app
        .post(
            "/api/v1/contacts",
            &acme.key,
            json!({"external_id": "c1-csv", "consent": "subscribed", "consent_proof": proof}),
        )
        .await;
    assert_eq!(stale.body["consent"], "unsubscribed", "{}", stale.text);

    // The trail names the contact's own keywords and each import, besides the API's changes.
    let trail = app.get("/api/v1/audit?limit=200", &acme.key).await.body;
    let entries = trail["entries"].as_array().unwrap();
    let by = |actor: &str, action: &str| {
        entries
            .iter()
            .filter(|e| e["actor"] == actor && e["action"] == action)
            .count()
    };
    assert!(by("contact", "contact.consent_changed") >= 4, "{trail}");
    let imports: Vec<u64> = entries
        .iter()
        .filter(|e| e["action"] == "contacts.imported")
        .map(|e| e["detail"]["consent_kept"].as_u64().unwrap())
        .collect();
    assert_eq!(imports, [1, 1], "{trail}");
}

/// A small deterministic generator: the same run every time, no dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// Text of any kind: empty, huge, control characters, emoji, invalid-looking numbers.
    fn text(&mut self) -> String {
        const PIECES: &[&str] = &[
            "",
            "STOP",
            "start",
            " HELP ",
            "+14155550101",
            "+1",
            "0",
            "-1",
            "99999999999999999999",
            "SM00000000000000000000000000000042",
            "delivered",
            "undelivered",
            "failed",
            "30003",
            "\u{0}",
            "\r\n",
            "%",
            "&=",
            "é",
            "🎉",
            "<script>",
            "null",
            "[]",
            "{\"a\":1}",
            "\u{202e}",
        ];
        let mut out = String::new();
        for _ in 0..self.below(4) {
            out.push_str(self.pick(PIECES));
        }
        if self.below(20) == 0 {
            out.push_str(&"x".repeat(self.below(200_000) as usize));
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_webhooks_with_malformed_bodies_never_fail_the_server() {
    let app = spawn_app().await;
    let acme = app.create_account("acme").await;
    let twilio = json!({"twilio": {"account_sid": ACCOUNT_SID, "auth_token": TOKEN}});
    app.patch("/api/v1/settings", &acme.key, twilio).await;
    app.post(
        "/api/v1/contacts",
        &acme.key,
        json!({"phone": "+14155550101", "consent": "subscribed"}),
    )
    .await;
    const NAMES: &[&str] = &[
        "AccountSid",
        "From",
        "To",
        "Body",
        "MessageSid",
        "SmsSid",
        "MessageStatus",
        "SmsStatus",
        "ErrorCode",
        "ErrorMessage",
        "NumMedia",
        "OptOutType",
        "ApiVersion",
        "",
        "From[]",
    ];
    let mut noise = Noise(0x5eed_1234_abcd_ef01);
    let mut statuses = std::collections::BTreeMap::new();
    for _ in 0..400 {
        let route = noise.pick(&["inbound", "status"]);
        // The account in the query: the right one mostly, else another or none.
        let query = match noise.below(10) {
            0 => String::new(),
            1 => "?account=not-an-id".to_owned(),
            2 => "?account=00000000-0000-4000-8000-000000000000".to_owned(),
            _ => format!("?account={}", acme.id),
        };
        let url = format!("{}/webhooks/twilio/{route}{query}", app.address);
        // The account's own AccountSid mostly (Twilio always sends it), then anything.
        let mut params: Vec<(String, String)> = Vec::new();
        if noise.below(10) != 0 {
            params.push(("AccountSid".into(), ACCOUNT_SID.into()));
        }
        for _ in 0..noise.below(12) {
            params.push((noise.pick(NAMES).to_owned(), noise.text()));
        }
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish();
        // Signed over what the server will parse back, so that most requests reach the handler.
        let parsed: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let signature = tern_domain::delivery::signature::sign(TOKEN, &url, &parsed);
        let response = app
            .client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(!status.is_server_error(), "{status} for {params:?}: {text}");
        if status.is_client_error() {
            let error: Value = serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("not the JSON error body: {status} {text}"));
            assert!(error["error"]["code"].is_string(), "{text}");
        }
        *statuses.entry(status.as_u16()).or_insert(0) += 1;
    }
    eprintln!("statuses: {statuses:?}");
    assert!(
        statuses.get(&200).copied().unwrap_or(0) + statuses.get(&204).copied().unwrap_or(0) > 50,
        "most requests reach the handlers: {statuses:?}"
    );
    assert_eq!(
        app.call(reqwest::Method::GET, "/healthz", None, None)
            .await
            .status,
        StatusCode::OK
    );
}
