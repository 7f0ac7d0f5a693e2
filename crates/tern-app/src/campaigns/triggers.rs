//! Cart Reminder and Welcome campaigns: activation (the snapshot becomes the campaign's first
//! version), a new version when an active campaign is edited, and each due trigger settled —
//! guarded, then skipped with its reason or its message written into the outbox, from the
//! version it was found under.

use std::collections::{BTreeMap, HashMap, hash_map::Entry};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tern_domain::{
    campaign::{
        CampaignStatus, CampaignType, Channel,
        design::Design,
        steps::{CartRules, check_cart_rules, check_welcome_rules},
        trigger::{TriggerState, cart_guard},
    },
    contact::Consent,
    delivery::pacing::RunPlan,
    ids::CampaignId,
};
use tern_store::{
    Account, CampaignChange, CampaignRecord, RunRecord, StoreError, TriggerOutcome, TriggerRecord,
    TriggerRule,
};
use utoipa::ToSchema;

use super::views::{CampaignView, campaign_id};
use crate::{
    Actor, AppError, AppResult, AppState, audit,
    campaigns::{
        Checked, StepContext,
        product_picture::product_picture,
        recipient::{Recipient, message_for},
        snapshot::LaunchSnapshot,
    },
};

/// How long after it fell due a Welcome may still go (a cart reminder's is its rule's).
const WELCOME_LATENESS_HOURS: i64 = 24;

/// The delay a triggered campaign's rules set, and how late its messages may go.
fn rule_times(campaign: &CampaignRecord) -> (Duration, Duration) {
    let rules = campaign.steps.get("rules").cloned().unwrap_or(json!({}));
    let welcome = Duration::hours(WELCOME_LATENESS_HOURS);
    let (minutes, lateness) = match campaign.kind {
        CampaignType::CartReminder => check_cart_rules(&rules)
            .map(|r| (r.delay_minutes, r.lateness()))
            .unwrap_or((0, welcome)),
        _ => (
            check_welcome_rules(&rules).map_or(0, |r| r.delay_minutes),
            welcome,
        ),
    };
    (Duration::minutes(i64::from(minutes)), lateness)
}

