//! Sending what the outbox holds. A claim marks a batch `sending` (committed before any provider
//! call); each message then goes to its account's provider, many at once to hide the provider's
//! latency; outcomes are written back in batches. A message whose outcome was lost (the process
//! stopped, or the answer never came) stays `sending` until its lease ends, and is then looked
//! up at the provider before anything else: found means sent, absent means queued again.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use tern_delivery::{
    provider::Provider,
    twilio::{Answer, From, Outgoing},
};
use tern_domain::{
    campaign::CampaignStatus,
    contact::ConsentSource,
    delivery::{
        outcome::{Next, Refusal, explain},
        pacing::{MAX_ATTEMPTS, backoff},
    },
    ids::{AccountId, CampaignId, ContactId},
};
use tern_store::{CampaignChange, Claimed, Outcome};
use tokio::sync::{Semaphore, mpsc};

use super::providers::Providers;
use tern_app::{AppState, audience::upsert_contacts};

/// How the dispatcher runs on this node.
#[derive(Debug, Clone)]
pub struct DispatchOptions {
    /// How long a claim holds a message; longer than a provider request may take.
    pub lease: Duration,
    /// Provider requests in flight at once.
    pub concurrency: usize,
    /// Messages claimed per transaction at most.
    pub batch: u32,
}

impl Default for DispatchOptions {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            concurrency: 256,
            batch: 500,
        }
    }
}

/// A settled message and what else its outcome asks for.
struct Settled {
    outcome: Option<Outcome>,
    /// The provider says the recipient opted out (21610): the contact is unsubscribed.
    unsubscribe: Option<(AccountId, ContactId)>,
    /// The provider refused the account itself: its campaign is paused.
    pause: Option<(AccountId, CampaignId, String)>,
}

fn lease(options: &DispatchOptions) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(options.lease).expect("a lease of seconds")
}

/// Claims and sends until the process stops.
pub async fn dispatch(state: AppState, providers: Arc<Providers>, options: DispatchOptions) {
    let (settled, outcomes) = mpsc::channel::<Settled>(4 * options.batch as usize);
    tokio::spawn(record(state.clone(), outcomes, options.batch as usize));
    let slots = Arc::new(Semaphore::new(options.concurrency));
    // Idle, the outbox is asked less and less often, up to four times a second.
    let mut idle = Duration::from_millis(20);
    loop {
        // Claim no more than can be sent at once (a claimed message waits for nothing), and
        // not for every slot that frees: a claim is a transaction.
        let quarter = (options.concurrency / 4).max(1);
        if slots.available_permits() < quarter {
            let _ = slots.acquire_many(quarter as u32).await;
            continue;
        }
        let free = slots.available_permits().min(options.batch as usize) as u32;
        let now = Utc::now();
        let claimed = match state.store.claim(now, now + lease(&options), free).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "claiming messages failed; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if claimed.is_empty() {
            tokio::time::sleep(idle).await;
            idle = (idle * 2).min(Duration::from_millis(250));
            continue;
        }
        idle = Duration::from_millis(20);
        for message in claimed {
            let slot = slots.clone().acquire_owned().await.expect("never closed");
            let (state, providers, settled) = (state.clone(), providers.clone(), settled.clone());
            tokio::spawn(async move {
                let result = send_one(&state, &providers, &message).await;
                let _ = settled.send(result).await;
                drop(slot);
            });
        }
    }
}

async fn send_one(state: &AppState, providers: &Providers, message: &Claimed) -> Settled {
    let mut settled = Settled {
        outcome: None,
        unsubscribe: None,
        pause: None,
    };
    let provider = match providers.for_account(state, message.account_id).await {
        Ok(provider) => provider,
        Err(error) => {
            tracing::warn!(%error, account = %message.account_id, "no provider; retrying later");
            settled.outcome = Some(retry(message, format!("no provider: {error}")));
            return settled;
        }
    };
    let callback = status_callback(state, message.account_id);
    let outgoing = Outgoing {
        to: &message.to,
        from: from_of(&message.sender),
        body: &message.body,
        media_urls: &message.media,
        status_callback: Some(&callback),
    };
    let answer = provider.create(&outgoing).await;
    let (code, text) = match &answer {
        Answer::Accepted { sid, status } => {
            settled.outcome = Some(Outcome::Sent {
                id: message.id,
                attempts: message.attempts,
                sid: sid.clone(),
                status: *status,
            });
            return settled;
        }
        Answer::Refused { code, message, .. } => (*code, message.clone()),
        Answer::NoAnswer { reason, .. } => (None, reason.clone()),
    };
    settled.outcome = match answer.next().expect("not accepted") {
        Next::Retry => Some(retry(message, text)),
        // It may exist at the provider: left `sending` until the lease ends, then reconciled.
        Next::Reconcile => {
            tracing::warn!(message = message.id, reason = %text, "outcome unknown; will reconcile");
            None
        }
        Next::Refused(refusal) => {
            if refusal == Refusal::Unsubscribed {
                settled.unsubscribe = message.contact_id.map(|c| (message.account_id, c));
            }
            Some(Outcome::Failed {
                id: message.id,
                attempts: message.attempts,
                reason: tern_store::decode::json_text(&refusal),
                code,
                message: code.map_or(text, |c| explain(c).to_owned()),
            })
        }
        Next::StopAccount => {
            let why = code.map_or_else(|| text.clone(), |c| explain(c).to_owned());
            settled.pause = Some((message.account_id, message.campaign_id, why));
            Some(retry(message, text))
        }
    };
    settled
}

