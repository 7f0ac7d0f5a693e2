//! A campaign after its design: launch, pause, resume and cancel; progress and messages; and
//! test messages to the account's test numbers through the same dispatcher.

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tern_domain::{
    campaign::{CampaignStatus, CampaignType},
    delivery::pacing::RunPlan,
    ids::ContactId,
};
use tern_store::{CampaignChange, MessageRecord, RunRecord, StoreError};
use utoipa::ToSchema;

use super::campaigns::{CampaignView, by, campaign_id};
use crate::{
    ApiError, AppState,
    campaigns::{
        StepContext,
        audience::blank_contact,
        check_steps,
        figures::{self, CampaignFigures},
    },
    error::ErrorBody,
    extract::{AccountAuth, ApiJson},
    sending::recipient::{Recipient, message_for},
};

/// Launches a Single campaign whose every step is complete: its audience is written into the
/// outbox and sent from the Launch step's time, within quiet hours, the cap and the throttle.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/launch", operation_id = "launch_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "Launched: running, or scheduled for later", body = CampaignView), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Not a draft, or changed meanwhile", body = ErrorBody),
        (status = 422, description = "A step is not complete (see the pre-launch check)", body = ErrorBody)))]
pub async fn launch(
    State(state): State<AppState>,
    AccountAuth(account, key): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    let campaign = state.store.campaign(account.id, campaign_id(&id)?).await?;
    if campaign.status != CampaignStatus::Draft || campaign.archived_at.is_some() {
        return Err(ApiError::Conflict(format!(
            "only a draft can be launched; this campaign is {}",
            tern_store::decode::json_text(&campaign.status)
        )));
    }
    if campaign.kind != CampaignType::Single {
        return Err(ApiError::Invalid {
            field: "type".into(),
            message: format!(
                "{} campaigns send as their triggers fire; only Single campaigns are launched",
                campaign.kind.label()
            ),
        });
    }
    let context = StepContext::load(&state, &account, &campaign).await?;
    let checked = check_steps(&context, &campaign);
    if let Some((step, problem)) = checked
        .steps
        .iter()
        .find_map(|(step, problems)| problems.first().map(|p| (step, p)))
    {
        return Err(ApiError::Invalid {
            field: if problem.field.is_empty() {
                step.as_str().to_owned()
            } else {
                format!("{}.{}", step.as_str(), problem.field)
            },
            message: format!("{} (GET …/check lists every problem)", problem.message),
        });
    }
    let plan = checked
        .launch
        .as_ref()
        .expect("a complete Launch step has a plan");
    let now = Utc::now();
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
    };
    let mut launched = campaign.clone();
    launched.status = if send_at > now {
        CampaignStatus::Scheduled
    } else {
        CampaignStatus::Running
    };
    launched.revision += 1;
    launched.updated_by = by(key);
    launched.updated_at = now;
    let change = CampaignChange {
        what: "launched".into(),
        by: by(key),
        at: now,
    };
    match state.store.start_run(&launched, &change, &run).await {
        Ok(()) => Ok(Json(CampaignView::from(&launched))),
        Err(StoreError::Conflict { .. }) => Err(ApiError::Conflict(
            "the campaign changed or was launched meanwhile; read it again".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn move_run(
    state: &AppState,
    account: &tern_store::Account,
    key: crate::extract::Actor,
    id: &str,
    from: &[CampaignStatus],
    to: CampaignStatus,
    what: &str,
) -> Result<Json<CampaignView>, ApiError> {
    let change = CampaignChange {
        what: what.into(),
        by: by(key),
        at: Utc::now(),
    };
    let campaign = campaign_id(id)?;
    match state
        .store
        .set_run_status(account.id, campaign, from, to, &change)
        .await
    {
        Ok(campaign) => Ok(Json(CampaignView::from(&campaign))),
        Err(StoreError::Conflict { .. }) => {
            let current = state.store.campaign(account.id, campaign).await?;
            Err(ApiError::Conflict(format!(
                "the campaign is {}; it cannot be {what} now",
                tern_store::decode::json_text(&current.status)
            )))
        }
        Err(e) => Err(e.into()),
    }
}

/// Pauses a running or scheduled campaign: nothing more is claimed for it (messages already
/// handed to the provider finish).
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/pause", operation_id = "pause_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "Paused", body = CampaignView), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Not running or scheduled", body = ErrorBody)))]
pub async fn pause(
    State(state): State<AppState>,
    AccountAuth(account, key): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    let from = [CampaignStatus::Running, CampaignStatus::Scheduled];
    move_run(
        &state,
        &account,
        key,
        &id,
        &from,
        CampaignStatus::Paused,
        "paused",
    )
    .await
}

/// Resumes a paused campaign where it stopped: no recipient already sent to is sent again.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/resume", operation_id = "resume_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "Running again", body = CampaignView), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Not paused", body = ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    AccountAuth(account, key): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    let from = [CampaignStatus::Paused];
    move_run(
        &state,
        &account,
        key,
        &id,
        &from,
        CampaignStatus::Running,
        "resumed",
    )
    .await
}

/// Cancels a campaign: its queued messages are cancelled; those already handed to the provider
/// finish.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/cancel", operation_id = "cancel_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "Cancelled", body = CampaignView), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Not running, scheduled or paused", body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    AccountAuth(account, key): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    let from = [
        CampaignStatus::Running,
        CampaignStatus::Scheduled,
        CampaignStatus::Paused,
    ];
    move_run(
        &state,
        &account,
        key,
        &id,
        &from,
        CampaignStatus::Cancelled,
        "cancelled",
    )
    .await
}

