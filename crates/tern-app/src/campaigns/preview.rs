//! A design rendered for one contact, as the phone preview shows it: the contact it starts on,
//! and the warnings about personalisation that prints nothing for some recipients.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};
use tern_domain::{
    audience::{Comparison, Condition, Op},
    campaign::{
        Channel,
        design::{Composed, Design, FallbackWarning, OutsideMms, Route},
        estimate::{AudienceGroup, SkipReason, reach},
    },
    contact::{Cart, ContactState},
    template::Values,
};
use tern_store::{CampaignRecord, Contact};
use utoipa::ToSchema;

use super::{
    audience::{blank_contact, cart_of},
    checks::{Checked, StepContext},
};
use crate::{AppError, AppState};

/// A short code that stands for `url` in previews: the same link always gets the same code, of
/// the length real codes have.
pub fn preview_code(url: &str) -> String {
    crate::campaigns::recipient::short_code(&Sha256::digest(url.as_bytes()))
}

/// A media item of the design, as the recipient's phone fetches it.
#[derive(Serialize, ToSchema)]
pub struct PreviewMedia {
    pub id: String,
    pub url: String,
    /// `jpeg`, `png` or `gif`.
    pub format: String,
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
}

/// One contact's message.
pub struct Rendered {
    /// `None` when the contact would be skipped (the reason says why).
    pub route: Option<Route>,
    pub skipped: Option<SkipReason>,
    /// `Err` when the template fails for this contact.
    pub composed: Result<Composed, String>,
}

/// Renders the design for `contact` (a sample one when `None`): the route their number takes,
/// or why they would be skipped, and the text.
pub async fn render_for(
    state: &AppState,
    context: &StepContext,
    campaign: &CampaignRecord,
    checked: &Checked,
    contact: Option<&ContactState>,
) -> Result<Option<Rendered>, AppError> {
    let Some(design) = checked.design.as_ref() else {
        return Ok(None);
    };
    let blank = blank_contact();
    let contact_state = contact.unwrap_or(&blank);
    let cart = match contact {
        Some(c) => cart_of(state, campaign, c).await?,
        None => sample_cart(campaign),
    };
    let values = Values::new(contact_state, cart.as_ref());
    let main = design.routes(campaign.channel)[0];
    let reached = match contact {
        Some(c) => reach_of(context, campaign.channel, design.outside_mms, c),
        // The sample stands for a reachable recipient of the campaign's main route.
        None => Ok(main),
    };
    let (route, skipped) = match reached {
        Ok(route) => (Some(route), None),
        Err(reason) => (None, Some(reason)),
    };
    // A skipped contact is still shown the text of the main route.
    let shown = route.unwrap_or(main);
    let pictures: Vec<String> = design
        .media
        .iter()
        .filter_map(|id| context.media.get(id))
        .map(|item| context.media_url(item))
        .collect();
    let short = |url: &str| format!("{}/l/{}", context.public_url, preview_code(url));
    let composed = design
        .compose(
            &values,
            shown,
            &context.settings.opt_out_footer,
            &pictures,
            &context.settings.own_domains,
            short,
        )
        .map_err(|e| e.0);
    Ok(Some(Rendered {
        route,
        skipped,
        composed,
    }))
}

/// How `contact` would be reached, or why they would be skipped.
fn reach_of(
    context: &StepContext,
    channel: Channel,
    outside: OutsideMms,
    contact: &ContactState,
) -> Result<Route, SkipReason> {
    let group = AudienceGroup {
        country: contact.country.clone(),
        has_phone: contact.phone.is_some(),
        consent: contact.consent,
        count: 1,
    };
    reach(&group, channel, outside, &context.sender_countries())
}

/// How many of the audience's first contacts the preview looks through for one who would
/// receive the message.
pub const FIRST_RECIPIENT_SCAN: u32 = 100;

/// The contact a preview starts on: the first of the audience's first
/// [`FIRST_RECIPIENT_SCAN`] who would receive the message — a skipped contact shows no picture
/// and not the text as sent — else the audience's first, whose skip reason the preview gives.
pub async fn first_recipient(
    state: &AppState,
    context: &StepContext,
    campaign: &CampaignRecord,
    checked: &Checked,
    audience: &Condition,
) -> Result<Option<Contact>, AppError> {
    let account = context.account.id;
    let ids = state
        .store
        .matching_contacts(account, audience, context.now, None, FIRST_RECIPIENT_SCAN)
        .await?;
    let mut contacts = state.store.contacts_by_ids(account, &ids).await?;
    let outside = checked
        .design
        .as_ref()
        .map_or(OutsideMms::Skip, |d| d.outside_mms);
    let receiving = contacts
        .iter()
        .position(|c| reach_of(context, campaign.channel, outside, &c.state).is_ok())
        .unwrap_or(0);
    Ok((receiving < contacts.len()).then(|| contacts.swap_remove(receiving)))
}

/// How many variables without a fallback a preview counts the audience for.
const MAX_FALLBACK_COUNTS: usize = 5;

/// The design's variables that print nothing for some recipients: an empty `default`, or none
/// for an attribute some of `audience` lack (the account's contacts while it is not chosen).
pub async fn fallback_warnings(
    state: &AppState,
    context: &StepContext,
    design: &Design,
    audience: Option<&Condition>,
) -> Result<Vec<FallbackWarning>, AppError> {
    let mut lacking = BTreeMap::new();
    // Each name costs a count over the audience, and this runs as the marketer types: the
    // first few are enough to say where a fallback is missing.
    for name in design
        .attributes_without_fallback()
        .into_iter()
        .take(MAX_FALLBACK_COUNTS)
    {
        let without = Condition::Not(Box::new(Condition::Attribute(Comparison {
            name: name.to_owned(),
            op: Op::Exists,
            value: None,
        })));
        let condition = match audience {
            Some(audience) => Condition::And(vec![audience.clone(), without]),
            None => without,
        };
        let count = state
            .store
            .count_matching(context.account.id, &condition, context.now)
            .await?;
        lacking.insert(name.to_owned(), count);
    }
    Ok(design.fallback_warnings(&lacking))
}

/// The media of the design with their public addresses.
pub fn media_of(context: &StepContext, checked: &Checked) -> Vec<PreviewMedia> {
    let Some(design) = checked.design.as_ref() else {
        return Vec::new();
    };
    design
        .media
        .iter()
        .filter_map(|id| context.media.get(id))
        .map(|item| PreviewMedia {
            id: item.id.to_string(),
            url: context.media_url(item),
            format: item.format.as_str().to_owned(),
            bytes: item.bytes,
            width: item.width,
            height: item.height,
        })
        .collect()
}

/// A cart for previews when no contact is chosen: two products, so loops show.
fn sample_cart(campaign: &CampaignRecord) -> Option<Cart> {
    use tern_domain::{
        campaign::CampaignType,
        contact::{CartItem, CartStatus},
    };
    (campaign.kind == CampaignType::CartReminder).then(|| Cart {
        items: vec![
            CartItem {
                product_id: "sample-1".into(),
                name: "Sample product".into(),
                price: 24.0,
                quantity: 1,
                image_url: None,
                url: None,
            },
            CartItem {
                product_id: "sample-2".into(),
                name: "Another product".into(),
                price: 12.5,
                quantity: 2,
                image_url: None,
                url: Some("https://shop.example/products/another".into()),
            },
        ],
        currency: Some("USD".into()),
        status: CartStatus::Open,
        updated_at: chrono::Utc::now(),
        occurrence: None,
        started_at: None,
    })
}
