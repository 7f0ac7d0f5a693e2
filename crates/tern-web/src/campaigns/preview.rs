//! A design rendered for one contact, as the phone preview shows it.

use serde::Serialize;
use sha2::{Digest, Sha256};
use tern_domain::{
    campaign::{
        design::{Composed, Route},
        estimate::{AudienceGroup, SkipReason, reach},
    },
    contact::{Cart, ContactState},
    template::Values,
};
use tern_store::CampaignRecord;
use utoipa::ToSchema;

use super::{
    audience::{blank_contact, cart_of},
    checks::{Checked, StepContext},
};
use crate::{ApiError, AppState};

/// A short code that stands for `url` in previews: the same link always gets the same code, of
/// the length real codes have.
pub fn preview_code(url: &str) -> String {
    crate::sending::recipient::short_code(&Sha256::digest(url.as_bytes()))
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
) -> Result<Option<Rendered>, ApiError> {
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
    let group = AudienceGroup {
        country: contact_state.country.clone(),
        has_phone: contact_state.phone.is_some(),
        consent: contact_state.consent,
        count: 1,
    };
    let main = design.routes(campaign.channel)[0];
    let reached = match contact {
        Some(_) => reach(
            &group,
            campaign.channel,
            design.outside_mms,
            &context.sender_countries(),
        ),
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
            short,
        )
        .map_err(|e| e.0);
    Ok(Some(Rendered {
        route,
        skipped,
        composed,
    }))
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
                url: None,
            },
        ],
        currency: Some("USD".into()),
        status: CartStatus::Open,
        updated_at: chrono::Utc::now(),
    })
}