fn retry(message: &Claimed, error: String) -> Outcome {
    if message.attempts >= MAX_ATTEMPTS {
        return Outcome::Failed {
            id: message.id,
            attempts: message.attempts,
            reason: "gave_up".into(),
            code: None,
            message: format!("not sent after {MAX_ATTEMPTS} attempts: {error}"),
        };
    }
    let jitter = f64::from(tern_app::random::<1>()[0]) / 255.0;
    Outcome::Requeue {
        id: message.id,
        attempts: message.attempts,
        due_at: Utc::now() + backoff(message.attempts, jitter),
        error: Some(error),
    }
}

fn from_of(sender: &str) -> From {
    if sender.starts_with("MG") {
        From::MessagingService(sender.to_owned())
    } else {
        From::Address(sender.to_owned())
    }
}

/// Where the provider reports an account's statuses.
pub fn status_callback(state: &AppState, account: AccountId) -> String {
    format!(
        "{}/webhooks/twilio/status?account={account}",
        state.public_url
    )
}

/// Writes outcomes in batches: the first that arrives, and whatever follows within a moment.
async fn record(state: AppState, mut outcomes: mpsc::Receiver<Settled>, batch: usize) {
    let mut pending: Vec<Settled> = Vec::with_capacity(batch);
    loop {
        if outcomes.recv_many(&mut pending, batch).await == 0 {
            return;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_millis(20);
        while pending.len() < batch {
            match tokio::time::timeout_at(deadline, outcomes.recv()).await {
                Ok(Some(s)) => pending.push(s),
                _ => break,
            }
        }
        let written: Vec<Outcome> = pending.iter().filter_map(|s| s.outcome.clone()).collect();
        while let Err(error) = state.store.record(&written, Utc::now()).await {
            tracing::warn!(%error, "recording outcomes failed; trying again");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        for settled in pending.drain(..) {
            if let Some((account, contact)) = settled.unsubscribe {
                unsubscribe(&state, account, contact).await;
            }
            if let Some((account, campaign, why)) = settled.pause {
                pause(&state, account, campaign, &why).await;
            }
        }
    }
}

/// The provider reported the recipient opted out: their contact says so too.
async fn unsubscribe(state: &AppState, account: AccountId, contact: ContactId) {
    let result = async {
        let stored = state.store.contact(account, contact).await?;
        let input = tern_domain::contact::ContactInput {
            external_id: stored.state.external_id.as_deref(),
            phone: stored.state.phone.as_deref(),
            attributes: None,
            consent: Some("unsubscribed"),
        };
        let draft = tern_domain::contact::ContactDraft::parse(input, None)
            .map_err(|e| tern_app::AppError::Internal(format!("{e:?}")))?;
        upsert_contacts(
            state.store.as_ref(),
            account,
            &[(draft, ConsentSource::Provider)],
            Utc::now(),
        )
        .await?;
        Ok::<_, tern_app::AppError>(())
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(%error, %contact, "could not unsubscribe a contact the provider reported opted out");
    }
}

async fn pause(state: &AppState, account: AccountId, campaign: CampaignId, why: &str) {
    let change = CampaignChange {
        what: format!("paused: {why}"),
        by: "provider".into(),
        at: Utc::now(),
    };
    let result = state
        .store
        .set_run_status(
            account,
            campaign,
            &[CampaignStatus::Running],
            CampaignStatus::Paused,
            &change,
        )
        .await;
    match result {
        Ok(_) => {
            tracing::warn!(%campaign, reason = why, "campaign paused: the provider refused the account")
        }
        Err(tern_store::StoreError::Conflict { .. }) => {}
        Err(error) => tracing::warn!(%error, %campaign, "could not pause the campaign"),
    }
}

/// Looks up messages whose lease ended at their provider, until the process stops.
pub async fn reconcile(state: AppState, providers: Arc<Providers>, options: DispatchOptions) {
    loop {
        let now = Utc::now();
        let lost = match state.store.expired(now, now + lease(&options), 100).await {
            Ok(lost) => lost,
            Err(error) => {
                tracing::warn!(%error, "reading expired leases failed");
                Vec::new()
            }
        };
        if lost.is_empty() {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        let mut outcomes = Vec::new();
        for message in &lost {
            let found = match providers.for_account(&state, message.account_id).await {
                Ok(provider) => find(&provider, message).await,
                Err(error) => Err(error.to_string()),
            };
            match found {
                Ok(Some(found)) => outcomes.push(Outcome::Sent {
                    id: message.id,
                    attempts: message.attempts,
                    sid: found.sid,
                    status: found.status,
                }),
                Ok(None) => outcomes.push(Outcome::Requeue {
                    id: message.id,
                    attempts: message.attempts,
                    due_at: Utc::now(),
                    error: Some("not found at the provider after an unknown outcome".into()),
                }),
                // Asked again when the new lease ends.
                Err(error) => {
                    tracing::warn!(message = message.id, %error, "reconciliation could not ask the provider")
                }
            }
        }
        tracing::info!(
            reconciled = outcomes.len(),
            "messages with an unknown outcome looked up"
        );
        if let Err(error) = state.store.record(&outcomes, Utc::now()).await {
            tracing::warn!(%error, "recording reconciled messages failed");
        }
    }
}

async fn find(
    provider: &Provider,
    message: &Claimed,
) -> Result<Option<tern_delivery::provider::Found>, String> {
    provider
        .find(&message.to, &message.body, message.claimed_at)
        .await
        .map_err(|e| e.0)
}
