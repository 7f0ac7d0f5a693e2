//! Phone numbers: parsed with libphonenumber's metadata, kept in E.164 with their country.

use std::{fmt, str::FromStr};

use phonenumber::{Mode, ParseError, Type, country::Id, metadata::DATABASE};
use serde::Serialize;

/// Countries whose numbers may receive MMS.
pub const MMS_COUNTRIES: [&str; 3] = ["AU", "CA", "US"];

/// The kinds of number libphonenumber's validity check accepts (its `number_type` not Unknown).
const NUMBER_TYPES: [Type; 10] = [
    Type::PremiumRate,
    Type::TollFree,
    Type::SharedCost,
    Type::Voip,
    Type::PersonalNumber,
    Type::Pager,
    Type::Uan,
    Type::Voicemail,
    Type::FixedLine,
    Type::Mobile,
];

/// A valid phone number in E.164 form with the country libphonenumber assigns it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    e164: String,
    country: Option<Region>,
}

/// An ISO 3166 region as libphonenumber knows it (`US`, `PR`, `GB`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region {
    id: Id,
    code: [u8; 2],
}

/// Why an input is not a usable phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("not a phone number: too few digits")]
    NotANumber,
    #[error(
        "number has no country code: write it as +<country code><number>, or give a default region"
    )]
    MissingRegion,
    #[error("unknown country calling code")]
    UnknownCountryCode,
    #[error("too short to be a phone number")]
    TooShort,
    #[error("too long to be a phone number")]
    TooLong,
    #[error("{e164} is not a valid phone number{}", in_region(*.region))]
    Invalid {
        e164: String,
        region: Option<Region>,
    },
}

/// Why a region code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown region {0:?}: use a two-letter ISO 3166 code such as US or GB")]
pub struct RegionError(String);

impl PhoneNumber {
    /// Parses `input`; `default_region` applies to numbers written without `+` and a country code.
    pub fn parse(input: &str, default_region: Option<Region>) -> Result<Self, PhoneError> {
        if input.trim().is_empty() {
            return Err(PhoneError::Empty);
        }
        let number =
            phonenumber::parse(default_region.map(|r| r.id), input).map_err(|e| match e {
                ParseError::InvalidCountryCode
                    if default_region.is_none() && !input.trim_start().starts_with('+') =>
                {
                    PhoneError::MissingRegion
                }
                ParseError::InvalidCountryCode => PhoneError::UnknownCountryCode,
                ParseError::TooShortAfterIdd | ParseError::TooShortNsn => PhoneError::TooShort,
                ParseError::TooLong => PhoneError::TooLong,
                _ => PhoneError::NotANumber,
            })?;
        let e164 = number.format().mode(Mode::E164).to_string();
        // One lookup of the number's metadata serves both its country and its validity: the
        // crate's `country()` and `is_valid()` would each search it again, through a shared
        // regex cache that dominates bulk imports.
        let national = number.national().to_string();
        let meta = number.metadata(&DATABASE);
        let country = meta
            .and_then(|m| m.id().parse::<Id>().ok())
            .and_then(Region::from_id);
        let valid = meta.is_some_and(|m| {
            let descriptors = m.descriptors();
            descriptors.general().is_match(&national)
                && NUMBER_TYPES.iter().any(|kind| {
                    descriptors
                        .get(*kind)
                        .is_some_and(|d| d.is_match(&national))
                })
        });
        if !valid {
            return Err(PhoneError::Invalid {
                e164,
                region: country,
            });
        }
        Ok(Self { e164, country })
    }

    /// The number as `+` and digits, as Twilio expects it.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// The number's country; `None` for non-geographic numbers (+800, +882 …).
    pub fn region(&self) -> Option<Region> {
        self.country
    }

