//! The triggers benchmark's shop: carts left by subscribed contacts, sent through `/v1/batch`
//! with event times set so that their reminders fall due evenly over a window starting at a
//! chosen moment (a run of minutes stands for an hour of a shop's traffic).

use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

/// The `n`th subscribed contact of `generate` (70 of each 100 are subscribed: `i % 10 < 7`).
fn subscribed(n: usize) -> usize {
    n / 7 * 10 + n % 7
}

pub async fn run(
    url: &str,
    write_key: &str,
    carts: usize,
    due_from: DateTime<Utc>,
    window_secs: u64,
    delay_minutes: i64,
) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let step = window_secs as f64 * 1000.0 / carts.max(1) as f64;
    let calls: Vec<Value> = (0..carts)
        .map(|k| {
            let due = due_from + TimeDelta::milliseconds((k as f64 * step) as i64);
            let at = due - TimeDelta::minutes(delay_minutes);
            json!({"type": "track", "userId": format!("c{}", subscribed(k)), "event": "Product Added",
                "messageId": format!("cart-{k}"), "timestamp": at.to_rfc3339(),
                "properties": {"product_id": format!("sku-{}", k % 500), "name": "Linen shirt",
                    "price": 39.5, "quantity": 1, "currency": "USD", "cart_id": format!("bench-{k}")}})
        })
        .collect();
    for chunk in calls.chunks(500) {
        let body = json!({"batch": chunk});
        let reply = client
            .post(format!("{url}/v1/batch"))
            .basic_auth(write_key, Some(""))
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(reply.status().is_success(), "{}", reply.text().await?);
    }
    println!(
        "carts={carts} sent_in_s={:.1} due_from={} window_s={window_secs}",
        started.elapsed().as_secs_f64(),
        due_from.to_rfc3339()
    );
    Ok(())
}
