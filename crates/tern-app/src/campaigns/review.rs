//! Reviewing a campaign before launch: the variables a template may read, the preview for a
//! contact, the audience estimate, and the pre-launch check of every step.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tern_domain::{
    account::InvalidSetting,
    audience::Condition,
    campaign::{
        CampaignType, Step,
        design::{FallbackWarning, suggested_fallback, too_long_message},
        estimate::{Estimate, SkipReason},
        launch::LaunchPlan,
    },
    ids::ContactId,
    template::{CART_FIELDS, CART_ITEM_FIELDS, CONTACT_FIELDS},
};
use tern_store::{Account, CampaignRecord, StoreError};
use utoipa::ToSchema;

use super::views::{StepProblemView, campaign_id, with_unsaved_design};
use crate::{
    AppError, AppResult, AppState,
    campaigns::{
        Checked, StepContext,
        audience::{WorstCase, audience, estimate_for, worst_case},
        check_steps,
        preview::{PreviewMedia, fallback_warnings, first_recipient, media_of, render_for},
    },
};

/// A value a template can read, for the panel's picker.
#[derive(Serialize, ToSchema)]
pub struct VariableView {
    /// As written in a template, e.g. `first_name` or `cart.total`.
    pub name: String,
    /// `field` (the contact's own), `attribute`, `cart` or `cart_item` (inside a loop over
    /// `cart.items`).
    pub kind: String,
    pub description: String,
    /// What the picker inserts: attributes with a fallback (`default`), for contacts who lack
    /// them.
    pub insert: String,
    /// For attributes, which some contacts may lack: the fallback the picker offers (`there`
    /// for `first_name`, else empty, for the user to write). `None` for the contact's own
    /// fields and the cart.
    pub fallback: Option<String>,
}

/// The variables this campaign's template may read: the contact's fields, every attribute some
/// contact of the account has, and for cart reminders the cart.
pub async fn variables(
    state: &AppState,
    account: &Account,
    id: &str,
) -> AppResult<Vec<VariableView>> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    let variable = |name: String, kind: &str, description: &str, insert: String| VariableView {
        name,
        kind: kind.to_owned(),
        description: description.to_owned(),
        insert,
        fallback: None,
    };
    let mut list: Vec<VariableView> = CONTACT_FIELDS
        .iter()
        .map(|(name, about)| {
            variable(
                name.to_string(),
                "field",
                about,
                format!("{{{{ {name} }}}}"),
            )
        })
        .collect();
    for name in state.store.attribute_names(account.id).await? {
        // Names a template cannot spell (spaces, dots) are left out of the picker.
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            || !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            || CONTACT_FIELDS.iter().any(|(f, _)| *f == name)
        {
            continue;
        }
        let fallback = suggested_fallback(&name);
        let insert = format!("{{{{ {name} | default: \"{fallback}\" }}}}");
        list.push(VariableView {
            fallback: Some(fallback.to_owned()),
            ..variable(name, "attribute", "an attribute of the contact", insert)
        });
    }
    if campaign.kind == CampaignType::CartReminder {
        for (name, about) in CART_FIELDS {
            let insert = if *name == "items" {
                "{% for item in cart.items %}{{ item.name }} {% endfor %}".to_owned()
            } else {
                format!("{{{{ cart.{name} }}}}")
            };
            list.push(variable(format!("cart.{name}"), "cart", about, insert));
        }
        for (name, about) in CART_ITEM_FIELDS {
            list.push(variable(
                format!("item.{name}"),
                "cart_item",
                about,
                format!("{{{{ item.{name} }}}}"),
            ));
        }
    }
    Ok(list)
}

/// What to preview.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The contact to render for; by default the first of the audience's first 100 who would
    /// receive the message (else the audience's first), else a contact of whom nothing is known.
    pub contact_id: Option<i64>,
    /// An unsaved Design step to preview instead of the saved one (as `PUT …/steps/design`
    /// takes it).
    #[schema(value_type = Option<Object>)]
    pub design: Option<Value>,
}

/// The recipient a preview was rendered for.
#[derive(Serialize, ToSchema)]
pub struct PreviewContact {
    pub id: i64,
    pub phone: Option<String>,
    pub country: Option<String>,
}

