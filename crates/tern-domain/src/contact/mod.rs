//! Contacts: who may be messaged, where they are, and what is known about them.

mod cart;
mod timezone;
mod timezone_table;

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use cart::{Cart, CartItem, CartStatus, apply_cart_event, is_cart_event};
pub use timezone::{TimezoneSource, contact_zone, zone_of_number};

use crate::{
    account::InvalidSetting,
    ids::ContactId,
    phone::{PhoneNumber, Region},
};

/// Longest external id accepted.
pub const MAX_EXTERNAL_ID: usize = 255;
/// Largest attributes document accepted, serialized.
pub const MAX_ATTRIBUTES_BYTES: usize = 16 * 1024;
/// Longest attribute name.
pub const MAX_ATTRIBUTE_NAME: usize = 128;

/// SMS consent. Only `Subscribed` contacts receive marketing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    Subscribed,
    Unsubscribed,
    Unknown,
}

impl Consent {
    pub const ALL: [Consent; 3] = [Self::Subscribed, Self::Unsubscribed, Self::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscribed => "subscribed",
            Self::Unsubscribed => "unsubscribed",
            Self::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Consent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Consent {
    type Err = String;

    /// Accepts the three names and the spellings CSV files use for them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "subscribed" | "yes" | "true" | "1" | "opted_in" | "opt-in" => Ok(Self::Subscribed),
            "unsubscribed" | "no" | "false" | "0" | "opted_out" | "opt-out" => {
                Ok(Self::Unsubscribed)
            }
            "unknown" | "" => Ok(Self::Unknown),
            other => Err(format!(
                "unknown consent {other:?}: use subscribed, unsubscribed or unknown"
            )),
        }
    }
}

/// Where a consent change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentSource {
    /// The contacts API.
    Api,
    /// A CSV import.
    Import,
    /// A Segment `identify` call.
    Identify,
    /// An inbound keyword (STOP, START, …).
    Keyword,
    /// The provider refused the number as unsubscribed.
    Provider,
}

impl ConsentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Import => "import",
            Self::Identify => "identify",
            Self::Keyword => "keyword",
            Self::Provider => "provider",
        }
    }
}

impl FromStr for ConsentSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Self::Api,
            Self::Import,
            Self::Identify,
            Self::Keyword,
            Self::Provider,
        ]
        .into_iter()
        .find(|source| source.as_str() == s)
        .ok_or_else(|| format!("unknown consent source {s:?}"))
    }
}

/// A contact as stored: the state that upserts merge into.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactState {
    pub id: Option<ContactId>,
    pub external_id: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub country: Option<String>,
    pub attributes: Map<String, Value>,
    pub consent: Consent,
    /// IANA name; `None` when the account's zone applies.
    pub timezone: Option<String>,
}

/// A validated upsert: what a caller wants changed on the contact it names.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactDraft {
    pub external_id: Option<String>,
    pub phone: Option<PhoneNumber>,
    /// Merged into the stored attributes; a `null` value removes the attribute.
    pub attributes: Map<String, Value>,
    pub consent: Option<Consent>,
}

/// The raw fields of an upsert, as the API, an import row or an `identify` call give them.
#[derive(Debug, Clone, Default)]
pub struct ContactInput<'a> {
    pub external_id: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub attributes: Option<Value>,
    pub consent: Option<&'a str>,
}

