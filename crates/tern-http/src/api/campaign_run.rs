//! A campaign after its design: launch, pause, resume and cancel; progress and messages; and
//! test messages to the account's test numbers through the same dispatcher.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use tern_app::{
    AppState,
    campaigns::{
        run::{self, MessagesQuery, ProgressView, TestSendBody},
        triggers::{self, TriggersPage, TriggersQuery},
        views::{CampaignView, MessageView},
    },
};

use crate::{
    ApiError,
    error::ErrorBody,
    extract::{AccountAuth, ApiJson, ApiQuery},
};

/// Launches a campaign whose every step is complete. A Single campaign's audience is written
/// into the outbox and sent from the Launch step's time, within quiet hours, the cap and the
/// throttle. A Cart Reminder or Welcome becomes `active`: from now on (nothing received before
/// counts) its triggers are found, and each sends when it falls due, until the Launch step's
/// end date.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/launch", operation_id = "launch_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "Launched: running, or scheduled for later; or active (Cart Reminder, Welcome)", body = CampaignView), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Not a draft, or changed meanwhile", body = ErrorBody),
        (status = 422, description = "A step is not complete (see the pre-launch check)", body = ErrorBody)))]
pub async fn launch(
    State(state): State<AppState>,
    AccountAuth(account, key): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(run::launch(&state, &account, key, &id).await?))
}

/// Pauses a running, scheduled or active campaign: nothing more is claimed for it (messages
/// already handed to the provider finish); a paused triggered campaign's triggers wait.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/pause", operation_id = "pause_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "Paused", body = CampaignView), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Not running, scheduled or active", body = ErrorBody)))]
pub async fn pause(
    State(state): State<AppState>,
    AccountAuth(account, key): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(run::pause(&state, &account, key, &id).await?))
}

/// Resumes a paused campaign where it stopped: no recipient already sent to is sent again. A
/// triggered campaign is active again; what fell due meanwhile goes only within its lateness
/// budget.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/resume", operation_id = "resume_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "Running (or active) again", body = CampaignView), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Not paused", body = ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    AccountAuth(account, key): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(run::resume(&state, &account, key, &id).await?))
}

/// Cancels a campaign: its queued messages are cancelled, and a triggered campaign's waiting
/// triggers; those already handed to the provider finish.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/cancel", operation_id = "cancel_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "Cancelled", body = CampaignView), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Not running, scheduled, active or paused", body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    AccountAuth(account, key): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(run::cancel(&state, &account, key, &id).await?))
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
    Ok(Json(run::progress(&state, &account, &id).await?))
}

/// A campaign's messages in id order, page by page.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/messages", operation_id = "campaign_messages", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id"), MessagesQuery),
    responses((status = 200, description = "OK", body = Vec<MessageView>), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<MessagesQuery>,
) -> Result<Json<Vec<MessageView>>, ApiError> {
    Ok(Json(run::messages(&state, &account, &id, query).await?))
}

/// A Cart Reminder's or Welcome's triggers in id order, page by page: whom each concerns,
/// what fired it, when it falls due, and what became of it; with the counts by state and
/// reason.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/triggers", operation_id = "campaign_triggers", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id"), TriggersQuery),
    responses((status = 200, description = "OK", body = TriggersPage), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "A bad limit", body = ErrorBody)))]
pub async fn triggers(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<TriggersQuery>,
) -> Result<Json<TriggersPage>, ApiError> {
    Ok(Json(triggers::list(&state, &account, &id, &query).await?))
}

/// Sends the current design to the account's test numbers now, through the dispatcher, with
/// every check of the Design step; the answer lists the messages, whose statuses
/// `GET …/tests` shows as they change.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/tests", operation_id = "send_test", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")), request_body = TestSendBody,
    responses((status = 202, description = "Queued", body = Vec<MessageView>), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "No test numbers, or the design is not complete", body = ErrorBody),
        (status = 429, description = "Over the account's test messages an hour", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn send_test(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TestSendBody>,
) -> Result<(StatusCode, Json<Vec<MessageView>>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(run::send_test(&state, &account, &id, body).await?),
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
    Ok(Json(run::list_tests(&state, &account, &id).await?))
}
