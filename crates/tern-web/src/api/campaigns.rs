//! Campaigns: create, list, read, rename, duplicate, archive; their steps in order with what
//! each lacks; saving a step's draft; the change history.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tern_domain::{
    account::InvalidSetting,
    campaign::{
        CampaignStatus, CampaignType, Channel, Step, check_name, mms_refusal, steps::StepProblem,
    },
    ids::CampaignId,
    template::Position,
};
use tern_store::{
    Account, CampaignChange, CampaignQuery, CampaignRecord, CampaignSort, StoreError,
};
use utoipa::{IntoParams, ToSchema};

use super::campaign_run::Figures;
use crate::{
    ApiError, AppState,
    campaigns::{StepContext, check_steps, figures},
    error::ErrorBody,
    extract::{AccountAuth, Actor, ApiJson, ApiQuery},
    random,
};

/// A campaign as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct CampaignView {
    pub id: String,
    pub name: String,
    /// `single`, `cart_reminder` or `welcome`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `sms` or `mms`.
    pub channel: String,
    /// `draft`, `scheduled`, `active`, `running`, `paused`, `completed` or `cancelled`.
    pub status: String,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub updated_by: String,
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Headline figures of a launched campaign, in listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
}

impl From<&CampaignRecord> for CampaignView {
    fn from(c: &CampaignRecord) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.name.clone(),
            kind: c.kind.as_str().to_owned(),
            channel: tern_store::decode::json_text(&c.channel),
            status: tern_store::decode::json_text(&c.status),
            archived_at: c.archived_at,
            created_by: c.created_by.clone(),
            updated_by: c.updated_by.clone(),
            revision: c.revision,
            created_at: c.created_at,
            updated_at: c.updated_at,
            figures: None,
        }
    }
}

