//! The SMS listing, Create, the wizard's steps and the campaign page after launch.

use axum::{
    Form,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tern_domain::campaign::{CampaignType, Channel};

use tern_app::{
    AppError, AppState,
    audience::segments,
    campaigns::{drafts, report as campaign_report, review, run, shopper, triggers},
    media, settings,
};

use crate::{PanelError, Signed, report};

/// The listing's filters, as the form sends them (an empty field means any).
#[derive(Deserialize, Serialize, Default)]
pub struct Filters {
    #[serde(default)]
    search: String,
    #[serde(default)]
    status: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    channel: String,
    /// `true`: the archived campaigns instead.
    #[serde(default)]
    archived: String,
}

#[derive(Serialize)]
struct TypeChoice {
    value: &'static str,
    label: &'static str,
    steps: Vec<&'static str>,
}

fn type_choices() -> Vec<TypeChoice> {
    CampaignType::ALL
        .iter()
        .map(|t| TypeChoice {
            value: t.as_str(),
            label: t.label(),
            steps: t.steps().iter().map(|s| s.as_str()).collect(),
        })
        .collect()
}

/// A Create refused by the API: its message, and what the user typed, shown again.
struct Refused {
    error: String,
    form: CreateForm,
}

async fn render_listing(
    state: AppState,
    signed: &Signed,
    filters: Filters,
    refused: Option<Refused>,
) -> Result<Response, PanelError> {
    let mut query = super::filled(&[
        ("search", &filters.search),
        ("status", &filters.status),
        ("type", &filters.kind),
        ("channel", &filters.channel),
    ]);
    query.insert("limit".into(), json!(200));
    if filters.archived == "true" {
        query.insert("archived".into(), json!(true));
    }
    let (listed, filter_error) = match serde_json::from_value(Value::Object(query)) {
        Ok(params) => match drafts::list(&state, &signed.account, params).await {
            Ok(list) => (list, None),
            Err(AppError::Invalid { message, .. }) => (Vec::new(), Some(message)),
            Err(e) => return Err(e.into()),
        },
        Err(_) => (
            Vec::new(),
            Some("a filter has a value that is not one of its choices".to_owned()),
        ),
    };
    let (create_error, typed) = match refused {
        Some(Refused { error, form }) => (Some(error), Some(form)),
        None => (None, None),
    };
    let context = json!({
        "campaigns": listed, "filters": filters, "filter_error": filter_error,
        "types": type_choices(), "create_error": create_error, "typed": typed,
        "max_name": tern_domain::campaign::MAX_NAME,
    });
    signed.page("campaigns.html", "campaigns", context)
}

pub async fn listing(
    State(state): State<AppState>,
    signed: Signed,
    Query(filters): Query<Filters>,
) -> Result<Response, PanelError> {
    render_listing(state, &signed, filters, None).await
}

#[derive(Deserialize, Serialize)]
pub struct CreateForm {
    #[serde(skip_serializing)]
    csrf: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    channel: Option<Channel>,
}

/// Create: a draft of the chosen type, opened at its first step.
pub async fn create(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<CreateForm>,
) -> Result<Response, PanelError> {
    signed.check(&form.csrf)?;
    let request = drafts::NewCampaignRequest {
        name: form.name.clone(),
        kind: form.kind.clone(),
        channel: form.channel,
    };
    match drafts::create(&state, &signed.account, signed.actor(), request).await {
        Ok(created) => {
            let first = created.steps.first().map_or("design", |s| s.step.as_str());
            Ok(
                Redirect::to(&format!("/campaigns/{}/steps/{first}", created.campaign.id))
                    .into_response(),
            )
        }
        Err(e @ (AppError::Invalid { .. } | AppError::Forbidden(_))) => {
            let error = match &e {
                AppError::Invalid { field, message } if !field.is_empty() => {
                    format!("{}: {message}", super::render::label(field))
                }
                _ => e.to_string(),
            };
            let refused = Refused { error, form };
            render_listing(state, &signed, Filters::default(), Some(refused)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A draft opens at its first incomplete step; a launched campaign at its progress page.
pub async fn open(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(filter): Query<report::RecipientsForm>,
) -> Result<Response, PanelError> {
    let detail = drafts::get(&state, &signed.account, &id).await?;
    if detail.campaign.status == "draft" {
        let step = detail
            .steps
            .iter()
            .find(|s| !s.complete)
            .or(detail.steps.last())
            .map_or("design", |s| s.step.as_str());
        return Ok(Redirect::to(&format!("/campaigns/{id}/steps/{step}")).into_response());
    }
    let progress = run::progress(&state, &signed.account, &id).await?;
    let triggers = if detail.campaign.kind == CampaignType::Single.as_str() {
        None
    } else {
        let newest = triggers::TriggersQuery {
            after: None,
            limit: Some(50),
        };
        Some(triggers::list(&state, &signed.account, &id, &newest).await?)
    };
    let sandbox = settings::get_settings(&state, &signed.account)
        .await?
        .provider
        == "sandbox";
    let report = campaign_report::report(&state, &signed.account, &id).await?;
    let (recipients, next) = report::recipients_page(&state, &signed.account, &id, &filter).await?;
    signed.page(
        "campaign.html",
        "campaigns",
        json!({ "campaign": detail.campaign, "progress": progress, "triggers": triggers,
            "sandbox": sandbox, "report": report, "money": report::money(&report),
            "chart": report::chart(&report.chart), "recipients": recipients, "next": next,
            "filter": filter }),
    )
}

/// One step of the wizard, with what that step's form needs.
pub async fn step(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, step)): Path<(String, String)>,
) -> Result<Response, PanelError> {
    let account = &signed.account;
    let detail = drafts::get(&state, account, &id).await?;
    if detail.campaign.status != "draft" {
        return Ok(Redirect::to(&format!("/campaigns/{id}")).into_response());
    }
    let Some(current) = detail.steps.iter().position(|s| s.step == step) else {
        return Err(AppError::NotFound.into());
    };
    // What the step's form shows besides its own saved content.
    let data = match step.as_str() {
        "segments" => {
            let list = segments::list(&state, account).await?;
            json!({ "segments": list })
        }
        "design" => {
            let variables = review::variables(&state, account, &id).await?;
            let library = media::list(&state, account).await?;
            let settings = settings::get_settings(&state, account).await?;
            json!({
                "variables": variables,
                "media": library,
                "test_numbers": settings.test_numbers,
                "mms_enabled": signed.account.mms_enabled,
                "ai": {"endpoint": settings.ai_endpoint, "on": settings.ai_writer},
            })
        }
        "launch" => {
            let check = review::check(&state, account, &id).await?;
            let settings = settings::get_settings(&state, account).await?;
            // The Launch button saves this step's form first, so only the other steps must be
            // complete for it to be offered; the server checks everything again.
            let others_ready = check.problems.iter().all(|p| p.step == "launch");
            json!({
                "check": check, "others_ready": others_ready,
                "quiet_hours": settings.quiet_hours, "timezone": settings.timezone,
            })
        }
        _ => json!({}),
    };
    let view = &detail.steps[current];
    let context = json!({
        "campaign": detail.campaign, "steps": detail.steps, "step": view,
        "next": detail.steps.get(current + 1).map(|s| s.step.clone()),
        "previous": current.checked_sub(1).map(|i| detail.steps[i].step.clone()),
        "content": view.content.clone().unwrap_or_else(|| json!({})),
        "data": data,
    });
    signed.page("wizard.html", "campaigns", context)
}

#[derive(Deserialize)]
pub struct ActionForm {
    csrf: String,
}

/// Duplicate: a new draft with the same steps, opened at its first incomplete step.
pub async fn duplicate(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PanelError> {
    signed.check(&form.csrf)?;
    let copy = drafts::duplicate(&state, &signed.account, signed.actor(), &id).await?;
    Ok(Redirect::to(&format!("/campaigns/{}", copy.campaign.id)).into_response())
}

/// Simulate a shopper (an active Cart Reminder on the sandbox): two carts whose reminder falls
/// due at once, one of them then ordered; the page shows both triggers within seconds.
pub async fn simulate_shopper(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PanelError> {
    signed.check(&form.csrf)?;
    shopper::simulate_shopper(&state, &signed.account, signed.actor(), &id).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}#triggers")).into_response())
}

/// A launched campaign's goal, as the report's form sends it.
#[derive(Deserialize)]
pub struct GoalForm {
    csrf: String,
    event: String,
    window_hours: String,
    #[serde(default)]
    revenue_property: String,
}

/// Changes a launched campaign's goal (its property filters kept): the report then counts the
/// past by it.
pub async fn change_goal(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<GoalForm>,
) -> Result<Response, PanelError> {
    signed.check(&form.csrf)?;
    let detail = drafts::get(&state, &signed.account, &id).await?;
    let mut goal = detail
        .steps
        .iter()
        .find(|s| s.step == "goals")
        .and_then(|s| s.content.clone())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let window = form.window_hours.trim();
    goal["event"] = form.event.trim().into();
    // A number as a number; anything else as typed, for the step's check to name.
    goal["window_hours"] = window
        .parse::<u64>()
        .map_or_else(|_| window.into(), Value::from);
    goal["revenue_property"] = match form.revenue_property.trim() {
        "" => Value::Null,
        property => property.into(),
    };
    drafts::save_step(&state, &signed.account, signed.actor(), &id, "goals", goal).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}#report")).into_response())
}

/// Archive: the campaign leaves the listing (it stays under the listing's Archived filter).
pub async fn archive(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PanelError> {
    signed.check(&form.csrf)?;
    drafts::archive(&state, &signed.account, signed.actor(), &id).await?;
    Ok(Redirect::to("/campaigns?archived=true").into_response())
}
