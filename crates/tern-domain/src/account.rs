//! An account's identity and settings, each value checked once at the edge.

use std::{collections::BTreeMap, fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::phone::{PhoneNumber, Region};

/// Why a setting was refused; `field` names it as the API spells it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidSetting {
    pub field: String,
    pub message: String,
}

impl InvalidSetting {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An account's unique name: 1 to 64 characters, letters, digits, `-`, `_` and `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountName(String);

impl FromStr for AccountName {
    type Err = InvalidSetting;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok_char = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.');
        if s.is_empty() || s.chars().count() > 64 || !s.chars().all(ok_char) {
            return Err(InvalidSetting::new(
                "name",
                "use 1 to 64 letters, digits, '-', '_' or '.'",
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

impl TryFrom<String> for AccountName {
    type Error = InvalidSetting;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<AccountName> for String {
    fn from(name: AccountName) -> Self {
        name.0
    }
}

impl AccountName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user's e-mail address, lower-cased: one `@`, something on each side, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Email(String);

impl FromStr for Email {
    type Err = InvalidSetting;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_lowercase();
        let valid = match s.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && !s.chars().any(char::is_whitespace)
                    && s.len() <= 254
            }
            None => false,
        };
        if valid {
            Ok(Self(s))
        } else {
            Err(InvalidSetting::new("email", "not an e-mail address"))
        }
    }
}

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA timezone name such as `Europe/Istanbul`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timezone(chrono_tz::Tz);

impl FromStr for Timezone {
    type Err = InvalidSetting;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            InvalidSetting::new(
                "timezone",
                format!("unknown timezone {s:?}; use an IANA name such as America/New_York"),
            )
        })
    }
}

impl TryFrom<String> for Timezone {
    type Error = InvalidSetting;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Timezone> for String {
    fn from(tz: Timezone) -> Self {
        tz.0.name().to_owned()
    }
}

impl Timezone {
    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }
}

impl Default for Timezone {
    fn default() -> Self {
        Self(chrono_tz::UTC)
    }
}

/// Local hours in which marketing messages may be sent, `"08:00"` to `"21:00"` by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// Sending may start at this local time.
    pub allowed_from: ClockTime,
    /// Sending stops at this local time.
    pub allowed_until: ClockTime,
}

impl Default for QuietHours {
    fn default() -> Self {
        Self {
            allowed_from: ClockTime(8 * 60),
            allowed_until: ClockTime(21 * 60),
        }
    }
}

impl QuietHours {
    /// Checks the window is not empty.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if self.allowed_from == self.allowed_until {
            return Err(InvalidSetting::new(
                "quiet_hours",
                "the allowed window is empty: from and until are equal",
            ));
        }
        Ok(())
    }
}

/// A time of day in minutes since midnight, written `"HH:MM"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClockTime(u16);

impl FromStr for ClockTime {
    type Err = InvalidSetting;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = s.split_once(':').and_then(|(h, m)| {
            let (h, m) = (h.parse::<u16>().ok()?, m.parse::<u16>().ok()?);
            (h < 24 && m < 60 && s.len() == 5).then_some(h * 60 + m)
        });
        parsed.map(Self).ok_or_else(|| {
            InvalidSetting::new(
                "quiet_hours",
                format!("{s:?} is not a time of day; use HH:MM"),
            )
        })
    }
}

impl ClockTime {
    /// Minutes since midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl TryFrom<String> for ClockTime {
    type Error = InvalidSetting;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ClockTime> for String {
    fn from(t: ClockTime) -> Self {
        format!("{:02}:{:02}", t.0 / 60, t.0 % 60)
    }
}

/// How the sandbox provider behaves for an account without Twilio credentials: how long its
/// status callbacks take, and which share of messages it reports undelivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxSettings {
    /// From the send to the `delivered` callback, in milliseconds (0 to 60,000).
    pub latency_ms: u32,
    /// Percent of messages (0 to 100) reported `undelivered` with error 30003.
    pub failure_percent: u8,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            latency_ms: 500,
            failure_percent: 0,
        }
    }
}

