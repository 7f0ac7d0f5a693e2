//! Sending what the outbox holds. A claim marks a batch `sending` (committed before any provider
//! call), each message with the moment its sender's rate booked for it; each then goes to its
//! account's provider at that moment, many at once to hide the provider's latency, and only if
//! its request can end before the lease does; outcomes are written back in batches, and what
//! the providers answered feeds each account's breaker. A message whose outcome was lost stays
//! `sending` until its lease ends, and is then reconciled (`reconcile`).

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::Duration,
};

use chrono::Utc;
use tern_delivery::twilio::{Answer, From, Outgoing};
use tern_domain::{
    campaign::CampaignStatus,
    campaign::trigger::validity_period,
    contact::ConsentSource,
    delivery::{
        outcome::{Next, Refusal, explain},
        pacing::{LATENESS_MICROS, MAX_ATTEMPTS, backoff},
    },
    ids::{AccountId, CampaignId, ContactId},
};
use tern_store::{CampaignChange, Claimed, Outcome, ProviderAnswers};
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

impl DispatchOptions {
    /// How long a provider request may take: well inside the lease, so that a lost answer is
    /// reconciled only once nothing can still arrive.
    pub fn request_timeout(&self) -> Duration {
        (self.lease / 2).min(Duration::from_secs(15))
    }
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
    /// Whether the provider answered about the message (`false`: a 5xx, a 429, no answer).
    answered: Option<(AccountId, bool)>,
}

fn lease(options: &DispatchOptions) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(options.lease).expect("a lease of seconds")
}

/// Claims and sends until the process stops.
pub async fn dispatch(state: AppState, providers: Arc<Providers>, options: DispatchOptions) {
    let (settled, outcomes) = mpsc::channel::<Settled>(4 * options.batch as usize);
    tokio::spawn(record(state.clone(), outcomes, options.batch as usize));
    // Messages claimed and not settled yet: each waits for its moment, then for one of the
    // requests in flight.
    let slots = Arc::new(Semaphore::new(options.concurrency * 4));
    let requests = Arc::new(Semaphore::new(options.concurrency));
    // Idle, the outbox is asked less and less often, up to four times a second.
    let mut idle = Duration::from_millis(20);
    loop {
        // Claim no more than can wait (a second's worth at most, by the pacing horizon), and
        // not for every slot that frees: a claim is a transaction.
        let least = options.concurrency.max(1);
        if slots.available_permits() < least {
            let _ = slots.acquire_many(least as u32).await;
            continue;
        }
        let free = slots.available_permits().min(options.batch as usize) as u32;
        let now = state.clock.now();
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
            let requests = requests.clone();
            let timeout = options.request_timeout();
            tokio::spawn(async move {
                let result =
                    send_at_its_moment(&state, &providers, &requests, &message, timeout).await;
                let _ = settled.send(result).await;
                drop(slot);
            });
        }
    }
}

/// Waits for the message's moment, then sends it — unless it is handed over too late: past its
/// moment by more than the rate's allowance (it would crowd a second its sender already used),
/// or too close to the end of its lease for a request to end before it. Such a message is put
/// back untried.
async fn send_at_its_moment(
    state: &AppState,
    providers: &Providers,
    requests: &Semaphore,
    message: &Claimed,
    timeout: Duration,
) -> Settled {
    let wait = (state.clock.local(message.not_before) - Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait).await;
    let _request = requests.acquire().await.expect("never closed");
    let late = state.clock.now() - message.not_before;
    if late > chrono::TimeDelta::microseconds(LATENESS_MICROS) {
        tracing::debug!(
            message = message.id,
            late_ms = late.num_milliseconds(),
            "handed over after its moment; put back"
        );
        return released(message);
    }
    send_one(state, providers, message, timeout).await
}

fn released(message: &Claimed) -> Settled {
    Settled {
        outcome: Some(Outcome::Release {
            id: message.id,
            attempts: message.attempts,
        }),
        unsubscribe: None,
        pause: None,
        answered: None,
    }
}

async fn send_one(
    state: &AppState,
    providers: &Providers,
    message: &Claimed,
    timeout: Duration,
) -> Settled {
    let mut settled = Settled {
        outcome: None,
        unsubscribe: None,
        pause: None,
        answered: None,
    };
    let provider = match providers.for_account(state, message.account_id).await {
        Ok(provider) => provider,
        Err(error) => {
            tracing::warn!(%error, account = %message.account_id, "no provider; retrying later");
            settled.outcome = Some(retry(
                message,
                format!("no provider: {error}"),
                state.clock.now(),
            ));
            return settled;
        }
    };
    // Checked last thing before the request: a request that could outlast the lease might
    // arrive after reconciliation looked for it.
    let margin = chrono::TimeDelta::seconds(1);
    let timeout = chrono::TimeDelta::from_std(timeout).expect("seconds");
    if state.clock.now() + timeout + margin > message.lease_until {
        tracing::warn!(
            message = message.id,
            "too close to the end of its lease to be sent; put back"
        );
        return released(message);
    }
    let callback = status_callback(state, message.account_id);
    let outgoing = Outgoing {
        to: &message.to,
        from: from_of(&message.sender),
        body: &message.body,
        media_urls: &message.media,
        status_callback: Some(&callback),
        validity_period: validity_period(message.expires_at, state.clock.now()),
    };
    let answer = provider.create(&outgoing).await;
    let answered = match &answer {
        Answer::Accepted { .. } => true,
        Answer::Refused { http_status, .. } => *http_status != 429 && *http_status < 500,
        Answer::NoAnswer { .. } => false,
    };
    settled.answered = Some((message.account_id, answered));
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
        Next::Retry => Some(retry(message, text, state.clock.now())),
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
            Some(retry(message, text, state.clock.now()))
        }
    };
    settled
}

