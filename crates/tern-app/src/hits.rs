//! Tracked-link hits, recorded in batches: a redirect never waits for a write, and a burst of
//! clicks costs one transaction per batch, not one per click.

use std::{sync::Arc, time::Duration};

use tern_store::{NewHit, Store};
use tokio::sync::mpsc;

/// Most hits waiting for their batch; past it a hit is dropped (and counted in the log), so
/// that a flood of requests cannot grow the node's memory.
const QUEUE: usize = 50_000;
/// Most hits a batch writes.
const BATCH: usize = 2_000;
/// How long a hit may wait for others to join its batch.
const LINGER: Duration = Duration::from_millis(200);

/// Hands hits to the task that writes them.
#[derive(Clone)]
pub struct HitRecorder {
    queue: mpsc::Sender<NewHit>,
}

impl HitRecorder {
    /// Starts the writing task; it ends when every recorder is dropped, after writing what
    /// it holds.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (queue, hits) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(store, hits));
        Self { queue }
    }

    /// Queues a hit; returns at once.
    pub fn record(&self, hit: NewHit) {
        if self.queue.try_send(hit).is_err() {
            tracing::warn!("link hits arrive faster than they are written; one was dropped");
        }
    }
}

async fn write_batches(store: Arc<dyn Store>, mut hits: mpsc::Receiver<NewHit>) {
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(first) = hits.recv().await {
        batch.push(first);
        let deadline = tokio::time::sleep(LINGER);
        tokio::pin!(deadline);
        while batch.len() < BATCH {
            tokio::select! {
                next = hits.recv() => match next {
                    Some(hit) => batch.push(hit),
                    None => break,
                },
                () = &mut deadline => break,
            }
        }
        // A failed write is tried again with the next batch, a few times, then given up.
        let mut tries = 0;
        while let Err(error) = store.record_hits(&batch).await {
            tries += 1;
            if tries == 3 {
                tracing::warn!(%error, hits = batch.len(), "recording link hits failed; they are lost");
                break;
            }
            tokio::time::sleep(LINGER).await;
        }
        batch.clear();
    }
}
