//! Tern's multi-node storage on PostgreSQL: several nodes share one database.

mod accounts;
mod audit;
mod campaigns;
mod contacts;
mod dialect;
mod error;
mod events;
mod health;
mod imports;
mod keys;
mod media;
mod outbox;
mod reports;
mod segments;
mod sessions;
mod settings;
mod triggers;
mod users;

use std::{
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use tern_store::StoreError;

pub use error::map_error;

/// A store on one PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    contacts_growth: Arc<Growth>,
    events_growth: Arc<Growth>,
}

/// Rows this node wrote to a table, and when to refresh the table's planner statistics next.
///
/// Without fresh statistics PostgreSQL picks the account index over the unique key for a batch
/// lookup and scans every contact per batch, which makes bulk loads quadratic; autovacuum may be
/// off, and it lags a fast import by a minute at least. So each time a table doubles (as seen
/// from this node), it is analyzed.
#[derive(Default)]
struct Growth {
    written: AtomicU64,
    next: AtomicU64,
}

impl Growth {
    const FIRST: u64 = 1000;

    /// Records `rows` written; true when the table should be analyzed now.
    fn grew(&self, rows: u64) -> bool {
        let written = self.written.fetch_add(rows, Ordering::Relaxed) + rows;
        let next = self.next.load(Ordering::Relaxed);
        // Of several writers crossing the mark at once, one analyzes.
        written >= next.max(Self::FIRST)
            && self
                .next
                .compare_exchange(next, written * 2, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host/db`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(map_error)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(map_error)?;
        Ok(Self {
            pool,
            contacts_growth: Arc::default(),
            events_growth: Arc::default(),
        })
    }
}

/// Creates an empty database beside the one `admin_url` names and returns its URL, so that each
/// test (or each test run) has a database of its own.
pub async fn create_scratch_database(admin_url: &str) -> Result<String, StoreError> {
    use sqlx::{Connection, Executor, PgConnection};
    let name = format!("tern_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(admin_url).await.map_err(map_error)?;
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .map_err(map_error)?;
    Ok(scratch_url(admin_url, &name))
}

fn scratch_url(admin_url: &str, name: &str) -> String {
    // Replace the path (database) of the admin URL, keeping credentials, host and query.
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = base[authority_end..].split('/').next().unwrap_or_default();
    let mut url = format!("{}{}/{}", &base[..authority_end], host_part, name);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}
