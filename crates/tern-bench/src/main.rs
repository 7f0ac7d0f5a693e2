//! `tern-bench`: the audience benchmark's phases, each printing its figures (driven by
//! `scripts/audience-bench.sh`). Data is generated deterministically, so runs compare.

mod carts;
mod compose;
mod fixture;
mod report;
mod send;
mod writer;

use std::{
    io::Write,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::{TimeDelta, Utc};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use tern_domain::{
    audience::Condition,
    contact::{ContactDraft, ContactInput},
};
use tern_store::Store;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Writes N contacts as CSV to stdout.
    Generate {
        #[arg(long)]
        contacts: usize,
    },
    /// Baseline for imports: reads and validates a CSV file without storing it.
    Parse { file: std::path::PathBuf },
    /// Sends about `events_per_contact` events per contact through `/v1/batch`.
    Ingest {
        #[arg(long)]
        url: String,
        #[arg(long)]
        write_key: String,
        #[arg(long)]
        contacts: usize,
        #[arg(long, default_value_t = 3)]
        events_per_contact: usize,
        #[arg(long, default_value_t = 500)]
        batch: usize,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Prefixes the message ids, so that a second run's events are new.
        #[arg(long, default_value = "")]
        tag: String,
    },
    /// A sent campaign's report and CSV export at scale (SQLite in `dir`).
    Report {
        #[arg(long)]
        dir: std::path::PathBuf,
        #[arg(long, default_value_t = 1_000_000)]
        recipients: u64,
        #[arg(long, default_value_t = 50_000)]
        clicks: u64,
        #[arg(long, default_value_t = 20_000)]
        events: u64,
    },
    /// Drafts from the AI writer through Tern against the same prompt sent straight to the
    /// model at `url` (an OpenAI-compatible base, `/v1` included), e.g. `tools/ai-server`.
    Writer {
        #[arg(long)]
        dir: std::path::PathBuf,
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "smollm2-135m-instruct")]
        model: String,
        #[arg(long, default_value_t = 10)]
        requests: usize,
        #[arg(long, default_value_t = 5)]
        count: u32,
    },
    /// Carts whose reminders fall due evenly over `window_secs` from `due_from`.
    Carts {
        #[arg(long)]
        url: String,
        #[arg(long)]
        write_key: String,
        #[arg(long)]
        carts: usize,
        /// RFC 3339.
        #[arg(long)]
        due_from: chrono::DateTime<Utc>,
        #[arg(long)]
        window_secs: u64,
        #[arg(long, default_value_t = 15)]
        delay_minutes: i64,
    },
    /// Makes each recipient's text with `Design::compose`, against `format!` as the baseline.
    Compose {
        #[arg(long, default_value_t = 100_000)]
        recipients: usize,
    },
    /// A minimal Twilio-compatible endpoint (Create Message only, answered at once).
    TwilioStub {
        #[arg(long)]
        port: u16,
    },
    /// Launches a Single MMS campaign to every subscribed contact on a running `tern serve`
    /// (whose Twilio API base is the stub) and times it until all are accepted.
    Send {
        #[arg(long)]
        url: String,
        #[arg(long)]
        key: String,
        #[arg(long)]
        recipients: u64,
    },
    /// Counts and streams the benchmark segment, with a plain count as the baseline.
    Segment {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        account: String,
    },
}

/// Country code, area codes (all valid for libphonenumber), national number length.
const NUMBERS: [(&str, &[&str], usize); 4] = [
    (
        "+1",
        &[
            "212", "312", "415", "617", "206", "303", "512", "404", "305", "702",
        ],
        10,
    ),
    ("+1", &["604", "416", "514", "403"], 10),
    ("+61", &["412", "423", "438", "457"], 9),
    ("+44", &["7507", "7412", "7400"], 10),
];