    /// Whether MMS may be sent to this number: Australia, Canada and the USA only.
    pub fn mms_supported(&self) -> bool {
        self.country
            .is_some_and(|r| MMS_COUNTRIES.contains(&r.code()))
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

impl Region {
    /// The two-letter code.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).expect("region codes are ASCII letters")
    }

    fn from_id(id: Id) -> Option<Self> {
        let name: &str = id.as_ref();
        let code = <[u8; 2]>::try_from(name.as_bytes()).ok()?;
        Some(Self { id, code })
    }
}

impl FromStr for Region {
    type Err = RegionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        if upper.len() != 2 {
            return Err(RegionError(s.to_owned()));
        }
        upper
            .parse::<Id>()
            .ok()
            .and_then(Region::from_id)
            .ok_or_else(|| RegionError(s.to_owned()))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

fn in_region(region: Option<Region>) -> String {
    region.map(|r| format!(" in {r}")).unwrap_or_default()
}

/// What `tern phone parse` prints for one input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneReport {
    pub input: String,
    pub ok: bool,
    pub e164: Option<String>,
    pub country: Option<Region>,
    pub mms_supported: bool,
    pub error: Option<String>,
}

impl PhoneReport {
    /// Parses `input` and reports the verdict.
    pub fn new(input: &str, default_region: Option<Region>) -> Self {
        let parsed = PhoneNumber::parse(input, default_region);
        let country = match &parsed {
            Ok(n) => n.region(),
            Err(PhoneError::Invalid { region, .. }) => *region,
            Err(_) => None,
        };
        Self {
            input: input.to_owned(),
            ok: parsed.is_ok(),
            mms_supported: parsed.as_ref().is_ok_and(PhoneNumber::mms_supported),
            e164: parsed.as_ref().ok().map(|n| n.e164.clone()),
            country,
            error: parsed.err().map(|e| e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str, region: Option<&str>) -> Result<PhoneNumber, PhoneError> {
        PhoneNumber::parse(input, region.map(|r| r.parse().unwrap()))
    }

    #[test]
    fn numbers_normalise_to_e164_with_their_country() {
        let n = parse("(415) 555-2671", Some("us")).unwrap();
        assert_eq!(
            (n.e164(), n.region().unwrap().code()),
            ("+14155552671", "US")
        );
        let n = parse("+44 20 7946 0958", None).unwrap();
        assert_eq!(
            (n.e164(), n.region().unwrap().code()),
            ("+442079460958", "GB")
        );
        let n = parse("0412 345 678", Some("AU")).unwrap();
        assert_eq!(n.e164(), "+61412345678");
    }

    #[test]
    fn mms_goes_only_to_australia_canada_and_the_usa() {
        assert!(parse("+14155552671", None).unwrap().mms_supported());
        assert!(parse("+16135550123", None).unwrap().mms_supported()); // Ottawa
        assert!(parse("+61412345678", None).unwrap().mms_supported());
        let puerto_rico = parse("+17872345678", None).unwrap();
        assert_eq!(puerto_rico.region().unwrap().code(), "PR");
        assert!(!puerto_rico.mms_supported());
        assert!(!parse("+447911123456", None).unwrap().mms_supported());
    }

    #[test]
    fn bad_numbers_say_why() {
        assert_eq!(parse("  ", None), Err(PhoneError::Empty));
        assert_eq!(parse("4155552671", None), Err(PhoneError::MissingRegion));
        assert!(matches!(
            parse("+1 555 555 5555", None),
            Err(PhoneError::Invalid { .. })
        ));
        assert_eq!(parse("hello", None), Err(PhoneError::NotANumber));
        assert!("XX".parse::<Region>().is_err());
        assert!("USA".parse::<Region>().is_err());
    }

    #[test]
    fn validity_and_country_agree_with_the_crates_own_checks() {
        // The parse takes a shortcut through the metadata; it must judge as the crate does.
        let codes = [
            "1", "44", "61", "33", "49", "39", "7", "86", "91", "55", "52", "800", "882", "379",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        for i in 0..2_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let digits = 6 + (seed >> 60) as usize % 8;
            let national: String = (0..digits)
                .map(|d| char::from(b'0' + ((seed >> (d * 4)) % 10) as u8))
                .collect();
            let input = format!("+{}{national}", codes[i % codes.len()]);
            let Ok(number) = phonenumber::parse(None, &input) else {
                continue;
            };
            let expected = number
                .is_valid()
                .then(|| number.country().id().and_then(Region::from_id));
            let ours = PhoneNumber::parse(&input, None).ok().map(|p| p.region());
            assert_eq!(ours, expected, "{input}");
        }
    }
}
