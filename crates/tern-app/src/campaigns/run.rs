//! A campaign after its design: launch, pause, resume and cancel; progress and messages; and
//! test messages to the account's test numbers through the same dispatcher.

use std::collections::BTreeMap;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tern_domain::{campaign::CampaignStatus, delivery::pacing::RunPlan, ids::ContactId};
use tern_store::{Account, CampaignChange, RunRecord, StoreError};
use utoipa::ToSchema;

use super::views::{CampaignView, MessageView, campaign_id};
use crate::{
    Actor, AppError, AppResult, AppState, audit,
    campaigns::recipient::{Recipient, message_for},
    campaigns::snapshot::LaunchSnapshot,
    campaigns::{StepContext, audience::blank_contact, check_steps, figures, triggers},
};

/// Launches a campaign whose every step is complete. A Single campaign's audience is written
/// into the outbox and sent from the Launch step's time, within quiet hours, the cap and the
/// throttle; a Cart Reminder or Welcome becomes active, sending as its triggers fall due.
pub async fn launch(
    state: &AppState,
    account: &Account,
    key: Actor,
    id: &str,
) -> AppResult<CampaignView> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    if campaign.status != CampaignStatus::Draft || campaign.archived_at.is_some() {
        return Err(AppError::Conflict(format!(
            "only a draft can be launched; this campaign is {}",
            tern_store::decode::json_text(&campaign.status)
        )));
    }
    let context = StepContext::load(state, account, &campaign).await?;
    let checked = check_steps(&context, &campaign);
    if let Some((step, problem)) = checked
        .steps
        .iter()
        .find_map(|(step, problems)| problems.first().map(|p| (step, p)))
    {
        return Err(AppError::Invalid {
            field: if problem.field.is_empty() {
                step.as_str().to_owned()
            } else {
                format!("{}.{}", step.as_str(), problem.field)
            },
            message: format!("{} (GET …/check lists every problem)", problem.message),
        });
    }
    if campaign.kind.triggered() {
        return triggers::activate(state, account, key, &campaign, &context, &checked).await;
    }
    let plan = checked
        .launch
        .as_ref()
        .expect("a complete Launch step has a plan");
    // On the database's clock, which decides when messages fall due.
    let now = state.clock.now();
    let send_at = plan.send_at.unwrap_or(now).max(now);
    let run = RunRecord {
        campaign_id: campaign.id,
        account_id: account.id,
        plan: RunPlan {
            throttle: plan.throttle,
            quiet_hours: plan.quiet_hours,
            frequency_cap: plan.frequency_cap,
        },
        send_at,
        cursor: None,
        materialised: false,
        started_at: now,
        snapshot: Some(LaunchSnapshot::taken(&context, &campaign).to_json()),
    };
    let mut launched = campaign.clone();
    launched.status = if send_at > now {
        CampaignStatus::Scheduled
    } else {
        CampaignStatus::Running
    };
    launched.revision += 1;
    launched.updated_by = key.by();
    launched.updated_at = now;
    let change = CampaignChange {
        what: "launched".into(),
        by: key.by(),
        at: now,
    };
    match state.store.start_run(&launched, &change, &run).await {
        Ok(()) => {
            let detail = json!({ "send_at": send_at, "status": launched.status });
            let target = Some(launched.id.to_string());
            audit::by(state, account.id, key, "campaign.launched", target, detail).await;
            Ok(CampaignView::from(&launched))
        }
        Err(StoreError::Conflict { .. }) => Err(AppError::Conflict(
            "the campaign changed or was launched meanwhile; read it again".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn move_run(
    state: &AppState,
    account: &tern_store::Account,
    key: Actor,
    id: &str,
    from: &[CampaignStatus],
    to: CampaignStatus,
    what: &str,
) -> AppResult<CampaignView> {
    let change = CampaignChange {
        what: what.into(),
        by: key.by(),
        at: Utc::now(),
    };
    let campaign = campaign_id(id)?;
    match state
        .store
        .set_run_status(account.id, campaign, from, to, &change)
        .await
    {
        Ok(campaign) => {
            let action = format!("campaign.{what}");
            let target = Some(campaign.id.to_string());
            audit::by(state, account.id, key, &action, target, json!({})).await;
            Ok(CampaignView::from(&campaign))
        }
        Err(StoreError::Conflict { .. }) => {
            let current = state.store.campaign(account.id, campaign).await?;
            Err(AppError::Conflict(format!(
                "the campaign is {}; it cannot be {what} now",
                tern_store::decode::json_text(&current.status)
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// Pauses a running, scheduled or active campaign: nothing more is claimed for it (messages
/// already handed to the provider finish). A paused triggered campaign still finds triggers;
/// they wait.
pub async fn pause(
    state: &AppState,
    account: &Account,
    key: Actor,
    id: &str,
) -> AppResult<CampaignView> {
    let from = [
        CampaignStatus::Running,
        CampaignStatus::Scheduled,
        CampaignStatus::Active,
    ];
    move_run(
        state,
        account,
        key,
        id,
        &from,
        CampaignStatus::Paused,
        "paused",
    )
    .await
}

/// Resumes a paused campaign where it stopped: no recipient already sent to is sent again.
pub async fn resume(
    state: &AppState,
    account: &Account,
    key: Actor,
    id: &str,
) -> AppResult<CampaignView> {
    let from = [CampaignStatus::Paused];
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    // A triggered campaign goes on finding and sending; what fell due meanwhile goes only
    // within its lateness budget.
    let to = if campaign.kind.triggered() {
        CampaignStatus::Active
    } else {
        CampaignStatus::Running
    };
    move_run(state, account, key, id, &from, to, "resumed").await
}

/// Cancels a campaign: its queued messages are cancelled (and a triggered campaign's waiting
/// triggers, and it finds no more); those already handed to the provider finish.
pub async fn cancel(
    state: &AppState,
    account: &Account,
    key: Actor,
    id: &str,
) -> AppResult<CampaignView> {
    let from = [
        CampaignStatus::Running,
        CampaignStatus::Scheduled,
        CampaignStatus::Paused,
        CampaignStatus::Active,
    ];
    move_run(
        state,
        account,
        key,
        id,
        &from,
        CampaignStatus::Cancelled,
        "cancelled",
    )
    .await
}

/// Where a launched campaign's messages are (README's "Campaign figures" defines each count).
#[derive(Serialize, ToSchema, Default)]
pub struct ProgressView {
    pub status: String,
    /// Whether the whole audience is in the outbox yet.
    pub audience_written: bool,
    /// Messages written to the outbox so far, skipped ones included: the whole audience once
    /// `audience_written`.
    pub total: u64,
    /// Waiting to be sent (due later, or deferred by quiet hours or the rate limits).
    pub queued: u64,
    /// Handed to the provider, answer pending.
    pub sending: u64,
    /// Accepted by the provider: delivered, undelivered, and those awaiting the carrier's report
    /// (no status yet, or one that is not final).
    pub sent: u64,
    /// Reported delivered (or read) by the carrier.
    pub delivered: u64,
    /// Accepted, then reported undelivered (or failed) by the carrier.
    pub undelivered: u64,
    /// Refused by the provider, or given up by Tern (never accepted; not the undelivered).
    pub failed: u64,
    pub cancelled: u64,
    /// Never attempted.
    pub skipped: u64,
    /// Skipped by reason (`unsubscribed`, `no_consent` — asked again when the message is sent —,
    /// `frequency_cap`, `mms_disabled`, …).
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Failed by reason (`invalid_number`, `unsubscribed`, `not_sms_capable`, `failed`,
    /// `gave_up`, `unknown` — the provider could not be asked for 15 minutes whether it has
    /// the message); sums to `failed`.
    pub failed_by_reason: BTreeMap<String, u64>,
    /// Undelivered by the carrier's error code (`30003`, …; `none` when it gave none); sums to
    /// `undelivered`.
    pub undelivered_by_reason: BTreeMap<String, u64>,
    /// The codes of `undelivered_by_reason` in a marketer's words.
    pub error_codes: BTreeMap<String, String>,
    /// Hits on the campaign's links that were people (previewers, bots and `HEAD` requests
    /// aside: the report lists those).
    pub clicks: u64,
    /// While the account's provider keeps failing, its messages wait until then (the breaker
    /// tries again by itself).
    pub provider_paused_until: Option<chrono::DateTime<Utc>>,
    /// How many times sending paused because the provider kept failing.
    pub provider_pauses: u32,
}

/// Progress, readable at any moment.
pub async fn progress(state: &AppState, account: &Account, id: &str) -> AppResult<ProgressView> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    let f = figures::load(&*state.store, account.id, &[campaign.id], true)
        .await?
        .remove(&campaign.id)
        .unwrap_or_default();
    let breaker = state.store.breaker(account.id).await?;
    Ok(ProgressView {
        status: tern_store::decode::json_text(&campaign.status),
        audience_written: f.audience_written,
        total: f.total,
        queued: f.queued,
        sending: f.sending,
        sent: f.sent,
        delivered: f.delivered,
        undelivered: f.undelivered,
        failed: f.failed,
        cancelled: f.cancelled,
        skipped: f.skipped,
        error_codes: figures::explained(&f.undelivered_by_reason),
        skipped_by_reason: f.skipped_by_reason,
        failed_by_reason: f.failed_by_reason,
        undelivered_by_reason: f.undelivered_by_reason,
        clicks: super::attribution::clicks(&*state.store, account.id, campaign.id)
            .await?
            .human,
        provider_paused_until: breaker
            .and_then(|b| b.open_until)
            .filter(|until| *until > state.clock.now()),
        provider_pauses: breaker.map_or(0, |b| b.opened),
    })
}

/// A page of messages.
#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    /// Only messages with a greater id (the cursor).
    pub after: Option<i64>,
    /// 1 to 1000; 100 by default.
    pub limit: Option<u32>,
}

/// A campaign's messages in id order, page by page.
pub async fn messages(
    state: &AppState,
    account: &Account,
    id: &str,
    query: MessagesQuery,
) -> AppResult<Vec<MessageView>> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::Invalid {
            field: "limit".into(),
            message: "must be from 1 to 1000".into(),
        });
    }
    let found = state
        .store
        .messages(
            account.id,
            campaign.id,
            false,
            query.after.unwrap_or(0),
            limit,
        )
        .await?;
    Ok(found.into_iter().map(MessageView::from).collect())
}

/// What a test send uses.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestSendBody {
    /// Personalise with this contact's values (none: as for a contact of whom nothing is known).
    pub contact_id: Option<i64>,
}

/// Test messages skip consent (they go to the account's own numbers), so they are limited:
/// this many an hour per account, across campaigns.
pub const TEST_MESSAGES_PER_HOUR: u32 = 60;

/// Sends the current design to the account's test numbers now, through the dispatcher, with
/// every check of the Design step; the answer lists the messages, whose statuses
/// `GET …/tests` shows as they change.
pub async fn send_test(
    state: &AppState,
    account: &Account,
    id: &str,
    body: TestSendBody,
) -> AppResult<Vec<MessageView>> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    let context = StepContext::load(state, account, &campaign).await?;
    if context.settings.test_numbers.is_empty() {
        return Err(AppError::Invalid {
            field: "test_numbers".into(),
            message: "the account has no test numbers: add them in the settings".into(),
        });
    }
    let checked = check_steps(&context, &campaign);
    let design_problem = checked
        .steps
        .iter()
        .find(|(step, _)| *step == tern_domain::campaign::Step::Design)
        .and_then(|(_, problems)| problems.first());
    let (Some(design), None) = (checked.design.as_ref(), design_problem) else {
        let (field, message) = design_problem
            .map(|p| (format!("design.{}", p.field), p.message.clone()))
            .unwrap_or(("design".into(), "the Design step is not complete".into()));
        return Err(AppError::Invalid { field, message });
    };
    let values = match body.contact_id {
        Some(id) => match state.store.contact(account.id, ContactId(id)).await {
            Ok(contact) => contact.state,
            Err(StoreError::NotFound) => {
                return Err(AppError::Invalid {
                    field: "contact_id".into(),
                    message: format!("no contact {id} in this account"),
                });
            }
            Err(e) => return Err(e.into()),
        },
        None => blank_contact(),
    };
    let now = Utc::now();
    let messages: Vec<_> = context
        .settings
        .test_numbers
        .iter()
        .map(|number| {
            message_for(
                &context,
                &campaign,
                design,
                Recipient::Test {
                    number,
                    values: &values,
                },
                None,
                now,
            )
        })
        .collect();
    let ids = match state
        .store
        .add_test_messages(account.id, campaign.id, &messages, TEST_MESSAGES_PER_HOUR)
        .await
    {
        Err(StoreError::Conflict { constraint }) if constraint == "test_messages_per_hour" => {
            return Err(AppError::TooMany {
                message: format!(
                    "at most {TEST_MESSAGES_PER_HOUR} test messages an hour per account \
                     (this send has {}): try again later",
                    messages.len()
                ),
                retry_after_secs: 600,
            });
        }
        other => other?,
    };
    let first = ids.iter().min().copied().unwrap_or(1);
    let mut sent = state
        .store
        .messages(account.id, campaign.id, true, first - 1, ids.len() as u32)
        .await?;
    sent.retain(|m| ids.contains(&m.id));
    Ok(sent.into_iter().map(MessageView::from).collect())
}

/// The campaign's test messages, newest last, with their statuses.
pub async fn list_tests(
    state: &AppState,
    account: &Account,
    id: &str,
) -> AppResult<Vec<MessageView>> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    let found = state
        .store
        .messages(account.id, campaign.id, true, 0, 1000)
        .await?;
    Ok(found.into_iter().map(MessageView::from).collect())
}
