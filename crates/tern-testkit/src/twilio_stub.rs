//! A Twilio-compatible server for the delivery tests and the benchmark: Create Message and the
//! message list (what reconciliation reads), nothing else. It counts the requests for each
//! recipient, so a test can tell whether anyone got a message twice, and keeps when each
//! accepted message arrived from which sender, so a test can tell whether a sender went over its
//! rate. It can misbehave on purpose: refuse a share of requests (429, 503), keep a share
//! without answering in time (created, the answer lost), or be down for a while. Prism's mock
//! cannot do this: it answers every Create with the same canned SID.

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

/// How the stub misbehaves: shares in percent of Create requests, decided by their order (the
/// same run misbehaves the same way).
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Refused, alternately with 429 and 503; nothing created.
    pub refuse_percent: u64,
    /// Created, then answered only after `slow_answer` (longer than the client waits).
    pub slow_percent: u64,
    pub slow_answer: Duration,
}

/// An accepted message as the stub saw it arrive.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub at: std::time::SystemTime,
    pub from: String,
    pub to: String,
}

#[derive(Default)]
struct Stub {
    next: AtomicU64,
    requests: AtomicU64,
    faults: Faults,
    /// Every request is answered 503 while this is set.
    down: std::sync::atomic::AtomicBool,
    arrivals: Mutex<Vec<Arrival>>,
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
        Self::start_with_faults(port, latency, keep, Faults::default()).await
    }

    /// Starts a stub that misbehaves as `faults` say.
    pub async fn start_with_faults(
        port: u16,
        latency: Duration,
        keep: bool,
        faults: Faults,
    ) -> Self {
        let stub = Arc::new(Stub {
            latency,
            keep,
            faults,
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

    /// Every accepted message, in order of arrival.
    pub fn arrivals(&self) -> Vec<Arrival> {
        self.stub.arrivals.lock().unwrap().clone()
    }

    /// Down (every request answered 503) or up again.
    pub fn set_down(&self, down: bool) {
        self.stub.down.store(down, Ordering::Relaxed);
    }

    /// The most messages each sender had accepted within one second of the stub's clock
    /// (whole seconds since the epoch).
    pub fn busiest_second(&self) -> HashMap<String, u32> {
        let mut per: HashMap<(String, u64), u32> = HashMap::new();
        for arrival in self.arrivals() {
            let second = arrival
                .at
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            *per.entry((arrival.from, second)).or_default() += 1;
        }
        let mut busiest: HashMap<String, u32> = HashMap::new();
        for ((from, _), n) in per {
            let most = busiest.entry(from).or_default();
            *most = (*most).max(n);
        }
        busiest
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
    if stub.down.load(Ordering::Relaxed) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            20500,
            "Service unavailable (an outage).",
        );
    }
    // The n-th request's fate, spread evenly over the run by a multiplicative hash.
    let n = stub.requests.fetch_add(1, Ordering::Relaxed);
    let roll = n.wrapping_mul(2_654_435_761) % 100;
    let faults = stub.faults;
    if roll < faults.refuse_percent {
        return if n % 2 == 0 {
            error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests")
        } else {
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                20500,
                "Service unavailable",
            )
        };
    }
    let slow = roll < faults.refuse_percent + faults.slow_percent;
    stub.arrivals.lock().unwrap().push(Arrival {
        at: std::time::SystemTime::now(),
        from: from.clone(),
        to: to.clone(),
    });
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
    if slow {
        tokio::time::sleep(faults.slow_answer).await;
    }
    (StatusCode::CREATED, Json(message)).into_response()
}

async fn list(
    State(stub): State<Arc<Stub>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if stub.down.load(Ordering::Relaxed) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            20500,
            "Service unavailable (an outage).",
        );
    }
    let messages = stub.messages.lock().unwrap();
    let found: Vec<&Value> = messages
        .iter()
        .rev()
        .filter(|m| query.get("To").is_none_or(|to| m["to"] == **to))
        .collect();
    Json(json!({"messages": found, "next_page_uri": null, "page": 0})).into_response()
}
