//! Campaigns: create, list, read, rename, duplicate, archive; their steps in order with what
//! each lacks; saving a step's draft; the change history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tern_domain::{
    account::InvalidSetting,
    campaign::{CampaignStatus, CampaignType, Channel, Step, check_name, mms_refusal},
    ids::CampaignId,
};
use tern_store::{
    Account, CampaignChange, CampaignQuery, CampaignRecord, CampaignSort, StoreError,
};
use utoipa::{IntoParams, ToSchema};

use super::views::{CampaignView, Figures, StepProblemView, StepView, campaign_id, take_channel};
use crate::{
    Actor, AppError, AppResult, AppState,
    campaigns::{StepContext, check_steps, figures},
    random,
};

async fn check_channel(
    state: &AppState,
    account: &Account,
    channel: Channel,
) -> Result<(), AppError> {
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
pub async fn create(
    state: &AppState,
    account: &Account,
    key: Actor,
    request: NewCampaignRequest,
) -> AppResult<CampaignDetail> {
    let name = check_name(&request.name)?;
    let kind: CampaignType = request.kind.parse()?;
    let channel = request.channel.unwrap_or(Channel::Sms);
    check_channel(state, account, channel).await?;
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
        created_by: key.by(),
        updated_by: key.by(),
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    let change = CampaignChange {
        what: "created".into(),
        by: key.by(),
        at: now,
    };
    state.store.create_campaign(&campaign, &change).await?;
    detail(state, account, &campaign).await
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
pub async fn list(
    state: &AppState,
    account: &Account,
    params: ListParams,
) -> AppResult<Vec<CampaignView>> {
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
    Ok(campaigns
        .iter()
        .map(|c| CampaignView {
            figures: (c.status != CampaignStatus::Draft)
                .then(|| Figures::from(&counted.remove(&c.id).unwrap_or_default())),
            ..CampaignView::from(c)
        })
        .collect())
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
) -> Result<CampaignDetail, AppError> {
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
) -> Result<Vec<StepView>, AppError> {
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
pub async fn get(state: &AppState, account: &Account, id: &str) -> AppResult<CampaignDetail> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    detail(state, account, &campaign).await
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
) -> Result<CampaignRecord, AppError> {
    let now = Utc::now();
    campaign.revision += 1;
    campaign.updated_at = now;
    campaign.updated_by = key.by();
    let change = CampaignChange {
        what,
        by: key.by(),
        at: now,
    };
    match state.store.save_campaign(&campaign, &change).await {
        Err(StoreError::Conflict { .. }) => Err(AppError::Conflict(
            "the campaign was changed meanwhile: read it again".into(),
        )),
        other => other.map(|()| campaign).map_err(AppError::from),
    }
}

/// An active or paused Cart Reminder or Welcome: its steps may change, each change a new
/// version for the triggers found from then on.
fn live_triggered(campaign: &CampaignRecord) -> bool {
    campaign.kind.triggered()
        && campaign.archived_at.is_none()
        && matches!(
            campaign.status,
            CampaignStatus::Active | CampaignStatus::Paused
        )
}

fn editable(campaign: &CampaignRecord) -> Result<(), AppError> {
    if campaign.status != CampaignStatus::Draft || campaign.archived_at.is_some() {
        return Err(AppError::Conflict(format!(
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
pub async fn update(
    state: &AppState,
    account: &Account,
    key: Actor,
    id: &str,
    request: CampaignChangeRequest,
) -> AppResult<CampaignDetail> {
    let mut campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    editable(&campaign)?;
    let mut what = Vec::new();
    if let Some(name) = &request.name {
        campaign.name = check_name(name)?;
        what.push("renamed");
    }
    if let Some(channel) = request.channel {
        check_channel(state, account, channel).await?;
        campaign.channel = channel;
        what.push("channel");
    }
    if what.is_empty() {
        return detail(state, account, &campaign).await;
    }
    let saved = save(state, campaign, what.join(","), key).await?;
    detail(state, account, &saved).await
}

/// Copies a campaign (name, type, channel, steps) into a new draft.
pub async fn duplicate(
    state: &AppState,
    account: &Account,
    key: Actor,
    id: &str,
) -> AppResult<CampaignDetail> {
    let original = state.store.campaign(account.id, campaign_id(id)?).await?;
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
        created_by: key.by(),
        updated_by: key.by(),
        revision: 1,
        created_at: now,
        updated_at: now,
        ..original.clone()
    };
    let change = CampaignChange {
        what: format!("duplicated from {}", original.id),
        by: key.by(),
        at: now,
    };
    state.store.create_campaign(&copy, &change).await?;
    detail(state, account, &copy).await
}

/// Archives a campaign that is not sending: it leaves the listing (see `archived=true`).
pub async fn archive(
    state: &AppState,
    account: &Account,
    key: Actor,
    id: &str,
) -> AppResult<CampaignView> {
    let mut campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    if campaign.archived_at.is_some() {
        return Ok((&campaign).into());
    }
    if !matches!(
        campaign.status,
        CampaignStatus::Draft | CampaignStatus::Completed | CampaignStatus::Cancelled
    ) {
        return Err(AppError::Conflict(
            "a scheduled, active, running or paused campaign cannot be archived: cancel it first"
                .into(),
        ));
    }
    campaign.archived_at = Some(Utc::now());
    let saved = save(state, campaign, "archived".into(), key).await?;
    Ok((&saved).into())
}

/// The campaign's steps in order, each complete or with what it lacks.
pub async fn steps(state: &AppState, account: &Account, id: &str) -> AppResult<Vec<StepView>> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    steps_of(state, account, &campaign).await
}

/// Saves a step's draft (complete or not) and returns where it stands.
pub async fn save_step(
    state: &AppState,
    account: &Account,
    key: Actor,
    id: &str,
    step: &str,
    content: Value,
) -> AppResult<StepView> {
    let mut campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    let step = campaign.kind.step(step.parse::<Step>()?)?;
    let live = live_triggered(&campaign);
    // The goal decides only what the report counts, from facts kept: it may change after
    // launch, and the report then counts the past by it too.
    let goal_after_launch = step == Step::Goals
        && campaign.status != CampaignStatus::Draft
        && campaign.archived_at.is_none();
    if goal_after_launch {
        if let Err(problems) = tern_domain::campaign::steps::check_goals(&content) {
            let problem = problems
                .into_iter()
                .next()
                .expect("a refusal names a problem");
            return Err(AppError::Invalid {
                field: format!("goals.{}", problem.field),
                message: format!(
                    "a launched campaign's goal must stay complete: {}",
                    problem.message
                ),
            });
        }
    } else if !live {
        editable(&campaign)?;
    }
    if !content.is_object() {
        return Err(InvalidSetting::new("step", "a step's content is a JSON object").into());
    }
    let mut content = content;
    if step == Step::Design
        && let Some(channel) = take_channel(&mut content)?
    {
        check_channel(state, account, channel).await?;
        campaign.channel = channel;
    }
    campaign.steps.insert(step.as_str().to_owned(), content);
    if live && !goal_after_launch {
        // An active campaign is edited into a new version: only one that could be sent.
        let context = super::StepContext::load(state, account, &campaign).await?;
        let checked = super::check_steps(&context, &campaign);
        if let Some(problem) = checked.steps.iter().flat_map(|(_, p)| p).next() {
            return Err(AppError::Invalid {
                field: format!("{step}.{}", problem.field),
                message: format!(
                    "an active campaign's steps must stay complete: {}",
                    problem.message
                ),
            });
        }
    }
    let saved = save(state, campaign, format!("step:{step}"), key).await?;
    if live && !goal_after_launch {
        super::triggers::new_version(state, account, &saved).await?;
    }
    let view = steps_of(state, account, &saved)
        .await?
        .into_iter()
        .find(|v| v.step == step.as_str());
    view.ok_or_else(|| AppError::Internal("a saved step vanished".into()))
}

/// One entry of the history.
#[derive(Serialize, ToSchema)]
pub struct ChangeView {
    pub what: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Who created and changed the campaign, and what, oldest first.
pub async fn changes(state: &AppState, account: &Account, id: &str) -> AppResult<Vec<ChangeView>> {
    let changes = state
        .store
        .campaign_changes(account.id, campaign_id(id)?)
        .await?;
    Ok(changes
        .into_iter()
        .map(|c| ChangeView {
            what: c.what,
            by: c.by,
            at: c.at,
        })
        .collect())
}