fn phone(i: usize) -> String {
    // 60% US, 15% Canada, 15% Australia, 10% UK; the index keeps numbers unique.
    let (prefix, areas, digits) = match i % 20 {
        0..12 => NUMBERS[0],
        12..15 => NUMBERS[1],
        15..18 => NUMBERS[2],
        _ => NUMBERS[3],
    };
    // (i mod areas, i div areas) is unique for unique i.
    let area = areas[i % areas.len()];
    let rest = digits - area.len();
    let first = 2 * 10usize.pow(rest as u32 - 1);
    let subscriber = format!("{:0rest$}", first + i / areas.len());
    format!("{prefix}{area}{subscriber}")
}

const TIERS: [&str; 4] = ["gold", "silver", "bronze", "none"];
const CITIES: [&str; 5] = [
    "Springfield",
    "Riverside",
    "Fairview",
    "Kingston",
    "Ashford",
];

fn generate(contacts: usize) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(out, "external_id,phone,first_name,tier,city,age,consent")?;
    for i in 0..contacts {
        let consent = if i % 10 < 7 {
            "subscribed"
        } else if i % 10 < 9 {
            "unknown"
        } else {
            "unsubscribed"
        };
        writeln!(
            out,
            "c{i},{},Name{},{},{},{},{consent}",
            phone(i),
            i % 997,
            TIERS[i % 4],
            CITIES[i % 5],
            18 + i % 60
        )?;
    }
    Ok(())
}

fn parse(file: &std::path::Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut reader = csv::Reader::from_path(file)?;
    let (mut rows, mut valid) = (0usize, 0usize);
    for record in reader.records() {
        let record = record?;
        rows += 1;
        let draft = ContactDraft::parse(
            ContactInput {
                external_id: record.get(0),
                phone: record.get(1),
                attributes: Some(json!({"first_name": record.get(2), "tier": record.get(3)})),
                consent: record.get(6),
            },
            None,
        );
        valid += usize::from(draft.is_ok());
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "parse_rows={rows} valid={valid} seconds={secs:.2} rows_per_s={:.0}",
        rows as f64 / secs
    );
    Ok(())
}

fn event(contact: usize, n: usize, now: chrono::DateTime<Utc>, tag: &str) -> Value {
    let days = ((contact * 7 + n * 13) % 60) as i64;
    let at =
        (now - TimeDelta::days(days) - TimeDelta::minutes((contact % 1440) as i64)).to_rfc3339();
    let (name, properties) = match (contact + n) % 3 {
        0 => (
            "Order Completed",
            json!({"order_id": format!("o{contact}-{n}"), "total": 20 + contact % 180, "currency": "USD"}),
        ),
        1 => (
            "Product Added",
            json!({"product_id": format!("sku-{}", contact % 500), "name": "Linen shirt",
                "price": 39.5, "quantity": 1, "image_url": "https://shop.example/sku.jpg"}),
        ),
        _ => (
            "Product Viewed",
            json!({"product_id": format!("sku-{}", contact % 500)}),
        ),
    };
    json!({"type": "track", "userId": format!("c{contact}"), "event": name, "messageId": format!("{tag}m{contact}-{n}"),
           "timestamp": at, "properties": properties})
}

async fn ingest(
    url: String,
    write_key: String,
    contacts: usize,
    per: usize,
    batch: usize,
    concurrency: usize,
    tag: String,
) -> anyhow::Result<()> {
    let total = contacts * per;
    let batches = total.div_ceil(batch);
    let next = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::new();
    let now = Utc::now();
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (next, client, url, key, tag) = (
            next.clone(),
            client.clone(),
            url.clone(),
            write_key.clone(),
            tag.clone(),
        );
        workers.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= batches {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                // Events of one batch belong to consecutive contacts, as a shop's queue sends them.
                let calls: Vec<Value> = (b * batch..((b + 1) * batch).min(total))
                    .map(|e| event(e / per, e % per, now, &tag))
                    .collect();
                let body = json!({"batch": calls, "sentAt": Utc::now().to_rfc3339()});
                let sent = Instant::now();
                let reply = client
                    .post(format!("{url}/v1/batch"))
                    .basic_auth(&key, Some(""))
                    .json(&body)
                    .send()
                    .await?;
                anyhow::ensure!(
                    reply.status().is_success(),
                    "batch {b}: {} {}",
                    reply.status(),
                    reply.text().await?
                );
                latencies.push(sent.elapsed());
            }
        });
    }
    let mut latencies: Vec<Duration> = Vec::new();
    while let Some(done) = workers.join_next().await {
        latencies.extend(done??);
    }
    let secs = started.elapsed().as_secs_f64();
    latencies.sort();
    println!(
        "ingest_events={total} batches={batches} batch_size={batch} concurrency={concurrency} seconds={secs:.1} events_per_s={:.0} batch_p50_ms={} batch_p99_ms={}",
        total as f64 / secs,
        latencies[latencies.len() / 2].as_millis(),
        latencies[latencies.len() * 99 / 100].as_millis()
    );
    Ok(())
}