/// Makes a checked, complete Cart Reminder or Welcome campaign active: from now on its
/// triggers are found (nothing received before counts).
pub async fn activate(
    state: &AppState,
    account: &Account,
    key: Actor,
    campaign: &CampaignRecord,
    context: &StepContext,
    checked: &Checked,
) -> AppResult<CampaignView> {
    let plan = checked
        .launch
        .as_ref()
        .expect("a complete Launch step has a plan");
    let now = state.clock.now();
    let (delay, lateness) = rule_times(campaign);
    let snapshot = LaunchSnapshot::taken(context, campaign).to_json();
    let run = RunRecord {
        campaign_id: campaign.id,
        account_id: account.id,
        plan: RunPlan {
            throttle: plan.throttle,
            quiet_hours: plan.quiet_hours,
            frequency_cap: plan.frequency_cap,
        },
        send_at: now,
        cursor: None,
        // No audience to write: messages come one trigger at a time.
        materialised: true,
        started_at: now,
        snapshot: None,
    };
    let rule = TriggerRule {
        campaign_id: campaign.id,
        account_id: account.id,
        kind: campaign.kind,
        delay,
        lateness,
        activated_at: now,
        ends_at: plan.end_at,
        version: 1,
    };
    let mut active = campaign.clone();
    active.status = CampaignStatus::Active;
    active.revision += 1;
    active.updated_by = key.by();
    active.updated_at = now;
    let change = CampaignChange {
        what: "activated".into(),
        by: key.by(),
        at: now,
    };
    match state
        .store
        .activate(&active, &change, &run, &rule, &snapshot)
        .await
    {
        Ok(()) => {
            let detail = json!({ "status": active.status, "ends_at": plan.end_at });
            let target = Some(active.id.to_string());
            audit::by(state, account.id, key, "campaign.activated", target, detail).await;
            Ok(CampaignView::from(&active))
        }
        Err(StoreError::Conflict { .. }) => Err(AppError::Conflict(
            "the campaign changed or was launched meanwhile; read it again".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// After an edit of an active (or paused) triggered campaign: when every step is still
/// complete, its new state becomes the version triggers found from now on are sent from; what
/// already waits keeps its version. Returns the new version, or `None` when a step is not
/// complete (the campaign goes on from its last version).
pub async fn new_version(
    state: &AppState,
    account: &Account,
    campaign: &CampaignRecord,
) -> AppResult<Option<u32>> {
    if !campaign.kind.triggered()
        || !matches!(
            campaign.status,
            CampaignStatus::Active | CampaignStatus::Paused
        )
    {
        return Ok(None);
    }
    let context = StepContext::load(state, account, campaign).await?;
    let checked = super::check_steps(&context, campaign);
    if !checked.ready() {
        return Ok(None);
    }
    let launch = checked
        .launch
        .as_ref()
        .expect("a complete Launch step has a plan");
    let mut rule = state.store.trigger_rule(account.id, campaign.id).await?;
    (rule.delay, rule.lateness) = rule_times(campaign);
    rule.ends_at = launch.end_at;
    let plan = RunPlan {
        throttle: launch.throttle,
        quiet_hours: launch.quiet_hours,
        frequency_cap: launch.frequency_cap,
    };
    let snapshot = LaunchSnapshot::taken(&context, campaign).to_json();
    Ok(Some(
        state
            .store
            .add_version(&rule, &plan, &snapshot, state.clock.now())
            .await?,
    ))
}

/// Settles up to `limit` due triggers; returns how many this node settled. Each is guarded
/// against what changed since it was found, then skipped with the reason or its message
/// written, once, however many nodes try.
pub async fn fire_due(state: &AppState, limit: u32) -> AppResult<usize> {
    let now = state.clock.now();
    let due = state.store.due_triggers(now, limit).await?;
    // Each version's context and checked design, made once per pass (checking a design parses
    // its template: far more than deciding one trigger).
    let mut versions: HashMap<(CampaignId, u32), (StepContext, CampaignRecord, Option<Design>)> =
        HashMap::new();
    let mut settled = 0;
    for trigger in due {
        let (context, campaign, design) =
            match versions.entry((trigger.campaign_id, trigger.version)) {
                Entry::Occupied(found) => found.into_mut(),
                Entry::Vacant(slot) => {
                    let account = state.store.account(trigger.account_id).await?;
                    let snapshot = state
                        .store
                        .version_snapshot(trigger.campaign_id, trigger.version)
                        .await?;
                    let (context, campaign) =
                        LaunchSnapshot::from_json(&snapshot)?.context(&account, &state.public_url);
                    let design = super::check_steps(&context, &campaign).design;
                    slot.insert((context, campaign, design))
                }
            };
        // One trigger that cannot be decided (its contact's store read failed) holds up no
        // other: it stays waiting and is tried again on the next pass.
        let outcome = match decide(state, context, campaign, design.as_ref(), &trigger, now).await {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::warn!(trigger = trigger.id, error = %error.described(), "a due trigger could not be decided");
                continue;
            }
        };
        if state.store.settle_trigger(&trigger, &outcome, now).await? {
            settled += 1;
        }
    }
    Ok(settled)
}

/// What a due trigger comes to: the guard's reason, or its message.
async fn decide(
    state: &AppState,
    context: &StepContext,
    campaign: &CampaignRecord,
    design: Option<&Design>,
    trigger: &TriggerRecord,
    now: DateTime<Utc>,
) -> AppResult<TriggerOutcome> {
    let skip = |reason: &str| Ok(TriggerOutcome::Skip(reason.to_owned()));
    let cart_rules = match campaign.kind {
        CampaignType::CartReminder => {
            match check_cart_rules(campaign.steps.get("rules").unwrap_or(&json!({}))) {
                Ok(rules) => Some(rules),
                // Never a reminder without its guard.
                Err(_) => return skip("invalid_rules"),
            }
        }
        _ => None,
    };
    let lateness = cart_rules
        .as_ref()
        .map_or(Duration::hours(WELCOME_LATENESS_HOURS), CartRules::lateness);
    let expires_at = trigger.due_at + lateness;
    if now >= expires_at {
        return skip("too_late");
    }
    let contact = match state
        .store
        .contact(trigger.account_id, trigger.contact_id)
        .await
    {
        Ok(contact) => contact,
        Err(StoreError::NotFound) => return skip("contact_deleted"),
        Err(e) => return Err(e.into()),
    };
    match contact.state.consent {
        Consent::Subscribed => {}
        Consent::Unsubscribed => return skip("unsubscribed"),
        Consent::Unknown => return skip("no_consent"),
    }
    let cart = match &cart_rules {
        Some(rules) => {
            let cart = state.store.cart(trigger.account_id, contact.id).await?;
            let ordered = state
                .store
                .ordered_since(trigger.account_id, contact.id, trigger.started_at)
                .await?;
            if let Some(reason) = cart_guard(cart.as_ref(), &trigger.key, rules, ordered) {
                return skip(reason);
            }
            cart
        }
        None => None,
    };
    let Some(design) = design else {
        return skip("render_failed");
    };
    let picture = match cart
        .as_ref()
        .and_then(|c| c.items.first()?.image_url.as_deref())
    {
        Some(url) if design.product_picture && campaign.channel == Channel::Mms => {
            product_picture(state, &context.account, &context.settings.own_domains, url).await
        }
        _ => None,
    };
    let mut message = message_for(
        context,
        campaign,
        design,
        Recipient::Contact(contact.id, &contact.state, cart.as_ref()),
        picture.as_ref(),
        now,
    );
    // A held-out recipient's message is kept, skipped: the holdout's window starts with it.
    if let Some(reason) = message
        .skipped
        .take_if(|reason| reason != tern_store::HOLDOUT)
    {
        return skip(&reason);
    }
    message.trigger_key = trigger.key.clone();
    message.expires_at = Some(expires_at);
    Ok(TriggerOutcome::Send {
        message: Box::new(message),
        period_days: cart_rules.as_ref().map(CartRules::period_days),
    })
}

/// One trigger as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct TriggerView {
    pub id: i64,
    pub contact_id: i64,
    /// What fired it: `cart` (a cart left with items) or `subscribed`.
    pub cause: String,
    /// The cart's occurrence (`cart:{cart_id}@{millis}` when the events carry a cart or
    /// checkout id, else `at:{millis}`: when it began), or `welcome`.
    pub key: String,
    /// When the cart's occurrence began, or when the contact subscribed.
    pub started_at: DateTime<Utc>,
    /// When it falls (or fell) due: the delay after the cart's last activity or the
    /// subscription.
    pub due_at: DateTime<Utc>,
    /// `waiting`, `sent` (its message is in the outbox: see `message_id`), `cancelled`
    /// (before it fell due) or `skipped` (when it fell due).
    pub state: String,
    /// Why it was cancelled or skipped: `ordered`, `cart_emptied`, `new_cart`,
    /// `below_min_value`, `no_matching_product`, `period`, `too_late`, `unsubscribed`,
    /// `no_consent`, `campaign_cancelled`, `campaign_ended`, …
    pub reason: Option<String>,
    pub message_id: Option<i64>,
    /// The campaign's version it is sent from.
    pub version: u32,
    pub updated_at: DateTime<Utc>,
}

impl From<TriggerRecord> for TriggerView {
    fn from(t: TriggerRecord) -> Self {
        Self {
            id: t.id,
            contact_id: t.contact_id.0,
            cause: t.cause,
            key: t.key,
            started_at: t.started_at,
            due_at: t.due_at,
            state: t.state.as_str().to_owned(),
            reason: t.reason,
            message_id: t.message_id,
            version: t.version,
            updated_at: t.updated_at,
        }
    }
}

/// A page of a campaign's triggers.
#[derive(Serialize, ToSchema)]
pub struct TriggersPage {
    pub triggers: Vec<TriggerView>,
    /// Pass as `after` for the next page; absent on the last.
    pub next_after: Option<i64>,
    /// Every trigger of the campaign, by state.
    pub counts: BTreeMap<String, u64>,
    /// Cancelled and skipped triggers by reason.
    pub reasons: BTreeMap<String, u64>,
}

/// Which page of triggers.
#[derive(Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TriggersQuery {
    /// Only triggers with a greater id (the cursor).
    pub after: Option<i64>,
    /// At most this many (1–500, default 100).
    pub limit: Option<u32>,
}

/// A campaign's triggers, oldest first, with the counts by state and reason.
pub async fn list(
    state: &AppState,
    account: &Account,
    id: &str,
    query: &TriggersQuery,
) -> AppResult<TriggersPage> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::Invalid {
            field: "limit".into(),
            message: "from 1 to 500".into(),
        });
    }
    let after = query.after.unwrap_or(0).max(0);
    let found = state
        .store
        .campaign_triggers(account.id, campaign.id, after, limit)
        .await?;
    let next_after = (found.len() as u32 == limit)
        .then(|| found.last().map(|t| t.id))
        .flatten();
    let mut counts: BTreeMap<String, u64> = TriggerState::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
    let mut reasons = BTreeMap::new();
    for count in state.store.trigger_counts(account.id, campaign.id).await? {
        *counts.entry(count.state.as_str().to_owned()).or_default() += count.count;
        if let Some(reason) = count.reason {
            *reasons.entry(reason).or_default() += count.count;
        }
    }
    Ok(TriggersPage {
        triggers: found.into_iter().map(TriggerView::from).collect(),
        next_after,
        counts,
        reasons,
    })
}
