//! The delivery workers of a node: the audience of launched campaigns written into the outbox
//! (`materialise`), messages claimed and sent through each account's provider (`dispatch`),
//! lost outcomes reconciled, due triggers of Cart Reminder and Welcome campaigns settled
//! (`triggers`), runs moved from scheduled to running to completed, and the
//! sandbox's status callbacks handed to the webhook. Every node may run them: the store's
//! claims, leases and cursors keep them from doing anything twice.

pub mod callbacks;
pub mod dispatch;
pub mod materialise;
pub mod providers;
pub mod reconcile;
pub mod triggers;

use std::{sync::Arc, time::Duration};

use tern_delivery::sandbox::Sandbox;

pub use dispatch::DispatchOptions;
use providers::Providers;

use tern_app::AppState;

/// How this node's workers run.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// `TERN_TWILIO_API_BASE`.
    pub twilio_api_base: String,
    pub dispatch: DispatchOptions,
}

/// Starts the workers on the current runtime; they run until the process stops. Nothing is
/// claimed, leased or booked before this node has measured its offset from the database's clock
/// (which the caller keeps measuring: `Clock::keep_synced`).
pub fn spawn_workers(state: AppState, options: WorkerOptions) {
    tokio::spawn(async move {
        loop {
            match state.clock.sync(state.store.as_ref()).await {
                Ok(offset) => {
                    tracing::info!(
                        offset_ms = offset.num_milliseconds(),
                        "the workers start on the database's clock"
                    );
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "reading the database's clock failed; the workers wait");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        start_workers(state, options);
    });
}

fn start_workers(state: AppState, options: WorkerOptions) {
    let (sandbox, mut callbacks) = Sandbox::start();
    let timeout = options.dispatch.request_timeout();
    let providers = Arc::new(Providers::new(sandbox, &options.twilio_api_base, timeout));
    tokio::spawn(dispatch::dispatch(
        state.clone(),
        providers.clone(),
        options.dispatch.clone(),
    ));
    tokio::spawn(reconcile::reconcile(
        state.clone(),
        providers,
        options.dispatch.clone(),
    ));
    let runs = state.clone();
    tokio::spawn(async move {
        loop {
            match runs.store.open_runs().await {
                Ok(open) => {
                    for run in open {
                        let campaign = run.campaign_id;
                        if let Err(error) = materialise::materialise(&runs, run).await {
                            tracing::warn!(error = %error.described(), %campaign, "writing the audience failed; trying again");
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "reading open runs failed"),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    tokio::spawn(triggers::fire(state.clone()));
    let advance = state.clone();
    tokio::spawn(async move {
        loop {
            match advance.store.advance_runs(advance.clock.now()).await {
                Ok(changed) if !changed.is_empty() => {
                    tracing::info!(campaigns = ?changed, "campaigns started or completed")
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "advancing runs failed"),
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    tokio::spawn(async move {
        while let Some(callback) = callbacks.recv().await {
            if let Err(error) = callbacks::apply_callback(&state, &callback).await {
                tracing::warn!(%error, url = %callback.url, "a sandbox status callback was refused");
            }
        }
    });
}
