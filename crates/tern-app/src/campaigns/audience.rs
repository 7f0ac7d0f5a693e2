//! A campaign's audience: who its segments hold, the estimate of who is reached and at what
//! cost, and the longest text personalisation can make for them.

use serde::Serialize;
use tern_domain::{
    audience::Condition,
    campaign::{
        CampaignType,
        design::{Composed, Design, OutsideMms, Route},
        estimate::{Estimate, SegmentsPerMessage, estimate},
        steps::SegmentsStep,
    },
    contact::{Cart, Consent, ContactState},
    template::{CONTACT_FIELDS, Values},
};
use tern_store::{CampaignRecord, SegmentRecord};

use super::checks::{Checked, StepContext};
use crate::{AppError, AppState};

/// How many of the audience are rendered, besides the longest values, for the worst case.
pub const WORST_CASE_SAMPLE: u32 = 100;

/// Members of any included segment who are in no excluded one.
pub fn segments_condition(
    step: &SegmentsStep,
    segments: &[SegmentRecord],
) -> Result<Condition, AppError> {
    let parse = |ids: &[tern_domain::ids::SegmentId]| -> Result<Vec<Condition>, AppError> {
        ids.iter()
            .map(|id| {
                let segment = segments
                    .iter()
                    .find(|s| s.id == *id)
                    .ok_or_else(|| AppError::Internal(format!("segment {id} vanished")))?;
                Condition::parse(&segment.definition).map_err(|_| {
                    AppError::Internal(format!(
                        "segment {id} holds a definition that no longer parses"
                    ))
                })
            })
            .collect()
    };
    let include = Condition::Or(parse(&step.include)?);
    if step.exclude.is_empty() {
        return Ok(include);
    }
    let exclude = Condition::Or(parse(&step.exclude)?);
    Ok(Condition::And(vec![
        include,
        Condition::Not(Box::new(exclude)),
    ]))
}

/// Whom the campaign's messages can go to: a Single campaign's segments once they are chosen;
/// for triggered campaigns, today's subscribed contacts (their recipients arrive as triggers fire).
pub fn audience(
    context: &StepContext,
    campaign: &CampaignRecord,
    checked: &Checked,
) -> Result<Option<Condition>, AppError> {
    if campaign.kind != CampaignType::Single {
        return Ok(Some(Condition::Consent(vec![Consent::Subscribed])));
    }
    checked
        .segments
        .as_ref()
        .map(|step| segments_condition(step, &context.segments))
        .transpose()
}

/// The longest text of one route, and whose it is.
#[derive(Serialize, Clone)]
pub struct WorstCase {
    #[serde(flatten)]
    pub composed: Composed,
    /// The contact whose values made it, or none when it combines the audience's longest
    /// value of each attribute.
    pub contact_id: Option<i64>,
}