impl ContactDraft {
    /// Validates an upsert; every problem is reported with the field it concerns.
    pub fn parse(
        input: ContactInput<'_>,
        default_region: Option<Region>,
    ) -> Result<Self, Vec<InvalidSetting>> {
        let mut problems = Vec::new();
        let external_id = input
            .external_id
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        if let Some(id) = &external_id {
            if id.len() > MAX_EXTERNAL_ID {
                problems.push(InvalidSetting::new(
                    "external_id",
                    format!("is {} bytes long; at most {MAX_EXTERNAL_ID}", id.len()),
                ));
            } else if id.chars().any(char::is_control) {
                problems.push(InvalidSetting::new(
                    "external_id",
                    "must not contain control characters",
                ));
            }
        }
        let phone = match input.phone.map(str::trim).filter(|p| !p.is_empty()) {
            None => None,
            Some(raw) => match PhoneNumber::parse(raw, default_region) {
                Ok(phone) => Some(phone),
                Err(e) => {
                    problems.push(InvalidSetting::new("phone", e.to_string()));
                    None
                }
            },
        };
        if external_id.is_none() && input.phone.is_none_or(|p| p.trim().is_empty()) {
            problems.push(InvalidSetting::new(
                "external_id",
                "a contact needs an external id, a phone number, or both",
            ));
        }
        let attributes = match input.attributes {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => match check_attributes(&map) {
                Ok(()) => map,
                Err(problem) => {
                    problems.push(problem);
                    Map::new()
                }
            },
            Some(_) => {
                problems.push(InvalidSetting::new(
                    "attributes",
                    "must be a JSON object of names to values",
                ));
                Map::new()
            }
        };
        let consent = match input.consent.map(str::parse::<Consent>) {
            None => None,
            Some(Ok(consent)) => Some(consent),
            Some(Err(message)) => {
                problems.push(InvalidSetting::new("consent", message));
                None
            }
        };
        if problems.is_empty() {
            Ok(Self {
                external_id,
                phone,
                attributes,
                consent,
            })
        } else {
            Err(problems)
        }
    }

    /// Which stored contact this draft updates: the one with its external id, else the one with
    /// its phone (if that one has no other external id), else a new one.
    pub fn target<'a>(
        &self,
        by_external_id: Option<&'a ContactState>,
        by_phone: Option<&'a ContactState>,
    ) -> Result<Option<&'a ContactState>, InvalidSetting> {
        let phone_taken = |owner: &ContactState| {
            InvalidSetting::new(
                "phone",
                format!(
                    "{} belongs to another contact{}",
                    owner.phone.as_deref().unwrap_or_default(),
                    owner
                        .external_id
                        .as_deref()
                        .map(|id| format!(" (external id {id:?})"))
                        .unwrap_or_default()
                ),
            )
        };
        match (by_external_id, by_phone) {
            (Some(a), Some(b)) if a.id != b.id => Err(phone_taken(b)),
            (Some(a), _) => Ok(Some(a)),
            (None, Some(b)) if self.external_id.is_some() && b.external_id.is_some() => {
                Err(phone_taken(b))
            }
            (None, found) => Ok(found),
        }
    }

    /// The contact after this draft is applied to `existing` (or to nothing, for a new contact).
    pub fn apply(&self, existing: Option<&ContactState>) -> ContactState {
        let mut next = existing.cloned().unwrap_or(ContactState {
            id: None,
            external_id: None,
            phone: None,
            country: None,
            attributes: Map::new(),
            consent: Consent::Unknown,
            timezone: None,
        });
        if self.external_id.is_some() {
            next.external_id.clone_from(&self.external_id);
        }
        if let Some(phone) = &self.phone {
            next.phone = Some(phone.e164().to_owned());
            next.country = phone.region().map(|r| r.code().to_owned());
        }
        for (name, value) in &self.attributes {
            if value.is_null() {
                next.attributes.remove(name);
            } else {
                next.attributes.insert(name.clone(), value.clone());
            }
        }
        if let Some(consent) = self.consent {
            next.consent = consent;
        }
        // The zone changes only with the number or the `timezone` attribute; a draft without a
        // number leaves the stored one deciding.
        if self.phone.is_some() || self.attributes.contains_key("timezone") || existing.is_none() {
            let phone = self.phone.clone().or_else(|| {
                next.phone
                    .as_deref()
                    .and_then(|p| PhoneNumber::parse(p, None).ok())
            });
            next.timezone = contact_zone(next.attributes.get("timezone"), phone.as_ref())
                .map(|(tz, _)| tz.name().to_owned());
        }
        next
    }
}

fn check_attributes(map: &Map<String, Value>) -> Result<(), InvalidSetting> {
    if let Some(name) = map
        .keys()
        .find(|name| name.is_empty() || name.len() > MAX_ATTRIBUTE_NAME)
    {
        return Err(InvalidSetting::new(
            "attributes",
            format!("attribute name {name:?} must be 1 to {MAX_ATTRIBUTE_NAME} bytes long"),
        ));
    }
    let size = serde_json::to_vec(map).map_or(usize::MAX, |v| v.len());
    if size > MAX_ATTRIBUTES_BYTES {
        return Err(InvalidSetting::new(
            "attributes",
            format!("are {size} bytes as JSON; at most {MAX_ATTRIBUTES_BYTES}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