/// One step of the wizard and where the user stands on it.
#[derive(Serialize, ToSchema)]
pub struct StepView {
    /// `segments`, `rules`, `design`, `goals` or `launch`.
    pub step: String,
    pub complete: bool,
    /// What is missing or wrong; empty when complete.
    pub problems: Vec<StepProblemView>,
    /// The saved draft, if any.
    #[schema(value_type = Option<Object>)]
    pub content: Option<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct StepProblemView {
    /// The field at fault, e.g. `include[1]` or `body`; empty for the step as a whole.
    pub field: String,
    pub code: String,
    pub message: String,
    /// For template problems: `line` and `column` (from 1, in characters) and `index` (UTF-16
    /// units from the start, as a browser's text field counts).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub position: Option<Position>,
}

impl From<StepProblem> for StepProblemView {
    fn from(p: StepProblem) -> Self {
        Self {
            field: p.field,
            code: p.code.to_owned(),
            message: p.message,
            position: p.position,
        }
    }
}

pub(crate) fn by(actor: Actor) -> String {
    actor.by()
}

pub(crate) fn campaign_id(raw: &str) -> Result<CampaignId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

async fn check_channel(
    state: &AppState,
    account: &Account,
    channel: Channel,
) -> Result<(), ApiError> {
    if channel == Channel::Mms {
        let settings = state.store.settings(account.id).await?;
        if let Some(refusal) = mms_refusal(
            account.mms_enabled,
            settings.senders.iter().map(|s| s.country.as_str()),
        ) {
            return Err(refusal.into());
        }
    }
    Ok(())
}

/// A new campaign.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaignRequest {
    pub name: String,
    /// `single`, `cart_reminder` or `welcome`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `sms` (the default) or `mms`.
    #[schema(value_type = Option<String>)]
    pub channel: Option<Channel>,
}

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
    let name = check_name(&request.name)?;
    let kind: CampaignType = request.kind.parse()?;
    let channel = request.channel.unwrap_or(Channel::Sms);
    check_channel(&state, &account, channel).await?;
    let now = Utc::now();
    let campaign = CampaignRecord {
        id: CampaignId::from_random(random()),
        account_id: account.id,
        name,
        kind,
        channel,
        status: CampaignStatus::Draft,
        steps: serde_json::Map::new(),
        archived_at: None,
        created_by: by(key),
        updated_by: by(key),
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    let change = CampaignChange {
        what: "created".into(),
        by: by(key),
        at: now,
    };
    state.store.create_campaign(&campaign, &change).await?;
    Ok((
        StatusCode::CREATED,
        Json(detail(&state, &account, &campaign).await?),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `draft`, `scheduled`, `active`, `running`, `paused`, `completed` or `cancelled`.
    #[param(value_type = Option<String>)]
    pub status: Option<CampaignStatus>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// `sms` or `mms`.
    #[param(value_type = Option<String>)]
    pub channel: Option<Channel>,
    /// Part of the name, any case.
    pub search: Option<String>,
    /// `updated` (newest first, the default), `created` (newest first) or `name`.
    pub sort: Option<String>,
    /// Archived campaigns instead of the others.
    pub archived: Option<bool>,
    /// 1 to 200; 50 by default.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
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
    let sort = match params.sort.as_deref() {
        None | Some("updated") => CampaignSort::UpdatedDesc,
        Some("created") => CampaignSort::CreatedDesc,
        Some("name") => CampaignSort::Name,
        Some(other) => {
            return Err(InvalidSetting::new(
                "sort",
                format!("unknown sort {other:?}: use updated, created or name"),
            )
            .into());
        }
    };
    let limit = params.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(InvalidSetting::new("limit", "must be 1 to 200").into());
    }
    let query = CampaignQuery {
        status: params.status,
        kind: params.kind.as_deref().map(str::parse).transpose()?,
        channel: params.channel,
        search: params.search.filter(|s| !s.trim().is_empty()),
        archived: params.archived.unwrap_or(false),
        sort,
        limit,
        offset: params.offset.unwrap_or(0),
    };
    let campaigns = state.store.list_campaigns(account.id, &query).await?;
    let launched: Vec<_> = campaigns
        .iter()
        .filter(|c| c.status != CampaignStatus::Draft)
        .map(|c| c.id)
        .collect();
    let mut counted = figures::load(&*state.store, account.id, &launched, false).await?;
    Ok(Json(
        campaigns
            .iter()
            .map(|c| CampaignView {
                figures: (c.status != CampaignStatus::Draft)
                    .then(|| Figures::from(&counted.remove(&c.id).unwrap_or_default())),
                ..CampaignView::from(c)
            })
            .collect(),
    ))
}

/// A campaign with its steps.
#[derive(Serialize, ToSchema)]
pub struct CampaignDetail {
    #[serde(flatten)]
    pub campaign: CampaignView,
    /// The type's steps in order, each complete or not with its problems.
    pub steps: Vec<StepView>,
}

async fn detail(
    state: &AppState,
    account: &Account,
    campaign: &CampaignRecord,
) -> Result<CampaignDetail, ApiError> {
    Ok(CampaignDetail {
        campaign: campaign.into(),
        steps: steps_of(state, account, campaign).await?,
    })
}

/// Checks every step of the campaign's type against its saved draft.
async fn steps_of(
    state: &AppState,
    account: &Account,
    campaign: &CampaignRecord,
) -> Result<Vec<StepView>, ApiError> {
    let context = StepContext::load(state, account, campaign).await?;
    let checked = check_steps(&context, campaign);
    Ok(checked
        .steps
        .into_iter()
        .map(|(step, problems)| StepView {
            step: step.as_str().to_owned(),
            complete: problems.is_empty(),
            problems: problems.into_iter().map(StepProblemView::from).collect(),
            content: campaign.steps.get(step.as_str()).cloned(),
        })
        .collect())
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
    let campaign = state.store.campaign(account.id, campaign_id(&id)?).await?;
    Ok(Json(detail(&state, &account, &campaign).await?))
}

/// A rename or a change of channel.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignChangeRequest {
    pub name: Option<String>,
    /// `sms` or `mms`.
    #[schema(value_type = Option<String>)]
    pub channel: Option<Channel>,
}

async fn save(
    state: &AppState,
    mut campaign: CampaignRecord,
    what: String,
    key: Actor,
) -> Result<CampaignRecord, ApiError> {
    let now = Utc::now();
    campaign.revision += 1;
    campaign.updated_at = now;
    campaign.updated_by = by(key);
    let change = CampaignChange {
        what,
        by: by(key),
        at: now,
    };
    match state.store.save_campaign(&campaign, &change).await {
        Err(StoreError::Conflict { .. }) => Err(ApiError::Conflict(
            "the campaign was changed meanwhile: read it again".into(),
        )),
        other => other.map(|()| campaign).map_err(ApiError::from),
    }
}