/// The benchmark segment: consent, an attribute and an event window.
fn benchmark_segment() -> Condition {
    Condition::parse(&json!({"and": [
        {"consent": "subscribed"},
        {"attribute": "tier", "op": "=", "value": "gold"},
        {"event": "Order Completed", "within_days": 30}
    ]}))
    .expect("a valid definition")
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

async fn segment(database_url: &str, account: &str) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = if database_url.starts_with("sqlite:") {
        Arc::new(tern_store_sqlite::SqliteStore::connect(database_url).await?)
    } else {
        Arc::new(tern_store_postgres::PostgresStore::connect(database_url).await?)
    };
    let account = tern_app::operator::find_account(store.as_ref(), account)
        .await
        .context("account")?;
    // The baseline: one condition on a column, a plain scan of the account's contacts.
    let baseline_segment = Condition::parse(&json!({"consent": "subscribed"})).expect("valid");
    let segment = benchmark_segment();
    let now = Utc::now();
    let mut baseline = Vec::new();
    let mut counts = Vec::new();
    let (mut all, mut matching) = (0, 0);
    for _ in 0..5 {
        let t = Instant::now();
        all = store
            .count_matching(account.id, &baseline_segment, now)
            .await?;
        baseline.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        matching = store.count_matching(account.id, &segment, now).await?;
        counts.push(t.elapsed().as_secs_f64());
    }
    let started = Instant::now();
    let (mut streamed, mut after, mut pages) = (0u64, None, 0);
    loop {
        let page = store
            .matching_contacts(account.id, &segment, now, after, 10_000)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(*last);
        streamed += page.len() as u64;
        pages += 1;
    }
    let stream_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(streamed == matching, "streamed {streamed} of {matching}");
    println!(
        "subscribed={all} matching={matching} baseline_count_median_s={:.3} segment_count_median_s={:.3} ratio={:.1} materialise_s={stream_secs:.2} pages={pages} peak_rss_mb={:.0}",
        median(baseline.clone()),
        median(counts.clone()),
        median(counts) / median(baseline),
        peak_rss_mb()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tern_app::install_tls_provider();
    match Cli::parse().command {
        Command::Generate { contacts } => generate(contacts),
        Command::Compose { recipients } => compose::compose(recipients),
        Command::TwilioStub { port } => send::stub(port).await,
        Command::Send {
            url,
            key,
            recipients,
        } => send::run(&url, &key, recipients).await,
        Command::Parse { file } => parse(&file),
        Command::Ingest {
            url,
            write_key,
            contacts,
            events_per_contact,
            batch,
            concurrency,
            tag,
        } => {
            ingest(
                url,
                write_key,
                contacts,
                events_per_contact,
                batch,
                concurrency,
                tag,
            )
            .await
        }
        Command::Carts {
            url,
            write_key,
            carts,
            due_from,
            window_secs,
            delay_minutes,
        } => {
            carts::run(
                &url,
                &write_key,
                carts,
                due_from,
                window_secs,
                delay_minutes,
            )
            .await
        }
        Command::Segment {
            database_url,
            account,
        } => segment(&database_url, &account).await,
        Command::Report {
            dir,
            recipients,
            clicks,
            events,
        } => report::run(&dir, recipients, clicks, events).await,
        Command::Writer {
            dir,
            url,
            model,
            requests,
            count,
        } => writer::run(&dir, &url, &model, requests, count).await,
    }
}
