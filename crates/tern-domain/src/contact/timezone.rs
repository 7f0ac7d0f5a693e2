//! A contact's timezone: from its `timezone` attribute, else from its number where the number
//! determines one (its country, or its area code in countries with several zones), else the
//! account's.

use std::str::FromStr;

use chrono_tz::Tz;

use super::timezone_table::PREFIX_ZONES;
use crate::phone::PhoneNumber;

/// Where a contact's timezone came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimezoneSource {
    Attribute,
    Phone,
    Account,
}

impl TimezoneSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attribute => "attribute",
            Self::Phone => "phone",
            Self::Account => "account",
        }
    }
}

/// The zone a number's prefix determines, if it determines exactly one.
pub fn zone_of_number(phone: &PhoneNumber) -> Option<Tz> {
    let digits = phone.e164().trim_start_matches('+');
    // The longest listed prefix decides; a prefix spanning several zones decides "none".
    (1..=digits.len().min(9)).rev().find_map(|len| {
        let prefix = &digits[..len];
        PREFIX_ZONES
            .binary_search_by(|(p, _)| p.cmp(&prefix))
            .ok()
            .map(|i| PREFIX_ZONES[i].1.and_then(|zone| Tz::from_str(zone).ok()))
    })?
}

/// The zone named by a `timezone` attribute, if it names a known IANA zone.
pub fn zone_of_attribute(value: Option<&serde_json::Value>) -> Option<Tz> {
    value?
        .as_str()
        .and_then(|name| Tz::from_str(name.trim()).ok())
}

/// The zone a contact is stored with (`None`: the account's zone applies).
pub fn contact_zone(
    attribute: Option<&serde_json::Value>,
    phone: Option<&PhoneNumber>,
) -> Option<(Tz, TimezoneSource)> {
    zone_of_attribute(attribute)
        .map(|tz| (tz, TimezoneSource::Attribute))
        .or_else(|| {
            phone
                .and_then(zone_of_number)
                .map(|tz| (tz, TimezoneSource::Phone))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(number: &str) -> Option<Tz> {
        zone_of_number(&PhoneNumber::parse(number, None).unwrap())
    }

    #[test]
    fn every_listed_zone_is_known() {
        for (prefix, zone) in PREFIX_ZONES {
            if let Some(zone) = zone {
                assert!(Tz::from_str(zone).is_ok(), "{prefix}: {zone}");
            }
        }
        assert!(PREFIX_ZONES.windows(2).all(|w| w[0].0 < w[1].0), "sorted");
    }

    #[test]
    fn area_codes_decide_in_countries_with_several_zones() {
        assert_eq!(zone("+12125550123"), Some(chrono_tz::America::New_York));
        assert_eq!(zone("+14155550123"), Some(chrono_tz::America::Los_Angeles));
        assert_eq!(zone("+16045550123"), Some(chrono_tz::America::Vancouver));
        assert_eq!(zone("+61255501234"), Some(chrono_tz::Australia::Sydney));
        assert_eq!(zone("+61855501234"), None, "08 spans Adelaide and Perth");
    }

    #[test]
    fn single_zone_countries_decide_by_country() {
        assert_eq!(zone("+33612345678"), Some(chrono_tz::Europe::Paris));
        assert_eq!(zone("+4915123456789"), Some(chrono_tz::Europe::Berlin));
    }

    #[test]
    fn an_attribute_wins_over_the_number() {
        let phone = PhoneNumber::parse("+12125550123", None).unwrap();
        let attr = serde_json::json!("Europe/Istanbul");
        assert_eq!(
            contact_zone(Some(&attr), Some(&phone)),
            Some((chrono_tz::Europe::Istanbul, TimezoneSource::Attribute))
        );
        let bad = serde_json::json!("Mars/Olympus");
        assert_eq!(
            contact_zone(Some(&bad), Some(&phone)),
            Some((chrono_tz::America::New_York, TimezoneSource::Phone))
        );
    }
}
