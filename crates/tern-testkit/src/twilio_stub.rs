//! A Twilio-compatible server for the delivery tests and the benchmark: Create Message and the
//! message list (what reconciliation reads), nothing else. It counts the requests for each
//! recipient, so a test can tell whether anyone got a message twice. Prism's mock cannot do
//! this: it answers every Create with the same canned SID.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

#[derive(Default)]
struct Stub {
    next: AtomicU64,
    /// Every message created, oldest first.
    messages: Mutex<Vec<Value>>,
    /// Create requests per `To`.
    per_recipient: Mutex<HashMap<String, u32>>,
    /// Time taken before each answer.
    latency: Duration,
    /// Keep the messages (for the list); the benchmark only counts.
    keep: bool,
}

/// A running stub.
#[derive(Clone)]
pub struct TwilioStub {
    /// `http://127.0.0.1:PORT`: what `TERN_TWILIO_API_BASE` is set to.
    pub base: String,
    stub: Arc<Stub>,
}

impl TwilioStub {
    /// Starts on `port` (0: any) on the current runtime; each Create answers after `latency`.
    /// `keep` stores messages for the list (reconciliation); without it the stub only counts.
    pub async fn start(port: u16, latency: Duration, keep: bool) -> Self {
        let stub = Arc::new(Stub {
            latency,
            keep,
            ..Stub::default()
        });
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(create).get(list),
            )
            .with_state(stub.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the stub's port");
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, stub }
    }

    /// Create requests per recipient.
    pub fn per_recipient(&self) -> HashMap<String, u32> {
        self.stub.per_recipient.lock().unwrap().clone()
    }

    /// Create requests in all.
    pub fn created(&self) -> u64 {
        self.stub.next.load(Ordering::Relaxed)
    }
}

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        Json(json!({"code": code, "message": message, "status": status.as_u16()})),
    )
        .into_response()
}

async fn create(
    State(stub): State<Arc<Stub>>,
    Path(account): Path<String>,
    body: Bytes,
) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let (Some(to), Some(from)) = (get("To"), get("From").or(get("MessagingServiceSid"))) else {
        return error(
            StatusCode::BAD_REQUEST,
            21604,
            "A 'To' and a 'From' are required.",
        );
    };
    let media = form.iter().filter(|(k, _)| k == "MediaUrl").count();
    let text = get("Body").unwrap_or_default();
    if text.is_empty() && media == 0 {
        return error(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
    }
    *stub
        .per_recipient
        .lock()
        .unwrap()
        .entry(to.clone())
        .or_default() += 1;
    let n = stub.next.fetch_add(1, Ordering::Relaxed) + 1;
    let sid = format!("{}{n:032x}", if media > 0 { "MM" } else { "SM" });
    let message = json!({
        "sid": sid, "account_id": account, "to": to, "from": from, "body": text,
        "status": "queued", "num_media": media.to_string(), "num_segments": "1",
        "date_created": chrono::Utc::now().to_rfc2822(),
    });
    if stub.keep {
        stub.messages.lock().unwrap().push(message.clone());
    }
    if !stub.latency.is_zero() {
        tokio::time::sleep(stub.latency).await;
    }
    (StatusCode::CREATED, Json(message)).into_response()
}

async fn list(
    State(stub): State<Arc<Stub>>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let messages = stub.messages.lock().unwrap();
    let found: Vec<&Value> = messages
        .iter()
        .rev()
        .filter(|m| query.get("To").is_none_or(|to| m["to"] == **to))
        .collect();
    Json(json!({"messages": found, "next_page_uri": null, "page": 0}))
}
