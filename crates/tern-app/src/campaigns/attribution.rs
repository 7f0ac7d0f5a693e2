//! What a campaign earned, computed from the raw facts each time it is asked (so a changed goal
//! window or bot rule applies to the past too): which hits on its links were people, which of
//! its recipients' goal events it is credited with — each conversion credited to exactly one
//! message of any campaign — and how its sent recipients converted against its held-out ones.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use tern_domain::{
    campaign::steps::{GOAL_WINDOW_HOURS, check_goals},
    goals::{
        Goal,
        attribution::{Touch, credit},
        hits::{BURST_WINDOW, BotReason, Hit, classify},
        revenue::revenue,
    },
    ids::{AccountId, CampaignId},
};
use tern_store::{CampaignRecord, GoalEvent, HitRecord, Store, TouchRecord};

use crate::AppResult;

/// The longest window a Goals step allows.
const LONGEST_WINDOW: TimeDelta = TimeDelta::hours(GOAL_WINDOW_HOURS.1 as i64);

/// A campaign's hits, classified.
#[derive(Debug, Default)]
pub struct Clicks {
    pub human: u64,
    pub bot: u64,
    /// Bot hits by reason (a hit may have several).
    pub bot_reasons: BTreeMap<BotReason, u64>,
    /// Human clicks per message.
    pub by_message: HashMap<i64, u64>,
    /// When each human click happened (for the chart).
    pub human_times: Vec<DateTime<Utc>>,
}

/// What the campaign is credited with.
#[derive(Debug, Default)]
pub struct Earned {
    /// Conversions credited to the campaign's messages.
    pub conversions: u64,
    /// Conversions credited to another message that one of the campaign's also touched.
    pub assisted: u64,
    /// Revenue of the credited conversions in the account's currency, in millionths.
    pub revenue_micros: i64,
    /// Revenue reported in other currencies, by currency (never converted).
    pub other_revenue_micros: BTreeMap<String, i64>,
    /// Per message: credited conversions and their revenue (account currency).
    pub by_message: HashMap<i64, (u64, i64)>,
    /// When each credited conversion happened (for the chart).
    pub conversion_times: Vec<DateTime<Utc>>,
    /// Sent messages, and held-out ones, with at least one goal event in their window.
    pub sent_converted: u64,
    pub holdout_converted: u64,
}

/// A campaign's goal, if its Goals step is complete.
pub fn goal_of(campaign: &CampaignRecord) -> Option<Goal> {
    let step = campaign.steps.get("goals")?;
    check_goals(step).ok().map(|g| Goal::from_step(&g))
}

fn facts(hit: &HitRecord) -> Hit {
    Hit {
        at: hit.at,
        head: hit.head,
        user_agent: hit.user_agent.clone(),
        accept_language: hit.accept_language,
        address: hit.address.clone(),
        delivered_at: hit.delivered_at,
    }
}

/// The reasons each of `hits` is not a person's (empty: a person's). Bursts are judged with
/// the account's other hits from the same addresses around them, so that a hit reads the same
/// in every report that loads it.
async fn classified(
    store: &dyn Store,
    account: AccountId,
    hits: &[HitRecord],
) -> AppResult<Vec<Vec<BotReason>>> {
    let mut all: Vec<HitRecord> = store.hits_near(account, hits, BURST_WINDOW).await?;
    let known: HashSet<i64> = all.iter().map(|h| h.id).collect();
    all.extend(hits.iter().filter(|h| !known.contains(&h.id)).cloned());
    let facts: Vec<Hit> = all.iter().map(facts).collect();
    let by_id: HashMap<i64, Vec<BotReason>> =
        all.iter().map(|h| h.id).zip(classify(&facts)).collect();
    Ok(hits
        .iter()
        .map(|h| by_id.get(&h.id).cloned().unwrap_or_default())
        .collect())
}

/// Human click times per message of these hits.
async fn human_clicks(
    store: &dyn Store,
    account: AccountId,
    hits: &[HitRecord],
) -> AppResult<HashMap<i64, Vec<DateTime<Utc>>>> {
    let mut by_message: HashMap<i64, Vec<DateTime<Utc>>> = HashMap::new();
    for (hit, reasons) in hits.iter().zip(classified(store, account, hits).await?) {
        if let (Some(message), true) = (hit.message_id, reasons.is_empty()) {
            by_message.entry(message).or_default().push(hit.at);
        }
    }
    Ok(by_message)
}

/// Classifies the campaign's hits.
pub async fn clicks(
    store: &dyn Store,
    account: AccountId,
    campaign: CampaignId,
) -> AppResult<Clicks> {
    let hits = store.campaign_hits(account, campaign).await?;
    let mut clicks = Clicks::default();
    for (hit, reasons) in hits.iter().zip(classified(store, account, &hits).await?) {
        if reasons.is_empty() {
            clicks.human += 1;
            clicks.human_times.push(hit.at);
            if let Some(message) = hit.message_id {
                *clicks.by_message.entry(message).or_default() += 1;
            }
        } else {
            clicks.bot += 1;
            for reason in reasons {
                *clicks.bot_reasons.entry(reason).or_default() += 1;
            }
        }
    }
    Ok(clicks)
}

