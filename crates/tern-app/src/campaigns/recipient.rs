//! One recipient's message as the outbox keeps it: whom it goes to and from which sender, its
//! final text with tracked links, its pictures, what it costs the rate limits, and when it is
//! due — or why the recipient is skipped.

use chrono::{DateTime, Utc};
use tern_domain::{
    campaign::{
        design::{Design, Route, SHORT_CODE_LEN},
        estimate::SkipReason,
    },
    contact::{Cart, Consent, ContactState},
    goals::holdout,
    ids::ContactId,
    phone::PhoneNumber,
    template::Values,
};
use tern_store::{CampaignRecord, MediaItem, NewMessage};

use crate::{campaigns::checks::StepContext, random};

/// A fresh short code for a tracked link: 8 characters of 62, 47 bits of randomness.
pub fn link_code() -> String {
    short_code(&random::<SHORT_CODE_LEN>())
}

/// A short code's characters (letters and digits) from the first bytes of `bytes`.
pub fn short_code(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    bytes
        .iter()
        .take(SHORT_CODE_LEN)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// Who gets the message and whether consent is asked: campaign recipients need `subscribed`;
/// the account's own test numbers do not.
pub enum Recipient<'a> {
    /// A contact, with the cart a cart reminder is about.
    Contact(ContactId, &'a ContactState, Option<&'a Cart>),
    Test {
        number: &'a str,
        values: &'a ContactState,
    },
}

/// The message for one recipient, queued for `due_at` or skipped with its reason; `picture`
/// replaces the design's (a cart reminder's product picture).
pub fn message_for(
    context: &StepContext,
    campaign: &CampaignRecord,
    design: &Design,
    recipient: Recipient,
    picture: Option<&MediaItem>,
    due_at: DateTime<Utc>,
) -> NewMessage {
    let (contact_id, phone, values_of, consent, cart) = match recipient {
        Recipient::Contact(id, state, cart) => {
            (Some(id), state.phone.as_deref(), state, state.consent, cart)
        }
        Recipient::Test { number, values } => {
            (None, Some(number), values, Consent::Subscribed, None)
        }
    };
    let mut message = NewMessage {
        contact_id,
        to: phone.unwrap_or_default().to_owned(),
        sender: String::new(),
        sender_rate: 1,
        body: String::new(),
        media: Vec::new(),
        units: 1,
        timezone: values_of
            .timezone
            .clone()
            .or_else(|| Some(context.settings.timezone.into())),
        due_at,
        skipped: None,
        links: Vec::new(),
        trigger_key: String::new(),
        expires_at: None,
    };
    let skip = |mut message: NewMessage, reason: SkipReason| {
        message.skipped = Some(tern_store::decode::json_text(&reason));
        message
    };
    let Some(number) = phone.and_then(|p| PhoneNumber::parse(p, None).ok()) else {
        return skip(message, SkipReason::InvalidPhone);
    };
    match consent {
        Consent::Subscribed => {}
        Consent::Unsubscribed => return skip(message, SkipReason::Unsubscribed),
        Consent::Unknown => return skip(message, SkipReason::NoConsent),
    }
    let country = number
        .region()
        .map(|r| r.code().to_owned())
        .unwrap_or_default();
    let Some(route) = design.route(campaign.channel, &country) else {
        return skip(message, SkipReason::OutsideMmsCountries);
    };
    let Some(sender) = context
        .settings
        .senders
        .iter()
        .find(|s| s.country == country)
    else {
        return skip(message, SkipReason::NoSender);
    };
    // One picture per MMS, even for a run launched before that rule was checked at launch; a
    // product's own picture instead of the campaign's where the design asks for it.
    let media: Vec<String> = match picture {
        Some(item) => vec![context.media_url(item)],
        None => design
            .media
            .iter()
            .take(tern_domain::campaign::design::MAX_MEDIA)
            .filter_map(|id| context.media.get(id))
            .map(|item| context.media_url(item))
            .collect(),
    };
    let values = Values::new(values_of, cart);
    let mut links = Vec::new();
    let composed = design.compose(
        &values,
        route,
        &context.settings.opt_out_footer,
        &media,
        &context.settings.own_domains,
        |url| {
            let code = link_code();
            let short = format!("{}/l/{code}", context.public_url);
            links.push((code, url.to_owned()));
            short
        },
    );
    let composed = match composed {
        Ok(c) if c.counters.fits => c,
        Ok(_) => return skip(message, SkipReason::TooLong),
        Err(_) => return skip(message, SkipReason::RenderFailed),
    };
    message.to = number.e164().to_owned();
    message.sender = sender.address.clone();
    message.sender_rate = sender.segments_per_second;
    message.units = match route {
        Route::Mms => 1,
        Route::Sms | Route::SmsWithLink => composed.counters.segments.unwrap_or(1).max(1),
    };
    message.body = composed.text;
    message.media = if route == Route::Mms {
        media
    } else {
        Vec::new()
    };
    // Held out only where the message would have gone: the two groups then differ only in it.
    if let Some(contact) = contact_id
        && holdout::held_out(campaign.id, contact.0, holdout_percent(campaign))
    {
        return skip(message, SkipReason::Holdout);
    }
    message.links = links;
    message
}

/// The Launch step's holdout share (0 where the step has none).
pub fn holdout_percent(campaign: &CampaignRecord) -> u8 {
    campaign
        .steps
        .get("launch")
        .and_then(|launch| launch.get("holdout_percent"))
        .and_then(serde_json::Value::as_u64)
        .map_or(0, |p| p.min(u64::from(holdout::MAX_HOLDOUT_PERCENT)) as u8)
}
