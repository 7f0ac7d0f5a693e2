//! The database's clock as a node reads it. Leases, due times and rate limits are judged by one
//! clock — the database's — so that nodes whose own clocks disagree still agree on them: each
//! node measures its offset from the database and corrects its own time by it.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use chrono::{DateTime, TimeDelta, Utc};
use tern_store::{Store, StoreResult};

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// The database's time minus this machine's, in microseconds.
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    /// The database's time now, as last measured.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }

    /// The database's time `at` on this machine's clock (what timers here wait for).
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        at - self.offset()
    }

    pub fn offset(&self) -> TimeDelta {
        TimeDelta::microseconds(self.offset_micros.load(Ordering::Relaxed))
    }

    /// Measures the offset again: the database's time against the middle of the round trip,
    /// from the quickest of a few round trips (a slow one — a connection awaited, a busy
    /// server — would skew it by its delay).
    pub async fn sync(&self, store: &dyn Store) -> StoreResult<TimeDelta> {
        let mut best: Option<(TimeDelta, TimeDelta)> = None;
        for _ in 0..5 {
            let before = Utc::now();
            let database = store.database_time().await?;
            let after = Utc::now();
            let trip = after - before;
            let offset = database - (before + trip / 2);
            if best.is_none_or(|(quickest, _)| trip < quickest) {
                best = Some((trip, offset));
            }
        }
        let (_, offset) = best.expect("five samples");
        self.offset_micros
            .store(offset.num_microseconds().unwrap_or(0), Ordering::Relaxed);
        Ok(offset)
    }

    /// Measures the offset every ten seconds (clocks drift, and can be set), saying so when it
    /// moved by more than a second; runs until the process stops.
    pub async fn keep_synced(self, store: Arc<dyn Store>) {
        loop {
            let before = self.offset();
            match self.sync(store.as_ref()).await {
                Ok(offset) if (offset - before).abs() > TimeDelta::seconds(1) => {
                    tracing::info!(
                        offset_ms = offset.num_milliseconds(),
                        "this node's clock differs from the database's; sending goes by the database's"
                    )
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "reading the database's clock failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        }
    }
}