/// What the campaign earned under its goal, with its own hits already classified.
pub async fn earned(
    store: &dyn Store,
    account: AccountId,
    campaign: &CampaignRecord,
    goal: &Goal,
    currency: &str,
) -> AppResult<Earned> {
    let events: Vec<GoalEvent> = store
        .goal_events(account, campaign.id, &goal.event, goal.window)
        .await?
        .into_iter()
        .filter(|e| goal.matches(&e.name, &e.properties))
        .collect();
    let mut earned = Earned::default();
    let (Some(first), Some(last)) = (events.first(), events.last()) else {
        return Ok(earned);
    };
    let mut contacts: Vec<_> = events.iter().map(|e| e.contact_id).collect();
    contacts.sort_unstable();
    contacts.dedup();
    // The touches whose window could hold one of these events: sent within the longest window
    // before it, or clicked since (a click opens a window of its own).
    let touches = store
        .contact_touches(account, &contacts, first.at - LONGEST_WINDOW, last.at)
        .await?;

    // Every campaign that touched these contacts competes for their conversions with its own
    // goal; one without a goal competes for none.
    let mut goals: HashMap<CampaignId, Option<Goal>> = HashMap::new();
    goals.insert(campaign.id, Some(goal.clone()));
    for touch in &touches {
        if let std::collections::hash_map::Entry::Vacant(slot) = goals.entry(touch.campaign_id) {
            let other = match store.campaign(account, touch.campaign_id).await {
                Ok(other) => goal_of(&other),
                Err(tern_store::StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            };
            slot.insert(other);
        }
    }
    let sent: Vec<i64> = touches
        .iter()
        .filter(|t| !t.holdout)
        .map(|t| t.message_id)
        .collect();
    let clicks = human_clicks(store, account, &store.message_hits(account, &sent).await?).await?;

    let mut by_contact: HashMap<_, Vec<&TouchRecord>> = HashMap::new();
    for touch in &touches {
        by_contact.entry(touch.contact_id).or_default().push(touch);
    }
    let mut converted: HashSet<i64> = HashSet::new();
    for event in &events {
        let theirs = by_contact
            .get(&event.contact_id)
            .map_or(&[][..], Vec::as_slice);
        // Lift: the campaign's own messages (sent or held out) whose window holds the event.
        for touch in theirs.iter().filter(|t| t.campaign_id == campaign.id) {
            if touch.at <= event.at && event.at <= touch.at + goal.window {
                converted.insert(touch.message_id);
            }
        }
        let competing: Vec<Touch> = theirs
            .iter()
            .filter(|t| !t.holdout)
            .filter_map(|t| {
                let goal = goals.get(&t.campaign_id)?.as_ref()?;
                goal.matches(&event.name, &event.properties).then(|| Touch {
                    message: t.message_id,
                    at: t.at,
                    window: goal.window,
                    human_clicks: clicks.get(&t.message_id).cloned().unwrap_or_default(),
                })
            })
            .collect();
        let Some(credit) = credit(event.at, &competing) else {
            continue;
        };
        let ours = |message: i64| {
            theirs
                .iter()
                .any(|t| t.message_id == message && t.campaign_id == campaign.id)
        };
        if ours(credit.message) {
            earned.conversions += 1;
            earned.conversion_times.push(event.at);
            let entry = earned.by_message.entry(credit.message).or_default();
            entry.0 += 1;
            let money = goal
                .revenue_property
                .as_deref()
                .and_then(|p| revenue(&event.properties, p, currency));
            // Saturating: revenue comes from events anyone with the write key can send.
            if let Some(money) = money {
                if money.currency == currency {
                    earned.revenue_micros = earned.revenue_micros.saturating_add(money.micros);
                    entry.1 = entry.1.saturating_add(money.micros);
                } else {
                    let other = earned
                        .other_revenue_micros
                        .entry(money.currency)
                        .or_default();
                    *other = other.saturating_add(money.micros);
                }
            }
        } else if credit.assisted.iter().any(|m| ours(*m)) {
            earned.assisted += 1;
        }
    }
    let holdout: HashSet<i64> = touches
        .iter()
        .filter(|t| t.holdout && t.campaign_id == campaign.id)
        .map(|t| t.message_id)
        .collect();
    earned.holdout_converted = converted.iter().filter(|m| holdout.contains(m)).count() as u64;
    earned.sent_converted = converted.len() as u64 - earned.holdout_converted;
    Ok(earned)
}
