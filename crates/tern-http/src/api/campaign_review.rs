//! Reviewing a campaign before launch: the variables a template may read, the preview for a
//! contact, the audience estimate, and the pre-launch check of every step.

use axum::{
    Json,
    extract::{Path, State},
};
use tern_app::{
    AppState,
    campaigns::{
        review::{self, LaunchCheckView, PreviewRequest, PreviewView, VariableView},
        suggestions::{self, SuggestionsRequest, SuggestionsView},
    },
};
use tern_domain::campaign::estimate::Estimate;

use crate::{
    ApiError,
    error::ErrorBody,
    extract::{AccountAuth, ApiJson},
};

/// The variables this campaign's template may read: the contact's fields, every attribute some
/// contact of the account has, and for cart reminders the cart.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/variables", operation_id = "list_campaign_variables", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "OK", body = Vec<VariableView>), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn variables(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<VariableView>>, ApiError> {
    Ok(Json(review::variables(&state, &account, &id).await?))
}

/// Renders the design for a contact (or a sample), with counters, links, media and the longest
/// text personalisation makes over the audience.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/preview", operation_id = "preview_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")), request_body = PreviewRequest,
    responses((status = 200, description = "OK", body = PreviewView), (status = 400, description = "The body cannot be read", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody),
        (status = 422, description = "No such contact, or a design that is not an object", body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<PreviewRequest>,
) -> Result<Json<PreviewView>, ApiError> {
    Ok(Json(review::preview(&state, &account, &id, request).await?))
}

/// Drafts for the Design step from the operator's AI endpoint: each composed as a recipient
/// gets it (footer, shortened links, fallbacks) and counted by Tern's rules; only drafts that
/// fit are listed, the others are in `dropped` with the reason.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/design/suggestions", operation_id = "suggest_design_texts", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")), request_body = SuggestionsRequest,
    responses((status = 200, description = "OK", body = SuggestionsView), (status = 400, description = "The body cannot be read", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "The account turned the AI writer off (`ai_off`)", body = ErrorBody),
        (status = 422, description = "A field of the brief, or a design that leaves no room for a message", body = ErrorBody),
        (status = 429, description = "Too many requests for drafts; see Retry-After", body = ErrorBody),
        (status = 502, description = "The AI endpoint is down, refused, or answered no drafts (`ai_unavailable`, `ai_bad_output`)", body = ErrorBody),
        (status = 503, description = "No AI endpoint is configured (`ai_not_configured`)", body = ErrorBody),
        (status = 504, description = "The AI endpoint did not answer in time (`ai_timeout`)", body = ErrorBody)))]
pub async fn suggestions(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<SuggestionsRequest>,
) -> Result<Json<SuggestionsView>, ApiError> {
    Ok(Json(
        suggestions::suggestions(&state, &account, &id, request).await?,
    ))
}

/// The reachable estimate of a Single campaign's segments: recipients, the others by reason,
/// messages by channel, SMS segments and cost by country.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/audience", operation_id = "campaign_audience", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "OK", body = Object), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody),
        (status = 422, description = "No segments chosen yet, or a triggered campaign", body = ErrorBody)))]
pub async fn audience_estimate(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<Estimate>, ApiError> {
    Ok(Json(
        review::audience_estimate(&state, &account, &id).await?,
    ))
}

/// The pre-launch check: every problem of every step, the longest personalised text, and the
/// estimate.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/check", operation_id = "check_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "OK", body = LaunchCheckView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<LaunchCheckView>, ApiError> {
    Ok(Json(review::check(&state, &account, &id).await?))
}