/// A launched campaign's messages at a glance (test messages aside), counted as its progress
/// counts them.
#[derive(Serialize, ToSchema, Default, Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// Messages written to the outbox so far, skipped ones included: the whole audience once
    /// `audience_written`.
    pub total: u64,
    /// Whether the whole audience is in the outbox yet.
    pub audience_written: bool,
    /// Not sent yet: queued, or with the provider awaiting its answer.
    pub pending: u64,
    /// Accepted by the provider: delivered, undelivered, and those awaiting the carrier's report.
    pub sent: u64,
    /// Reported delivered by the carrier.
    pub delivered: u64,
    /// Accepted, then reported undelivered by the carrier.
    pub undelivered: u64,
    /// Refused by the provider, or given up by Tern (never accepted).
    pub failed: u64,
    pub cancelled: u64,
    /// Never attempted (no consent, unsubscribed, no sender, over the frequency cap, …).
    pub skipped: u64,
}

impl From<&CampaignFigures> for Figures {
    fn from(f: &CampaignFigures) -> Self {
        Self {
            total: f.total,
            audience_written: f.audience_written,
            pending: f.queued + f.sending,
            sent: f.sent,
            delivered: f.delivered,
            undelivered: f.undelivered,
            failed: f.failed,
            cancelled: f.cancelled,
            skipped: f.skipped,
        }
    }
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
    /// Skipped by reason (`unsubscribed`, `no_consent`, `frequency_cap`, …).
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Failed by reason (`invalid_number`, `unsubscribed`, `not_sms_capable`, `failed`,
    /// `gave_up`); sums to `failed`.
    pub failed_by_reason: BTreeMap<String, u64>,
    /// Undelivered by the carrier's error code (`30003`, …; `none` when it gave none); sums to
    /// `undelivered`.
    pub undelivered_by_reason: BTreeMap<String, u64>,
    /// The codes of `undelivered_by_reason` in a marketer's words.
    pub error_codes: BTreeMap<String, String>,
    pub clicks: u64,
}

/// Progress, readable at any moment.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/progress", operation_id = "campaign_progress", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "OK", body = ProgressView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn progress(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<ProgressView>, ApiError> {
    let campaign = state.store.campaign(account.id, campaign_id(&id)?).await?;
    let f = figures::load(&*state.store, account.id, &[campaign.id], true)
        .await?
        .remove(&campaign.id)
        .unwrap_or_default();
    Ok(Json(ProgressView {
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
        clicks: state.store.clicks(account.id, campaign.id).await?,
    }))
}