/// A design rendered for one contact.
#[derive(Serialize, ToSchema)]
pub struct PreviewView {
    /// `None` for the sample: a recipient of whom nothing is known, so each `default` applies.
    pub contact: Option<PreviewContact>,
    /// `sms`, `mms` or `sms_with_link` (an MMS campaign's text as SMS outside AU/CA/US); `None`
    /// when this contact would be skipped.
    pub route: Option<String>,
    /// Why this contact would get no message: `invalid_phone`, `unsubscribed`, `no_consent`,
    /// `outside_mms_countries` or `no_sender`.
    pub skipped: Option<String>,
    /// The final text: footer added, links shortened (codes here are stand-ins of the real
    /// length).
    pub text: Option<String>,
    /// Characters, encoding, units, segments, limit, fits and the UCS-2 characters with their
    /// GSM-7 replacements.
    #[schema(value_type = Option<Object>)]
    pub counters: Option<Value>,
    /// Each link as written and as sent.
    #[schema(value_type = Vec<Object>)]
    pub links: Vec<Value>,
    /// Why the template fails for this contact, if it does.
    pub render_error: Option<String>,
    pub media: Vec<PreviewMedia>,
    /// The longest text over the audience on each route, with its counters.
    #[schema(value_type = Vec<Object>)]
    pub longest: Vec<WorstCase>,
    /// The design's problems (a preview is shown even with some).
    pub problems: Vec<StepProblemView>,
    /// Single campaigns once their segments are chosen: the audience, how many this design
    /// reaches and the others by reason, counted as `GET …/audience` counts them.
    pub audience: Option<PreviewAudience>,
    /// Variables that print nothing for some recipients (`Hi , …`): each with `variable`,
    /// `code` (`empty_fallback` for `default: ""`, `no_fallback` for an attribute some of the
    /// audience lack, printed without `default`), `message` and `position`. They do not stop
    /// the campaign.
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<FallbackWarning>,
}

/// Who of the audience a design reaches.
#[derive(Serialize, ToSchema)]
pub struct PreviewAudience {
    /// Contacts in the audience.
    pub audience: u64,
    /// Those who get a message.
    pub recipients: u64,
    /// The others by reason (`invalid_phone`, `unsubscribed`, `no_consent`,
    /// `outside_mms_countries`, `no_sender`), every reason listed.
    #[schema(value_type = Object)]
    pub skipped: BTreeMap<SkipReason, u64>,
}

async fn checked(
    state: &AppState,
    account: &tern_store::Account,
    campaign: &CampaignRecord,
) -> Result<(StepContext, Checked), AppError> {
    let context = StepContext::load(state, account, campaign).await?;
    let checked = check_steps(&context, campaign);
    Ok((context, checked))
}

fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Renders the design for a contact (or a sample), with counters, links, media and the longest
/// text personalisation makes over the audience.
pub async fn preview(
    state: &AppState,
    account: &Account,
    id: &str,
    request: PreviewRequest,
) -> AppResult<PreviewView> {
    let mut campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    with_unsaved_design(&mut campaign, request.design)?;
    let (context, checked) = checked(state, account, &campaign).await?;
    let condition = audience(&context, &campaign, &checked)?;
    let contact = match request.contact_id {
        Some(n) => match state.store.contact(account.id, ContactId(n)).await {
            Ok(contact) => Some(contact),
            Err(StoreError::NotFound) => {
                return Err(InvalidSetting::new(
                    "contact_id",
                    "no contact of this account has this id",
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        },
        None => match (&condition, campaign.kind) {
            (Some(condition), CampaignType::Single) => {
                first_recipient(state, &context, &campaign, &checked, condition).await?
            }
            _ => None,
        },
    };
    let rendered = render_for(
        state,
        &context,
        &campaign,
        &checked,
        contact.as_ref().map(|c| &c.state),
    )
    .await?;
    let (longest, warnings) = match &checked.design {
        Some(design) => (
            worst_case(state, &context, &campaign, design, condition.as_ref()).await?,
            fallback_warnings(state, &context, design, condition.as_ref()).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let estimate = estimate_for(
        state,
        &context,
        &campaign,
        &checked,
        condition.as_ref(),
        &longest,
    )
    .await?;
    let design_problems = checked
        .steps
        .iter()
        .find(|(step, _)| *step == Step::Design)
        .map(|(_, problems)| problems.clone())
        .unwrap_or_default();
    let (route, skipped, composed) = match rendered {
        Some(r) => (r.route, r.skipped, Some(r.composed)),
        None => (None, None, None),
    };
    let (text, counters, links, render_error) = match composed {
        Some(Ok(c)) => (
            Some(c.text),
            Some(json(&c.counters)),
            c.links.iter().map(json).collect(),
            None,
        ),
        Some(Err(error)) => (None, None, Vec::new(), Some(error)),
        None => (None, None, Vec::new(), None),
    };
    Ok(PreviewView {
        contact: contact.map(|c| PreviewContact {
            id: c.id.0,
            phone: c.state.phone,
            country: c.state.country,
        }),
        route: route.map(|r| json(&r).as_str().unwrap_or_default().to_owned()),
        skipped: skipped.map(reason_name),
        text,
        counters,
        links,
        render_error,
        media: media_of(&context, &checked),
        longest,
        problems: design_problems
            .into_iter()
            .map(StepProblemView::from)
            .collect(),
        audience: estimate.map(|e| PreviewAudience {
            audience: e.audience,
            recipients: e.recipients,
            skipped: e.skipped,
        }),
        warnings,
    })
}

fn reason_name(reason: SkipReason) -> String {
    json(&reason).as_str().unwrap_or_default().to_owned()
}

/// The reachable estimate of a Single campaign's segments: recipients, the others by reason,
/// messages by channel, SMS segments and cost by country.
pub async fn audience_estimate(
    state: &AppState,
    account: &Account,
    id: &str,
) -> AppResult<Estimate> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    if campaign.kind != CampaignType::Single {
        return Err(InvalidSetting::new(
            "type",
            "a triggered campaign's recipients arrive as its triggers fire: it has no audience to estimate",
        )
        .into());
    }
    let (context, checked) = checked(state, account, &campaign).await?;
    let condition = audience(&context, &campaign, &checked)?;
    let longest = longest_of(state, &context, &campaign, &checked, condition.as_ref()).await?;
    estimate_for(
        state,
        &context,
        &campaign,
        &checked,
        condition.as_ref(),
        &longest,
    )
    .await?
    .ok_or_else(|| {
        InvalidSetting::new("segments", "choose the segments first (the Segments step)").into()
    })
}

async fn longest_of(
    state: &AppState,
    context: &StepContext,
    campaign: &CampaignRecord,
    checked: &Checked,
    audience: Option<&Condition>,
) -> Result<Vec<WorstCase>, AppError> {
    let Some(design) = &checked.design else {
        return Ok(Vec::new());
    };
    worst_case(state, context, campaign, design, audience).await
}

/// A problem found by the pre-launch check, with its step.
#[derive(Serialize, ToSchema)]
pub struct LaunchProblem {
    pub step: String,
    #[serde(flatten)]
    pub problem: StepProblemView,
}

/// Everything launch would refuse, and what the campaign would send.
#[derive(Serialize, ToSchema)]
pub struct LaunchCheckView {
    /// True when nothing stands in the way.
    pub ready: bool,
    /// Every problem across all steps, in step order.
    pub problems: Vec<LaunchProblem>,
    /// Single campaigns: recipients, skipped by reason, messages by channel, SMS segments (at
    /// the longest text), cost by country. `None` for triggered campaigns and until segments are
    /// chosen.
    #[schema(value_type = Option<Object>)]
    pub estimate: Option<Estimate>,
    /// The longest text on each route, over the audience.
    #[schema(value_type = Vec<Object>)]
    pub longest: Vec<WorstCase>,
    /// When and how it would send, account defaults applied.
    #[schema(value_type = Option<Object>)]
    pub launch: Option<LaunchPlan>,
}

/// The pre-launch check: every problem of every step, the longest personalised text, and the
/// estimate.
pub async fn check(state: &AppState, account: &Account, id: &str) -> AppResult<LaunchCheckView> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    let (context, checked) = checked(state, account, &campaign).await?;
    let condition = audience(&context, &campaign, &checked)?;
    let longest = longest_of(state, &context, &campaign, &checked, condition.as_ref()).await?;
    let estimate = estimate_for(
        state,
        &context,
        &campaign,
        &checked,
        condition.as_ref(),
        &longest,
    )
    .await?;
    let mut problems: Vec<LaunchProblem> = Vec::new();
    for (step, found) in &checked.steps {
        for problem in found {
            problems.push(LaunchProblem {
                step: step.as_str().to_owned(),
                problem: problem.clone().into(),
            });
        }
        if *step == Step::Segments
            && found.is_empty()
            && estimate.as_ref().is_some_and(|e| e.recipients == 0)
        {
            problems.push(launch_problem(
                Step::Segments,
                "",
                "no_recipients",
                "no contact of these segments can be reached (see the estimate's skipped reasons)",
            ));
        }
        if *step == Step::Design && found.is_empty() {
            for case in longest.iter().filter(|c| !c.composed.counters.fits) {
                let whose = match case.contact_id {
                    Some(id) => format!("contact {id}"),
                    None => "the longest values of the audience's attributes".to_owned(),
                };
                problems.push(launch_problem(
                    Step::Design,
                    "body",
                    "too_long_for_some",
                    &format!("for {whose}, {}", too_long_message(&case.composed)),
                ));
            }
        }
    }
    if campaign.archived_at.is_some() {
        problems.push(launch_problem(
            Step::Launch,
            "",
            "archived",
            "the campaign is archived",
        ));
    }
    Ok(LaunchCheckView {
        ready: problems.is_empty(),
        problems,
        estimate,
        longest,
        launch: checked.launch,
    })
}

fn launch_problem(step: Step, field: &str, code: &str, message: &str) -> LaunchProblem {
    LaunchProblem {
        step: step.as_str().to_owned(),
        problem: StepProblemView {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.to_owned(),
            position: None,
        },
    }
}