fn editable(campaign: &CampaignRecord) -> Result<(), ApiError> {
    if campaign.status != CampaignStatus::Draft || campaign.archived_at.is_some() {
        return Err(ApiError::Conflict(format!(
            "only drafts can be changed; this campaign is {}",
            if campaign.archived_at.is_some() {
                "archived".into()
            } else {
                tern_store::decode::json_text(&campaign.status)
            }
        )));
    }
    Ok(())
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
    let mut campaign = state.store.campaign(account.id, campaign_id(&id)?).await?;
    editable(&campaign)?;
    let mut what = Vec::new();
    if let Some(name) = &request.name {
        campaign.name = check_name(name)?;
        what.push("renamed");
    }
    if let Some(channel) = request.channel {
        check_channel(&state, &account, channel).await?;
        campaign.channel = channel;
        what.push("channel");
    }
    if what.is_empty() {
        return Ok(Json(detail(&state, &account, &campaign).await?));
    }
    let saved = save(&state, campaign, what.join(","), key).await?;
    Ok(Json(detail(&state, &account, &saved).await?))
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
    let original = state.store.campaign(account.id, campaign_id(&id)?).await?;
    let now = Utc::now();
    let name: String = format!("Copy of {}", original.name)
        .chars()
        .take(tern_domain::campaign::MAX_NAME)
        .collect();
    let copy = CampaignRecord {
        id: CampaignId::from_random(random()),
        name,
        status: CampaignStatus::Draft,
        archived_at: None,
        created_by: by(key),
        updated_by: by(key),
        revision: 1,
        created_at: now,
        updated_at: now,
        ..original.clone()
    };
    let change = CampaignChange {
        what: format!("duplicated from {}", original.id),
        by: by(key),
        at: now,
    };
    state.store.create_campaign(&copy, &change).await?;
    Ok((
        StatusCode::CREATED,
        Json(detail(&state, &account, &copy).await?),
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
    let mut campaign = state.store.campaign(account.id, campaign_id(&id)?).await?;
    if campaign.archived_at.is_some() {
        return Ok(Json((&campaign).into()));
    }
    if !matches!(
        campaign.status,
        CampaignStatus::Draft | CampaignStatus::Completed | CampaignStatus::Cancelled
    ) {
        return Err(ApiError::Conflict(
            "a scheduled, active, running or paused campaign cannot be archived: cancel it first"
                .into(),
        ));
    }
    campaign.archived_at = Some(Utc::now());
    let saved = save(&state, campaign, "archived".into(), key).await?;
    Ok(Json((&saved).into()))
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
    let campaign = state.store.campaign(account.id, campaign_id(&id)?).await?;
    Ok(Json(steps_of(&state, &account, &campaign).await?))
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
    let mut campaign = state.store.campaign(account.id, campaign_id(&id)?).await?;
    let step = campaign.kind.step(step.parse::<Step>()?)?;
    editable(&campaign)?;
    if !content.is_object() {
        return Err(InvalidSetting::new("step", "a step's content is a JSON object").into());
    }
    let mut content = content;
    if step == Step::Design
        && let Some(channel) = super::campaign_review::take_channel(&mut content)?
    {
        check_channel(&state, &account, channel).await?;
        campaign.channel = channel;
    }
    campaign.steps.insert(step.as_str().to_owned(), content);
    let saved = save(&state, campaign, format!("step:{step}"), key).await?;
    let view = steps_of(&state, &account, &saved)
        .await?
        .into_iter()
        .find(|v| v.step == step.as_str());
    view.map(Json)
        .ok_or_else(|| ApiError::Internal("a saved step vanished".into()))
}

/// One entry of the history.
#[derive(Serialize, ToSchema)]
pub struct ChangeView {
    pub what: String,
    pub by: String,
    pub at: DateTime<Utc>,
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
    let changes = state
        .store
        .campaign_changes(account.id, campaign_id(&id)?)
        .await?;
    Ok(Json(
        changes
            .into_iter()
            .map(|c| ChangeView {
                what: c.what,
                by: c.by,
                at: c.at,
            })
            .collect(),
    ))
}