/// One message as reports show it.
#[derive(Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub to: String,
    pub from: String,
    pub body: String,
    pub media: Vec<String>,
    /// `queued`, `sending`, `sent`, `failed`, `skipped` or `cancelled`.
    pub state: String,
    /// The provider's status once sent (`queued`, `sent`, `delivered`, `undelivered`, …).
    pub provider_status: Option<String>,
    pub provider_sid: Option<String>,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    pub error_code: Option<u32>,
    /// In a marketer's words.
    pub error_message: Option<String>,
    pub attempts: u32,
    pub due_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl From<MessageRecord> for MessageView {
    fn from(m: MessageRecord) -> Self {
        Self {
            id: m.id,
            contact_id: m.contact_id.map(|c| c.0),
            to: m.to,
            from: m.sender,
            body: m.body,
            media: m.media,
            state: tern_store::decode::json_text(&m.state),
            provider_status: m.provider_status.map(|s| tern_store::decode::json_text(&s)),
            provider_sid: m.provider_sid,
            reason: m.reason,
            error_code: m.error_code,
            error_message: m.error_message,
            attempts: m.attempts,
            due_at: m.due_at,
            sent_at: m.sent_at,
            updated_at: m.updated_at,
        }
    }
}

/// A page of messages.
#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    /// Only messages with a greater id (the cursor).
    pub after: Option<i64>,
    /// 1 to 1000; 100 by default.
    pub limit: Option<u32>,
}

/// A campaign's messages in id order, page by page.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/messages", operation_id = "campaign_messages", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id"), MessagesQuery),
    responses((status = 200, description = "OK", body = Vec<MessageView>), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
    Query(query): Query<MessagesQuery>,
) -> Result<Json<Vec<MessageView>>, ApiError> {
    let campaign = state.store.campaign(account.id, campaign_id(&id)?).await?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::Invalid {
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
    Ok(Json(found.into_iter().map(MessageView::from).collect()))
}

/// What a test send uses.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestSendBody {
    /// Personalise with this contact's values (none: as for a contact of whom nothing is known).
    pub contact_id: Option<i64>,
}

/// Sends the current design to the account's test numbers now, through the dispatcher, with
/// every check of the Design step; the answer lists the messages, whose statuses
/// `GET …/tests` shows as they change.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/tests", operation_id = "send_test", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")), request_body = TestSendBody,
    responses((status = 202, description = "Queued", body = Vec<MessageView>), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "No test numbers, or the design is not complete", body = ErrorBody)))]
pub async fn send_test(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TestSendBody>,
) -> Result<(StatusCode, Json<Vec<MessageView>>), ApiError> {
    let campaign = state.store.campaign(account.id, campaign_id(&id)?).await?;
    let context = StepContext::load(&state, &account, &campaign).await?;
    if context.settings.test_numbers.is_empty() {
        return Err(ApiError::Invalid {
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
        return Err(ApiError::Invalid { field, message });
    };
    let values = match body.contact_id {
        Some(id) => match state.store.contact(account.id, ContactId(id)).await {
            Ok(contact) => contact.state,
            Err(StoreError::NotFound) => {
                return Err(ApiError::Invalid {
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
                now,
            )
        })
        .collect();
    let ids = state
        .store
        .add_test_messages(account.id, campaign.id, &messages)
        .await?;
    let first = ids.iter().min().copied().unwrap_or(1);
    let mut sent = state
        .store
        .messages(account.id, campaign.id, true, first - 1, ids.len() as u32)
        .await?;
    sent.retain(|m| ids.contains(&m.id));
    Ok((
        StatusCode::ACCEPTED,
        Json(sent.into_iter().map(MessageView::from).collect()),
    ))
}

/// The campaign's test messages, newest last, with their statuses.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/tests", operation_id = "list_tests", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "OK", body = Vec<MessageView>), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn list_tests(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<MessageView>>, ApiError> {
    let campaign = state.store.campaign(account.id, campaign_id(&id)?).await?;
    let found = state
        .store
        .messages(account.id, campaign.id, true, 0, 1000)
        .await?;
    Ok(Json(found.into_iter().map(MessageView::from).collect()))
}