fn retry(message: &Claimed, error: String, now: chrono::DateTime<Utc>) -> Outcome {
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
        due_at: now + backoff(message.attempts, jitter),
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
    let mut reported = HashMap::new();
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
        while let Err(error) = state.store.record(&written, state.clock.now()).await {
            tracing::warn!(%error, "recording outcomes failed; trying again");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        count_answers(&state, &pending, &mut reported).await;
        for settled in pending.drain(..) {
            if let Some((account, contact)) = settled.unsubscribe {
                let state = state.clone();
                tokio::spawn(async move { unsubscribe(&state, account, contact).await });
            }
            if let Some((account, campaign, why)) = settled.pause {
                pause(&state, account, campaign, &why).await;
            }
        }
    }
}

/// Feeds what the providers answered to the accounts' breakers: every failure, and successes
/// at most every few seconds per account (a success only resets the count, which needs no
/// haste, and writing it with every batch would cost a transaction each time).
async fn count_answers(
    state: &AppState,
    settled: &[Settled],
    reported: &mut HashMap<AccountId, std::time::Instant>,
) {
    let mut answers: BTreeMap<AccountId, ProviderAnswers> = BTreeMap::new();
    for (account, answered) in settled.iter().filter_map(|s| s.answered) {
        let entry = answers.entry(account).or_insert(ProviderAnswers {
            account,
            succeeded: 0,
            failed: 0,
        });
        if answered {
            entry.succeeded += 1;
        } else {
            entry.failed += 1;
        }
    }
    let now = std::time::Instant::now();
    let answers: Vec<ProviderAnswers> = answers
        .into_values()
        .filter(|a| {
            a.failed > 0
                || reported
                    .get(&a.account)
                    .is_none_or(|at| now.duration_since(*at) > Duration::from_secs(5))
        })
        .collect();
    if answers.is_empty() {
        return;
    }
    for answer in &answers {
        reported.insert(answer.account, now);
    }
    match state
        .store
        .provider_answers(&answers, state.clock.now())
        .await
    {
        Ok(opened) => {
            for account in opened {
                tracing::warn!(%account, seconds = tern_store::BREAKER_OPEN_SECS, "the provider keeps failing: the account's messages wait, then are tried again");
            }
        }
        Err(error) => tracing::warn!(%error, "counting the providers' answers failed"),
    }
}

/// The provider reported the recipient opted out: their contact says so too. A failure is
/// tried again, backing off, for as long as the process runs: an opt-out must not be lost.
async fn unsubscribe(state: &AppState, account: AccountId, contact: ContactId) {
    let mut wait = Duration::from_secs(1);
    loop {
        match unsubscribe_once(state, account, contact).await {
            Ok(()) | Err(tern_app::AppError::NotFound) => return,
            Err(error) => {
                tracing::warn!(%error, %contact, retry_in = ?wait, "could not unsubscribe a contact the provider reported opted out; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(300));
            }
        }
    }
}

async fn unsubscribe_once(
    state: &AppState,
    account: AccountId,
    contact: ContactId,
) -> Result<(), tern_app::AppError> {
    let stored = state.store.contact(account, contact).await?;
    let input = tern_domain::contact::ContactInput {
        external_id: stored.state.external_id.as_deref(),
        phone: stored.state.phone.as_deref(),
        attributes: None,
        consent: Some("unsubscribed"),
    };
    let draft = tern_domain::contact::ContactDraft::parse(input, None)
        .map_err(|e| tern_app::AppError::Internal(format!("{e:?}")))?;
    let done = upsert_contacts(
        state.store.as_ref(),
        account,
        &[(draft, ConsentSource::Provider)],
        Utc::now(),
    )
    .await?;
    if let Some(Ok(done)) = done.first()
        && done.consent_changed
    {
        let detail = serde_json::json!({ "consent": "unsubscribed", "source": "provider", "error_code": 21610 });
        let target = Some(contact.0.to_string());
        tern_app::audit::record(
            state,
            account,
            "provider",
            "contact.consent_changed",
            target,
            detail,
        )
        .await;
    }
    Ok(())
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
            &[CampaignStatus::Running, CampaignStatus::Active],
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
