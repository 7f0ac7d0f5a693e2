//! Due triggers settled as they fall due: every node may run this; a trigger is settled once
//! (the store's fence), its message written into the outbox for the dispatchers.

use std::time::Duration;

use tern_app::{AppState, campaigns::triggers::fire_due};

/// Triggers settled per pass.
const BATCH: u32 = 500;

/// Settles due triggers until the process stops: at once while a pass finds a full batch,
/// else every half second.
pub async fn fire(state: AppState) {
    loop {
        match fire_due(&state, BATCH).await {
            Ok(settled) if settled as u32 >= BATCH => continue,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %error.described(), "settling due triggers failed; trying again")
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
