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

    /// Measures the offset again: the database's time against the middle of the round trip.
    pub async fn sync(&self, store: &dyn Store) -> StoreResult<TimeDelta> {
        let before = Utc::now();
        let database = store.database_time().await?;
        let after = Utc::now();
        let offset = database - (before + (after - before) / 2);
        self.offset_micros
            .store(offset.num_microseconds().unwrap_or(0), Ordering::Relaxed);
        Ok(offset)
    }
}
