//! Who of an audience a campaign reaches, who it skips and why, how many messages and SMS
//! segments that makes, and what they cost by country from the account's prices.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{
    Channel,
    design::{OutsideMms, Route, route},
};
use crate::{
    account::{Micros, Prices, format_price, parse_price},
    contact::Consent,
};

/// The contacts of an audience that share a country, a consent and whether they have a phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudienceGroup {
    pub country: Option<String>,
    pub has_phone: bool,
    pub consent: Consent,
    pub count: u64,
}

/// Why a contact of the audience gets no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// No valid phone number.
    InvalidPhone,
    Unsubscribed,
    /// Consent unknown: only subscribed contacts receive marketing messages.
    NoConsent,
    /// An MMS campaign's recipient outside Australia, Canada and the USA.
    OutsideMmsCountries,
    /// The account has no sender for the recipient's country.
    NoSender,
    /// The contact had the most marketing messages the frequency cap allows (checked when
    /// sending, so never part of an estimate).
    FrequencyCap,
    /// The template failed for this contact's values.
    RenderFailed,
    /// This contact's text is longer than the design's segment cap.
    TooLong,
    /// Kept unsent to measure the campaign's lift (the Launch step's holdout share).
    Holdout,
}

impl SkipReason {
    /// What an estimate can foresee.
    pub const ALL: [SkipReason; 5] = [
        Self::InvalidPhone,
        Self::Unsubscribed,
        Self::NoConsent,
        Self::OutsideMmsCountries,
        Self::NoSender,
    ];
}

/// How a group is reached, or why it is skipped; the reasons are checked in [`SkipReason`]'s order.
pub fn reach(
    group: &AudienceGroup,
    channel: Channel,
    outside: OutsideMms,
    sender_countries: &[&str],
) -> Result<Route, SkipReason> {
    let country = group.country.as_deref().unwrap_or("");
    if !group.has_phone {
        return Err(SkipReason::InvalidPhone);
    }
    match group.consent {
        Consent::Unsubscribed => return Err(SkipReason::Unsubscribed),
        Consent::Unknown => return Err(SkipReason::NoConsent),
        Consent::Subscribed => {}
    }
    let route = route(channel, outside, country).ok_or(SkipReason::OutsideMmsCountries)?;
    if !sender_countries.contains(&country) {
        return Err(SkipReason::NoSender);
    }
    Ok(route)
}

