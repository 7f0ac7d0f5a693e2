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

/// Whether a change to `requested` consent, asked by `source`, may replace `current`. An opt-out
/// (from any source) is undone only by the contact's own START keyword, or by an API call that
/// carries a proof of new consent: an old list re-imported, a routine API write or a write-key
/// call leaves it as it is.
pub fn consent_may_change(
    current: Consent,
    requested: Consent,
    source: ConsentSource,
    proven: bool,
) -> bool {
    current != Consent::Unsubscribed
        || requested == Consent::Unsubscribed
        || source == ConsentSource::Keyword
        || (source == ConsentSource::Api && proven)
}

/// Longest text of a consent proof's fields.
pub const MAX_PROOF_TEXT: usize = 500;

/// How, when and where a contact gave consent: what re-subscribing an opted-out contact needs,
/// kept with the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentProof {
    /// How consent was collected, e.g. "web form double opt-in", "checkout box".
    pub method: String,
    /// When the contact gave it.
    pub collected_at: chrono::DateTime<chrono::Utc>,
    /// Where: the form's address, the shop, the IP address the form was sent from.
    pub location: String,
}

impl ConsentProof {
    /// A proof whose fields are present, bounded and printable; `now` bounds `collected_at`
    /// (a proof from the future proves nothing).
    pub fn new(
        method: &str,
        collected_at: chrono::DateTime<chrono::Utc>,
        location: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Self, InvalidSetting> {
        let text = |field: &str, value: &str| {
            let value = value.trim();
            if value.is_empty() || value.chars().count() > MAX_PROOF_TEXT {
                Err(InvalidSetting::new(
                    format!("consent_proof.{field}"),
                    format!("must be 1 to {MAX_PROOF_TEXT} characters"),
                ))
            } else if value.chars().any(char::is_control) {
                Err(InvalidSetting::new(
                    format!("consent_proof.{field}"),
                    "must not contain control characters",
                ))
            } else {
                Ok(value.to_owned())
            }
        };
        let method = text("method", method)?;
        let location = text("location", location)?;
        if collected_at > now + chrono::TimeDelta::minutes(5) {
            return Err(InvalidSetting::new(
                "consent_proof.collected_at",
                "is in the future",
            ));
        }
        Ok(Self {
            method,
            collected_at,
            location,
        })
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
    /// Proof of new consent, which lets an API call re-subscribe a contact who opted out.
    pub consent_proof: Option<ConsentProof>,
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
                consent_proof: None,
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

    /// Whether this draft asks `source` to end an opt-out it may not end
    /// ([`consent_may_change`]): the contact's consent then stays as it is.
    pub fn consent_refused(&self, existing: Option<&ContactState>, source: ConsentSource) -> bool {
        match (self.consent, existing) {
            (Some(requested), Some(stored)) => !consent_may_change(
                stored.consent,
                requested,
                source,
                self.consent_proof.is_some(),
            ),
            _ => false,
        }
    }

    /// The contact after this draft, asked by `source`, is applied to `existing` (or to
    /// nothing, for a new contact).
    pub fn apply(&self, existing: Option<&ContactState>, source: ConsentSource) -> ContactState {
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
        if let Some(consent) = self.consent
            && !self.consent_refused(existing, source)
        {
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
    let json = serde_json::to_string(map).unwrap_or_default();
    // serde_json writes a NUL as this escape; a NUL means nothing in an attribute, and
    // PostgreSQL cannot store one.
    if json.contains("\\u0000") {
        return Err(InvalidSetting::new(
            "attributes",
            "must not contain NUL characters",
        ));
    }
    let size = json.len();
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
