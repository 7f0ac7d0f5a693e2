//! A launched campaign's audience written into the outbox, a batch of contacts at a time in
//! contact id order; the run's cursor moves with each batch in the same transaction, so a node
//! that stops resumes where the last batch ended and a recipient is never written twice. The
//! messages are made from the launch's snapshot, never from what was edited since.

use tern_domain::campaign::CampaignType;
use tern_store::{NewMessage, RunRecord, StoreError};

use tern_app::{
    AppError, AppState,
    campaigns::{
        audience::audience,
        checks::{StepContext, check_steps},
        recipient::{Recipient, message_for},
        snapshot::LaunchSnapshot,
    },
};

/// Contacts read and written per transaction.
pub const BATCH: u32 = 1_000;

/// Writes the rest of one run's audience. A batch another node wrote first ends this pass.
pub async fn materialise(state: &AppState, mut run: RunRecord) -> Result<(), AppError> {
    let account = state.store.account(run.account_id).await?;
    let (context, campaign) = match &run.snapshot {
        Some(snapshot) => LaunchSnapshot::from_json(snapshot)?.context(&account, &state.public_url),
        // Launched before snapshots were kept: made from the records as they are now.
        None => {
            let campaign = state
                .store
                .campaign(run.account_id, run.campaign_id)
                .await?;
            (
                StepContext::load(state, &account, &campaign).await?,
                campaign,
            )
        }
    };
    let checked = check_steps(&context, &campaign);
    let (Some(design), CampaignType::Single) = (checked.design.as_ref(), campaign.kind) else {
        return Err(AppError::Internal(format!(
            "campaign {} was launched without a sendable design",
            campaign.id
        )));
    };
    let condition = audience(&context, &campaign, &checked)?.ok_or_else(|| {
        AppError::Internal(format!(
            "campaign {} was launched without segments",
            campaign.id
        ))
    })?;
    // While one batch is written, the next is read and composed.
    let mut writing: Option<tokio::task::JoinHandle<Result<(), StoreError>>> = None;
    loop {
        let ids = state
            .store
            .matching_contacts(account.id, &condition, state.clock.now(), run.cursor, BATCH)
            .await?;
        let contacts = state.store.contacts_by_ids(account.id, &ids).await?;
        let messages: Vec<NewMessage> = contacts
            .iter()
            .map(|c| {
                message_for(
                    &context,
                    &campaign,
                    design,
                    Recipient::Contact(c.id, &c.state, None),
                    None,
                    run.send_at,
                )
            })
            .collect();
        let done = (ids.len() as u32) < BATCH;
        let to = ids.last().copied().or(run.cursor);
        if !finished(writing.take()).await? {
            return Ok(());
        }
        let (store, batch) = (state.store.clone(), run.clone());
        writing = Some(tokio::spawn(async move {
            store.add_messages(&batch, &messages, to, done).await
        }));
        if done {
            if finished(writing.take()).await? {
                tracing::info!(campaign = %campaign.id, "audience written to the outbox");
            }
            return Ok(());
        }
        run.cursor = to;
    }
}

/// Waits for a batch's write: `false` when another node wrote it first (this pass ends).
async fn finished(
    writing: Option<tokio::task::JoinHandle<Result<(), StoreError>>>,
) -> Result<bool, AppError> {
    let Some(writing) = writing else {
        return Ok(true);
    };
    match writing.await {
        Ok(Ok(())) => Ok(true),
        Ok(Err(StoreError::Conflict { .. })) => Ok(false),
        Ok(Err(e)) => Err(e.into()),
        Err(e) => Err(AppError::Internal(format!("writing a batch failed: {e}"))),
    }
}