impl SandboxSettings {
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if self.latency_ms > 60_000 {
            return Err(InvalidSetting::new(
                "sandbox.latency_ms",
                "must be from 0 to 60000",
            ));
        }
        if self.failure_percent > 100 {
            return Err(InvalidSetting::new(
                "sandbox.failure_percent",
                "must be from 0 to 100",
            ));
        }
        Ok(())
    }
}

/// At most `messages` marketing messages to one contact in `days` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrequencyCap {
    pub messages: u32,
    pub days: u32,
}

impl FrequencyCap {
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if self.messages == 0 || self.days == 0 || self.days > 365 {
            return Err(InvalidSetting::new(
                "frequency_cap",
                "messages must be at least 1 and days from 1 to 365",
            ));
        }
        Ok(())
    }
}

/// How a country's messages leave: a number, a short code or a Messaging Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderKind {
    PhoneNumber,
    ShortCode,
    MessagingService,
}

/// The sender for one country, with its rate limit in segments per second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    /// ISO 3166 code, e.g. `US`.
    pub country: String,
    pub kind: SenderKind,
    /// E.164 number, short code digits, or `MG` + 32 hex.
    pub address: String,
    pub segments_per_second: u32,
}

impl Sender {
    /// Checks the address fits its kind and normalises the country code.
    pub fn validate(mut self, index: usize) -> Result<Self, InvalidSetting> {
        let field = |name: &str| format!("senders[{index}].{name}");
        let region: Region = self
            .country
            .parse()
            .map_err(|e: crate::phone::RegionError| {
                InvalidSetting::new(field("country"), e.to_string())
            })?;
        self.country = region.code().to_owned();
        let address_ok = match self.kind {
            SenderKind::PhoneNumber => match PhoneNumber::parse(&self.address, None) {
                Ok(n) => {
                    self.address = n.e164().to_owned();
                    true
                }
                Err(_) => false,
            },
            SenderKind::ShortCode => {
                (3..=8).contains(&self.address.len())
                    && self.address.bytes().all(|b| b.is_ascii_digit())
            }
            SenderKind::MessagingService => is_sid(&self.address, "MG"),
        };
        if !address_ok {
            let expected = match self.kind {
                SenderKind::PhoneNumber => "a phone number in E.164 form, e.g. +15017122661",
                SenderKind::ShortCode => "3 to 8 digits",
                SenderKind::MessagingService => "a Messaging Service SID: MG and 32 hex digits",
            };
            return Err(InvalidSetting::new(
                field("address"),
                format!("expected {expected}"),
            ));
        }
        if !(1..=10_000).contains(&self.segments_per_second) {
            return Err(InvalidSetting::new(
                field("segments_per_second"),
                "must be from 1 to 10000",
            ));
        }
        Ok(self)
    }
}

/// Whether `s` is a Twilio SID: the two-letter `prefix` and 32 hex digits.
pub fn is_sid(s: &str, prefix: &str) -> bool {
    s.len() == 34 && s.starts_with(prefix) && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Prices by country, for the cost estimate: decimal strings in `currency`, per SMS segment and
/// per MMS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prices {
    pub currency: String,
    pub per_segment: BTreeMap<String, String>,
    #[serde(default)]
    pub per_mms: BTreeMap<String, String>,
}

/// Millionths of the currency unit: prices have at most six decimals, sums stay exact.
pub type Micros = u128;

