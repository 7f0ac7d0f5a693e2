//! The sending benchmark's parts: a minimal Twilio-compatible endpoint (the testkit's stub,
//! counting only), and a driver that sets up a Single MMS campaign on a running `tern serve`
//! through the API, launches it, and times it until every message is accepted.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::Method;
use serde_json::{Value, json};

/// Serves Create Message on `port` until stopped, answering at once.
pub async fn stub(port: u16) -> anyhow::Result<()> {
    let stub = tern_testkit::twilio_stub::TwilioStub::start(port, Duration::ZERO, false).await;
    eprintln!("twilio stub on {}", stub.base);
    tokio::signal::ctrl_c().await?;
    eprintln!("stub answered {} creates", stub.created());
    Ok(())
}

struct Api {
    client: reqwest::Client,
    url: String,
    key: String,
}

impl Api {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| path.to_owned())?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// Sets up the campaign, launches it and waits until `recipients` messages are accepted;
/// prints the figures.
pub async fn run(url: &str, key: &str, recipients: u64) -> anyhow::Result<()> {
    let api = Api {
        client: reqwest::Client::new(),
        url: url.trim_end_matches('/').to_owned(),
        key: key.to_owned(),
    };
    api.call(Method::PATCH, "/api/v1/settings", Some(json!({
        "senders": [{"country": "US", "kind": "phone_number", "address": "+14155550100", "segments_per_second": 10000}],
        "quiet_hours": {"allowed_from": "00:00", "allowed_until": "23:59"},
        "twilio": {"account_sid": format!("AC{}", "0".repeat(32)), "auth_token": "f".repeat(32)},
    }))).await?;
    let picture = reqwest::multipart::Part::bytes(tern_testkit::images::jpeg(640, 480, 1))
        .file_name("sale.jpg")
        .mime_str("image/jpeg")?;
    let uploaded: Value = api
        .client
        .post(format!("{}/api/v1/media", api.url))
        .bearer_auth(key)
        .multipart(reqwest::multipart::Form::new().part("file", picture))
        .send()
        .await?
        .json()
        .await?;
    let segment = api
        .call(
            Method::POST,
            "/api/v1/segments",
            Some(json!({
                "name": "Everyone", "definition": {"consent": ["subscribed"]},
            })),
        )
        .await?;
    let campaign = api
        .call(
            Method::POST,
            "/api/v1/campaigns",
            Some(json!({
                "name": "Benchmark", "type": "single", "channel": "mms",
            })),
        )
        .await?;
    let id = campaign["id"].as_str().context("campaign id")?.to_owned();
    for (step, body) in [
        ("segments", json!({"include": [segment["id"]]})),
        (
            "design",
            json!({"body": "Hi {{ first_name | default: 'there' }}, new in: https://shop.example/new", "media": [uploaded["id"]]}),
        ),
        (
            "goals",
            json!({"event": "Order Completed", "window_hours": 24}),
        ),
        ("launch", json!({})),
    ] {
        api.call(
            Method::PUT,
            &format!("/api/v1/campaigns/{id}/steps/{step}"),
            Some(body),
        )
        .await?;
    }
    let started = Instant::now();
    api.call(
        Method::POST,
        &format!("/api/v1/campaigns/{id}/launch"),
        Some(json!({})),
    )
    .await?;
    let mut written_at = None;
    loop {
        let progress = api
            .call(
                Method::GET,
                &format!("/api/v1/campaigns/{id}/progress"),
                None,
            )
            .await?;
        if written_at.is_none() && progress["audience_written"] == true {
            written_at = Some(started.elapsed());
        }
        let sent = progress["sent"].as_u64().unwrap_or(0);
        if sent + progress["failed"].as_u64().unwrap_or(0) >= recipients {
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "recipients={recipients} accepted={sent} failed={} seconds={seconds:.2} messages_per_s={:.0} audience_written_s={:.2}",
                progress["failed"],
                sent as f64 / seconds,
                written_at.unwrap_or_default().as_secs_f64()
            );
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(1800) {
            bail!("not all accepted after 30 minutes: {progress}");
        }
        // Progress counts the whole outbox: asked four times a second, as a panel might.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
