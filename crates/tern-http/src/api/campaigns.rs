//! Campaigns: create, list, read, rename, duplicate, archive; their steps in order with what
//! each lacks; saving a step's draft; the change history.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde_json::Value;
use tern_app::{
    AppState,
    campaigns::{
        drafts::{
            self, CampaignChangeRequest, CampaignDetail, ChangeView, ListParams, NewCampaignRequest,
        },
        views::{CampaignView, StepView},
    },
};

use crate::{
    ApiError,
    error::ErrorBody,
    extract::{AccountAuth, ApiJson, ApiQuery},
};

/// Creates a draft campaign; the answer lists the type's steps.
#[utoipa::path(post, path = "/api/v1/campaigns", operation_id = "create_campaign", tag = "campaigns", security(("api_key" = [])),
    request_body = NewCampaignRequest,
    responses((status = 201, description = "Created", body = CampaignDetail), (status = 400, description = "The body cannot be read", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody), (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    AccountAuth(account, key): AccountAuth,
    ApiJson(request): ApiJson<NewCampaignRequest>,
) -> Result<(StatusCode, Json<CampaignDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(drafts::create(&state, &account, key, request).await?),
    ))
}

/// The SMS listing: campaigns filtered, searched, sorted, a page at a time.
#[utoipa::path(get, path = "/api/v1/campaigns", operation_id = "list_campaigns", tag = "campaigns", security(("api_key" = [])), params(ListParams),
    responses((status = 200, description = "OK", body = Vec<CampaignView>), (status = 400, description = "Bad parameters", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody), (status = 422, description = "A parameter is not acceptable", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Vec<CampaignView>>, ApiError> {
    Ok(Json(drafts::list(&state, &account, params).await?))
}

/// One campaign with its steps.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}", operation_id = "get_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "OK", body = CampaignDetail), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<CampaignDetail>, ApiError> {
    Ok(Json(drafts::get(&state, &account, &id).await?))
}

/// Renames a draft or changes its channel.
#[utoipa::path(patch, path = "/api/v1/campaigns/{campaign_id}", operation_id = "update_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")), request_body = CampaignChangeRequest,
    responses((status = 200, description = "OK", body = CampaignDetail), (status = 400, description = "The body cannot be read", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Not a draft, or changed meanwhile", body = ErrorBody), (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    AccountAuth(account, key): AccountAuth,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<CampaignChangeRequest>,
) -> Result<Json<CampaignDetail>, ApiError> {
    Ok(Json(
        drafts::update(&state, &account, key, &id, request).await?,
    ))
}

/// Copies a campaign (name, type, channel, steps) into a new draft.
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/duplicate", operation_id = "duplicate_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 201, description = "Created", body = CampaignDetail), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn duplicate(
    State(state): State<AppState>,
    AccountAuth(account, key): AccountAuth,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<CampaignDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(drafts::duplicate(&state, &account, key, &id).await?),
    ))
}

/// Archives a campaign that is not sending: it leaves the listing (see `archived=true`).
#[utoipa::path(post, path = "/api/v1/campaigns/{campaign_id}/archive", operation_id = "archive_campaign", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "OK", body = CampaignView), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Still sending", body = ErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    AccountAuth(account, key): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    Ok(Json(drafts::archive(&state, &account, key, &id).await?))
}

/// The campaign's steps in order, each complete or with what it lacks.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/steps", operation_id = "list_campaign_steps", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "OK", body = Vec<StepView>), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn steps(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<StepView>>, ApiError> {
    Ok(Json(drafts::steps(&state, &account, &id).await?))
}

/// Saves a step's draft (complete or not) and returns where it stands.
#[utoipa::path(put, path = "/api/v1/campaigns/{campaign_id}/steps/{step}", operation_id = "save_campaign_step", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id"), ("step" = String, Path, description = "segments, rules, design, goals or launch")),
    request_body(content = Object, description = "The step's content"),
    responses((status = 200, description = "Saved", body = StepView), (status = 400, description = "The body cannot be read", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Not a draft, or changed meanwhile", body = ErrorBody), (status = 422, description = "Not a step of this campaign's type", body = ErrorBody)))]
pub async fn save_step(
    State(state): State<AppState>,
    AccountAuth(account, key): AccountAuth,
    Path((id, step)): Path<(String, String)>,
    ApiJson(content): ApiJson<Value>,
) -> Result<Json<StepView>, ApiError> {
    Ok(Json(
        drafts::save_step(&state, &account, key, &id, &step, content).await?,
    ))
}

/// Who created and changed the campaign, and what, oldest first.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/changes", operation_id = "list_campaign_changes", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "OK", body = Vec<ChangeView>), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn changes(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<ChangeView>>, ApiError> {
    Ok(Json(drafts::changes(&state, &account, &id).await?))
}
