//! The report benchmark: a sent campaign of `recipients` on SQLite with `clicks` hits on its
//! links and `events` orders by its recipients, seeded in SQL (sending a million messages
//! through the outbox would measure sending, not the report). Then, each five times: a plain
//! count of the campaign's messages (the baseline), the figures the listing and progress read,
//! and the whole report with attribution; and one CSV export, with its rate and the memory it
//! took.

use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use serde_json::json;
use sqlx::sqlite::SqlitePoolOptions;
use tern_app::campaigns::{figures, recipients, report};
use tern_domain::campaign::CampaignStatus;

use crate::{
    fixture::{Fixture, fixture},
    median, peak_rss_mb,
};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
    (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const PREVIEWER: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 \
    (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0";

pub async fn run(
    dir: &std::path::Path,
    recipients: u64,
    clicks: u64,
    events: u64,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let Fixture {
        url,
        store,
        account,
        campaign,
    } = fixture(
        dir,
        "report-bench.db",
        "Report bench",
        CampaignStatus::Completed,
        json!({"goals": {"event": "Order Completed", "window_hours": 72, "revenue_property": "total"}}),
    )
    .await?;

    let seeded = Instant::now();
    seed(
        &url,
        &account.id.to_string(),
        &campaign.id.to_string(),
        recipients,
        clicks,
        events,
    )
    .await?;
    println!(
        "seeded recipients={recipients} clicks={clicks} events={events} in {:.1}s",
        seeded.elapsed().as_secs_f64()
    );

    let state = tern_testkit::state_for(store.clone(), dir, "http://127.0.0.1:8080");
    let id = campaign.id.to_string();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    let (mut baseline, mut figures_s, mut report_s) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..5 {
        let t = Instant::now();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM messages WHERE campaign_id = $1")
            .bind(&id)
            .fetch_one(&pool)
            .await?;
        baseline.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(n as u64 == recipients, "{n} messages");
        let t = Instant::now();
        figures::load(store.as_ref(), account.id, &[campaign.id], true).await?;
        figures_s.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let r = report::report(&state, &account, &id)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        report_s.push(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    let r = last.context("a report")?;
    println!(
        "report sent={} delivered={} holdout={} human_clicks={} bot_clicks={} conversions={} revenue={:.2} lift={:?}",
        r.sent,
        r.delivered,
        r.holdout,
        r.human_clicks,
        r.bot_clicks,
        r.conversions,
        r.revenue,
        r.lift.as_ref().map(|l| (l.sent_rate, l.holdout_rate))
    );
    let (b, f, t) = (median(baseline), median(figures_s), median(report_s));
    println!(
        "baseline_count_median_ms={:.0} figures_median_ms={:.0} report_median_ms={:.0} figures_ratio={:.1} report_ratio={:.1}",
        b * 1e3,
        f * 1e3,
        t * 1e3,
        f / b,
        t / b
    );

    // Where the report's time goes: each of its reads once.
    let mut parts = Vec::new();
    let t = Instant::now();
    store.report_totals(account.id, campaign.id).await?;
    parts.push(("totals", t.elapsed()));
    let t = Instant::now();
    let start = campaign.created_at - chrono::Duration::hours(2);
    store
        .timeline(account.id, campaign.id, start, chrono::Duration::minutes(5))
        .await?;
    parts.push(("timeline", t.elapsed()));
    let t = Instant::now();
    tern_app::campaigns::attribution::clicks(store.as_ref(), account.id, campaign.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    parts.push(("clicks", t.elapsed()));
    let t = Instant::now();
    let goal = tern_app::campaigns::attribution::goal_of(&campaign).context("a goal")?;
    tern_app::campaigns::attribution::earned(store.as_ref(), account.id, &campaign, &goal, "USD")
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    parts.push(("attribution", t.elapsed()));
    println!(
        "parts {}",
        parts
            .iter()
            .map(|(name, d)| format!("{name}_ms={:.0}", d.as_secs_f64() * 1e3))
            .collect::<Vec<_>>()
            .join(" ")
    );

    let rss_before = peak_rss_mb();
    let t = Instant::now();
    let mut export = recipients::export(&state, &account, &id)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (mut rows, mut bytes) = (0u64, 0usize);
    while let Some(text) = export
        .next_rows()
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
    {
        rows += text.lines().count() as u64;
        bytes += text.len();
    }
    let secs = t.elapsed().as_secs_f64();
    anyhow::ensure!(rows == recipients, "exported {rows} rows");
    println!(
        "export rows={rows} mb={:.0} secs={secs:.2} rows_per_s={:.0} peak_rss_mb_before={rss_before:.0} peak_rss_mb_after={:.0}",
        bytes as f64 / 1e6,
        rows as f64 / secs,
        peak_rss_mb()
    );
    Ok(())
}

/// Contacts, their messages (sent an hour ago over ten minutes, delivered five seconds later;
/// every tenth held out, every 33rd undelivered), a link for each clicked message with one hit
/// (every tenth by a previewer), and orders an hour after delivery (or after when a held-out
/// message would have gone) by evenly spread recipients, a sixth of them held out.
async fn seed(
    url: &str,
    account: &str,
    campaign: &str,
    n: u64,
    clicks: u64,
    events: u64,
) -> anyhow::Result<()> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?;
    let start = Utc::now().timestamp_millis() - 3_600_000;
    let mut tx = pool.begin().await?;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2) \
         INSERT INTO contacts (account_id, external_id, phone, country, attributes, consent, \
         revision, created_at, updated_at) SELECT $1, 'c' || i, printf('+1415%07d', i), 'US', '{}', \
         'subscribed', 1, $3, $3 FROM n",
    )
    .bind(account)
    .bind(n as i64)
    .bind(start)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO messages (account_id, campaign_id, contact_id, test, to_phone, sender, \
         sender_rate, body, media, units, timezone, state, reason, error_code, provider_status, \
         attempts, due_at, sent_at, delivered_at, updated_at) \
         SELECT $1, $2, id, 0, phone, '+15005550006', 100, 'Sale http://127.0.0.1:8080/l/x', '[]', 1, \
         'America/Los_Angeles', \
         CASE WHEN id % 10 = 0 THEN 'skipped' ELSE 'sent' END, \
         CASE WHEN id % 10 = 0 THEN 'holdout' END, \
         CASE WHEN id % 10 <> 0 AND id % 33 = 0 THEN 30003 END, \
         CASE WHEN id % 10 = 0 THEN NULL WHEN id % 33 = 0 THEN 'undelivered' ELSE 'delivered' END, \
         1, $3 + (id * 600000 / $4), \
         CASE WHEN id % 10 = 0 THEN NULL ELSE $3 + (id * 600000 / $4) END, \
         CASE WHEN id % 10 = 0 OR id % 33 = 0 THEN NULL ELSE $3 + (id * 600000 / $4) + 5000 END, $3 \
         FROM contacts WHERE account_id = $1",
    )
    .bind(account)
    .bind(campaign)
    .bind(start)
    .bind(n as i64)
    .execute(&mut *tx)
    .await?;
    let every = (n / clicks.max(1)).max(1) as i64;
    sqlx::query(
        "INSERT INTO links (code, account_id, campaign_id, contact_id, url, created_at, message_id) \
         SELECT 'L' || id, $1, $2, contact_id, 'https://shop.example/sale', $3, id FROM messages \
         WHERE campaign_id = $2 AND state = 'sent' AND id % $4 = 1 ORDER BY id LIMIT $5",
    )
    .bind(account)
    .bind(campaign)
    .bind(start)
    .bind(every)
    .bind(clicks as i64)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO clicks (code, campaign_id, clicked_at, user_agent, message_id, head, \
         accept_language, address) \
         SELECT l.code, l.campaign_id, m.sent_at + 60000, \
         CASE WHEN (m.id / $4) % 10 = 0 THEN $2 ELSE $3 END, m.id, 0, 1, \
         '198.51.' || (m.id % 250) || '.' || (m.id % 199) \
         FROM links l JOIN messages m ON m.id = l.message_id WHERE l.campaign_id = $1",
    )
    .bind(campaign)
    .bind(PREVIEWER)
    .bind(IPHONE)
    .bind(every)
    .execute(&mut *tx)
    .await?;
    let every = (n / events.max(1)).max(1) as i64;
    sqlx::query(
        "INSERT INTO events (account_id, contact_id, message_id, name, properties, occurred_at, \
         received_at) SELECT $1, contact_id, 'o' || id, 'Order Completed', \
         json_object('total', 10 + id % 90, 'currency', 'USD'), COALESCE(sent_at, due_at) + 3600000, \
         COALESCE(sent_at, due_at) + 3600000 FROM messages WHERE campaign_id = $2 \
         AND (id % $3 = 7 OR id % ($3 * 5) = 0) \
         ORDER BY id LIMIT $4",
    )
    .bind(account)
    .bind(campaign)
    .bind(every)
    .bind(events as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("ANALYZE").execute(&pool).await?;
    Ok(())
}