/// For each route, the longest text over the audience: the longest value of each attribute
/// the template reads, combined, and a sample of the audience's own contacts. A template that
/// reads nothing is the same for everyone.
pub async fn worst_case(
    state: &AppState,
    context: &StepContext,
    campaign: &CampaignRecord,
    design: &Design,
    condition: Option<&Condition>,
) -> Result<Vec<WorstCase>, AppError> {
    let empty_cart =
        (campaign.kind == CampaignType::CartReminder).then(|| Cart::empty(context.now));
    let mut candidates: Vec<(Option<i64>, Values)> = Vec::new();
    match condition.filter(|_| !design.template.variables().is_empty()) {
        None => candidates.push((None, Values::new(&blank_contact(), empty_cart.as_ref()))),
        Some(condition) => {
            let account = context.account.id;
            let attributes: Vec<String> = design
                .template
                .variables()
                .iter()
                .filter(|v| *v != "cart" && !CONTACT_FIELDS.iter().any(|(f, _)| f == v))
                .cloned()
                .collect();
            let longest = state
                .store
                .longest_values(account, condition, &attributes, context.now)
                .await?;
            let synthetic = ContactState {
                attributes: longest,
                ..blank_contact()
            };
            let ids = state
                .store
                .matching_contacts(account, condition, context.now, None, WORST_CASE_SAMPLE)
                .await?;
            // One read for the sample (this runs on every preview); a contact erased meanwhile
            // is simply not there.
            for contact in state.store.contacts_by_ids(account, &ids).await? {
                let cart = cart_of(state, campaign, &contact.state).await?;
                candidates.push((
                    Some(contact.id.0),
                    Values::new(&contact.state, cart.as_ref()),
                ));
            }
            // Last, so that a real contact of the same length is the one named.
            candidates.push((None, Values::new(&synthetic, empty_cart.as_ref())));
        }
    }
    let link = context.sample_link();
    let pictures: Vec<String> = design.media.iter().map(|_| link.clone()).collect();
    let footer = &context.settings.opt_out_footer;
    let own = &context.settings.own_domains;
    let mut worst = Vec::new();
    for route in design.routes(campaign.channel) {
        let mut longest: Option<WorstCase> = None;
        for (contact_id, values) in &candidates {
            // A recipient whose values make the template fail is skipped when sending: the
            // preview of that contact shows why.
            let Ok(composed) =
                design.compose(values, *route, footer, &pictures, own, |_| link.clone())
            else {
                continue;
            };
            let weight = |c: &Composed| (c.counters.segments.unwrap_or(0), c.counters.units);
            if longest
                .as_ref()
                .is_none_or(|l| weight(&composed) > weight(&l.composed))
            {
                longest = Some(WorstCase {
                    composed,
                    contact_id: *contact_id,
                });
            }
        }
        worst.extend(longest);
    }
    Ok(worst)
}

/// The cart a cart reminder's template reads for this contact: theirs, or an empty one.
pub async fn cart_of(
    state: &AppState,
    campaign: &CampaignRecord,
    contact: &ContactState,
) -> Result<Option<Cart>, AppError> {
    if campaign.kind != CampaignType::CartReminder {
        return Ok(None);
    }
    let stored = match contact.id {
        Some(id) => state.store.cart(campaign.account_id, id).await?,
        None => None,
    };
    Ok(Some(
        stored.unwrap_or_else(|| Cart::empty(chrono::Utc::now())),
    ))
}

pub fn blank_contact() -> ContactState {
    ContactState {
        id: None,
        external_id: None,
        phone: None,
        country: None,
        attributes: Default::default(),
        consent: Consent::Subscribed,
        timezone: None,
    }
}

/// The estimate of a Single campaign's `audience` (see [`audience`]); `None` until its
/// segments are chosen, and for triggered campaigns, whose recipients are not known in advance.
pub async fn estimate_for(
    state: &AppState,
    context: &StepContext,
    campaign: &CampaignRecord,
    checked: &Checked,
    audience: Option<&Condition>,
    worst: &[WorstCase],
) -> Result<Option<Estimate>, AppError> {
    let Some(condition) = audience.filter(|_| campaign.kind == CampaignType::Single) else {
        return Ok(None);
    };
    let groups = state
        .store
        .audience_groups(context.account.id, condition, context.now)
        .await?;
    let outside = checked
        .design
        .as_ref()
        .map_or(OutsideMms::Skip, |d| d.outside_mms);
    Ok(Some(estimate(
        &groups,
        campaign.channel,
        outside,
        &context.sender_countries(),
        segments_per_message(worst),
        &context.settings.prices,
    )))
}

/// Segments one message costs on each SMS route, at the longest text (an upper bound).
pub fn segments_per_message(worst: &[WorstCase]) -> SegmentsPerMessage {
    let mut per = SegmentsPerMessage::default();
    for case in worst {
        let segments = case.composed.counters.segments.unwrap_or(0);
        match case.composed.route {
            Route::Sms => per.sms = segments,
            Route::SmsWithLink => per.sms_with_link = segments,
            Route::Mms => {}
        }
    }
    per
}
