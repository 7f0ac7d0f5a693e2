//! Opt-outs that will not come again — a STOP keyword, the provider's report that a recipient
//! opted out (21610) — are stored whatever it takes: a write that loses to others is tried
//! again, backing off, for as long as the process runs, and the caller does not wait for it (the
//! provider does not send the signal twice). Only opt-outs: a late opt-in could undo a newer
//! opt-out.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use tern_domain::{
    contact::{ConsentSource, ContactDraft},
    ids::AccountId,
};
use tern_store::Store;

use super::upsert_contacts;

/// Stores `draft` (an opt-out) in the background until it is stored or refused.
pub fn store_signal(
    store: Arc<dyn Store>,
    account: AccountId,
    draft: ContactDraft,
    source: ConsentSource,
) {
    tokio::spawn(async move {
        let mut wait = Duration::from_millis(200);
        loop {
            match upsert_contacts(
                store.as_ref(),
                account,
                &[(draft.clone(), source)],
                Utc::now(),
            )
            .await
            {
                Ok(results) => {
                    if let Some(Err(refused)) = results.first() {
                        tracing::warn!(%account, field = %refused.field, "a consent signal was refused: {}", refused.message);
                    }
                    return;
                }
                Err(error) => {
                    tracing::warn!(%account, %error, retry_in = ?wait, "a consent signal could not be stored yet; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(60));
                }
            }
        }
    });
}