/// SMS segments one message costs on each SMS route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SegmentsPerMessage {
    pub sms: u32,
    pub sms_with_link: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Estimate {
    /// Contacts in the audience.
    pub audience: u64,
    /// Those who get a message.
    pub recipients: u64,
    /// The others, by reason (every reason listed).
    pub skipped: BTreeMap<SkipReason, u64>,
    pub messages: Messages,
    pub sms_segments: u64,
    pub cost: Cost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Messages {
    pub sms: u64,
    pub mms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cost {
    pub currency: String,
    /// The sum over the priced countries; `None` when no country is priced.
    pub total: Option<String>,
    pub by_country: Vec<CountryCost>,
    /// Countries with recipients but no price for what they get.
    pub unpriced: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountryCost {
    pub country: String,
    pub recipients: u64,
    pub messages: Messages,
    pub sms_segments: u64,
    pub cost: Option<String>,
}

/// Adds up an audience's groups.
pub fn estimate(
    groups: &[AudienceGroup],
    channel: Channel,
    outside: OutsideMms,
    sender_countries: &[&str],
    segments: SegmentsPerMessage,
    prices: &Prices,
) -> Estimate {
    let mut skipped: BTreeMap<SkipReason, u64> = SkipReason::ALL.map(|r| (r, 0)).into();
    let mut countries: BTreeMap<String, CountryCost> = BTreeMap::new();
    for group in groups {
        match reach(group, channel, outside, sender_countries) {
            Err(reason) => *skipped.entry(reason).or_default() += group.count,
            Ok(route) => {
                let country = group.country.clone().unwrap_or_default();
                let entry = countries.entry(country.clone()).or_insert(CountryCost {
                    country,
                    recipients: 0,
                    messages: Messages::default(),
                    sms_segments: 0,
                    cost: None,
                });
                entry.recipients += group.count;
                match route {
                    Route::Mms => entry.messages.mms += group.count,
                    Route::Sms => {
                        entry.messages.sms += group.count;
                        entry.sms_segments += group.count * u64::from(segments.sms);
                    }
                    Route::SmsWithLink => {
                        entry.messages.sms += group.count;
                        entry.sms_segments += group.count * u64::from(segments.sms_with_link);
                    }
                }
            }
        }
    }
    let mut total: Option<Micros> = None;
    let mut unpriced = Vec::new();
    for cost in countries.values_mut() {
        match country_cost(cost, prices) {
            Some(micros) => {
                *total.get_or_insert(0) += micros;
                cost.cost = Some(format_price(micros));
            }
            None => unpriced.push(cost.country.clone()),
        }
    }
    let by_country: Vec<CountryCost> = countries.into_values().collect();
    let messages = Messages {
        sms: by_country.iter().map(|c| c.messages.sms).sum(),
        mms: by_country.iter().map(|c| c.messages.mms).sum(),
    };
    Estimate {
        audience: groups.iter().map(|g| g.count).sum(),
        recipients: by_country.iter().map(|c| c.recipients).sum(),
        skipped,
        messages,
        sms_segments: by_country.iter().map(|c| c.sms_segments).sum(),
        cost: Cost {
            currency: prices.currency.clone(),
            total: total.map(format_price),
            by_country,
            unpriced,
        },
    }
}

/// A country's cost, if every kind of message it gets is priced.
fn country_cost(cost: &CountryCost, prices: &Prices) -> Option<Micros> {
    let price =
        |table: &BTreeMap<String, String>| table.get(&cost.country).and_then(|p| parse_price(p));
    let mut sum = 0;
    if cost.sms_segments > 0 {
        sum += price(&prices.per_segment)? * Micros::from(cost.sms_segments);
    }
    if cost.messages.mms > 0 {
        sum += price(&prices.per_mms)? * Micros::from(cost.messages.mms);
    }
    Some(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(country: &str, consent: Consent, count: u64) -> AudienceGroup {
        AudienceGroup {
            country: (!country.is_empty()).then(|| country.to_owned()),
            has_phone: !country.is_empty(),
            consent,
            count,
        }
    }

    fn audience() -> Vec<AudienceGroup> {
        vec![
            group("US", Consent::Subscribed, 1000),
            group("US", Consent::Unsubscribed, 40),
            group("CA", Consent::Subscribed, 300),
            group("GB", Consent::Subscribed, 200),
            group("DE", Consent::Subscribed, 7),
            group("TR", Consent::Unknown, 50),
            group("", Consent::Subscribed, 3),
        ]
    }

    fn prices() -> Prices {
        Prices {
            currency: "USD".into(),
            per_segment: [("US", "0.0079"), ("CA", "0.0075"), ("GB", "0.04")]
                .map(|(c, p)| (c.to_owned(), p.to_owned()))
                .into(),
            per_mms: [("US", "0.02")]
                .map(|(c, p)| (c.to_owned(), p.to_owned()))
                .into(),
        }
    }

    const SENDERS: [&str; 3] = ["US", "CA", "GB"];

    #[test]
    fn an_sms_campaign_counts_segments_and_prices_them_per_country() {
        let e = estimate(
            &audience(),
            Channel::Sms,
            OutsideMms::Skip,
            &SENDERS,
            SegmentsPerMessage {
                sms: 2,
                sms_with_link: 0,
            },
            &prices(),
        );
        assert_eq!(e.audience, 1600);
        assert_eq!(e.recipients, 1500);
        assert_eq!(e.skipped[&SkipReason::Unsubscribed], 40);
        assert_eq!(e.skipped[&SkipReason::NoConsent], 50);
        assert_eq!(e.skipped[&SkipReason::InvalidPhone], 3);
        assert_eq!(e.skipped[&SkipReason::NoSender], 7);
        assert_eq!(e.skipped[&SkipReason::OutsideMmsCountries], 0);
        assert_eq!(e.messages, Messages { sms: 1500, mms: 0 });
        assert_eq!(e.sms_segments, 3000);
        // 2000 × 0.0079 + 600 × 0.0075 + 400 × 0.04 = 15.8 + 4.5 + 16
        assert_eq!(e.cost.total.as_deref(), Some("36.30"));
        assert_eq!(e.cost.by_country[0].country, "CA");
        assert_eq!(e.cost.by_country[0].cost.as_deref(), Some("4.50"));
        assert!(e.cost.unpriced.is_empty());
    }

    #[test]
    fn an_mms_campaign_skips_or_falls_back_outside_au_ca_us() {
        let skip = estimate(
            &audience(),
            Channel::Mms,
            OutsideMms::Skip,
            &SENDERS,
            SegmentsPerMessage::default(),
            &prices(),
        );
        assert_eq!(skip.skipped[&SkipReason::OutsideMmsCountries], 207);
        assert_eq!(skip.messages, Messages { sms: 0, mms: 1300 });
        // Canada has no MMS price: the total covers the US only and says so.
        assert_eq!(skip.cost.total.as_deref(), Some("20.00"));
        assert_eq!(skip.cost.unpriced, ["CA"]);

        let link = estimate(
            &audience(),
            Channel::Mms,
            OutsideMms::SmsWithLink,
            &SENDERS,
            SegmentsPerMessage {
                sms: 0,
                sms_with_link: 1,
            },
            &prices(),
        );
        assert_eq!(
            link.messages,
            Messages {
                sms: 200,
                mms: 1300
            }
        );
        assert_eq!(link.sms_segments, 200);
        assert_eq!(link.skipped[&SkipReason::NoSender], 7);
        assert_eq!(link.skipped[&SkipReason::OutsideMmsCountries], 0);
    }
}