/// Reads a price such as `0.0079` as millionths.
pub fn parse_price(price: &str) -> Option<Micros> {
    let (whole, fraction) = price.split_once('.').unwrap_or((price, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || fraction.len() > 6 || whole.len() > 12 {
        return None;
    }
    let whole: Micros = whole.parse().ok()?;
    let fraction: Micros = format!("{fraction:0<6}").parse().ok()?;
    Some(whole * 1_000_000 + fraction)
}

/// Writes millionths as a decimal with at least two and at most six decimals.
pub fn format_price(micros: Micros) -> String {
    let text = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    let trimmed = text.trim_end_matches('0');
    let decimals = trimmed.len() - trimmed.find('.').unwrap_or(0) - 1;
    if decimals < 2 {
        text[..text.len() - 6 + 2].to_owned()
    } else {
        trimmed.to_owned()
    }
}

impl Prices {
    /// What one message to `country` costs: `segments` SMS segments, or one MMS; `None` when
    /// the country has no price for it.
    pub fn message_price(
        &self,
        country: &str,
        channel: crate::text::Channel,
        segments: u32,
    ) -> Option<Micros> {
        let price =
            |table: &BTreeMap<String, String>| table.get(country).and_then(|p| parse_price(p));
        match channel {
            crate::text::Channel::Sms => Some(price(&self.per_segment)? * Micros::from(segments)),
            crate::text::Channel::Mms => price(&self.per_mms),
        }
    }

    pub fn validate(mut self) -> Result<Self, InvalidSetting> {
        if !(self.currency.is_empty()
            || (self.currency.len() == 3 && self.currency.bytes().all(|b| b.is_ascii_uppercase())))
        {
            return Err(InvalidSetting::new(
                "prices.currency",
                "use a three-letter ISO 4217 code such as USD",
            ));
        }
        self.per_segment = normalise_prices("per_segment", self.per_segment)?;
        self.per_mms = normalise_prices("per_mms", self.per_mms)?;
        Ok(self)
    }
}

fn normalise_prices(
    name: &str,
    prices: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, InvalidSetting> {
    let mut normalised = BTreeMap::new();
    for (country, price) in prices {
        let field = format!("prices.{name}.{country}");
        let region: Region = country
            .parse()
            .map_err(|e: crate::phone::RegionError| InvalidSetting::new(&field, e.to_string()))?;
        if parse_price(&price).is_none() {
            return Err(InvalidSetting::new(
                field,
                format!("{price:?} is not a price; write a decimal such as 0.0079"),
            ));
        }
        normalised.insert(region.code().to_owned(), price);
    }
    Ok(normalised)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_values_are_checked_with_the_field_named() {
        assert!("acme-shop".parse::<AccountName>().is_ok());
        assert_eq!("a b".parse::<AccountName>().unwrap_err().field, "name");
        assert_eq!(
            "Ann@Example.com".parse::<Email>().unwrap().as_str(),
            "ann@example.com"
        );
        assert!("ann@".parse::<Email>().is_err());
        assert!("Europe/Istanbul".parse::<Timezone>().is_ok());
        assert_eq!(
            "Mars/Base".parse::<Timezone>().unwrap_err().field,
            "timezone"
        );
        assert_eq!(String::from("08:05".parse::<ClockTime>().unwrap()), "08:05");
        assert!("24:00".parse::<ClockTime>().is_err());
        let sender = Sender {
            country: "us".into(),
            kind: SenderKind::PhoneNumber,
            address: "+1 415 555 2671".into(),
            segments_per_second: 1,
        };
        let sender = sender.validate(0).unwrap();
        assert_eq!(
            (sender.country.as_str(), sender.address.as_str()),
            ("US", "+14155552671")
        );
        let bad = Sender {
            country: "US".into(),
            kind: SenderKind::MessagingService,
            address: "MG123".into(),
            segments_per_second: 1,
        };
        assert_eq!(bad.validate(2).unwrap_err().field, "senders[2].address");
    }

    #[test]
    fn prices_are_exact_millionths() {
        assert_eq!(parse_price("0.0079"), Some(7_900));
        assert_eq!(parse_price("2"), Some(2_000_000));
        for bad in ["", ".5", "1.", "0.0000001", "-1", "1e3"] {
            assert_eq!(parse_price(bad), None, "{bad}");
        }
        assert_eq!(format_price(7_900), "0.0079");
        assert_eq!(format_price(2_000_000), "2.00");
        assert_eq!(format_price(1_500_000), "1.50");
        assert_eq!(format_price(123), "0.000123");
    }
}
