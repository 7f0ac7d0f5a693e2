//! Revenue from conversion events, as integer millionths of the currency unit like the crate's
//! prices ([`crate::account::Micros`]), so that sums stay exact.

use serde_json::{Map, Value};

/// An amount of money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// Millionths of the currency unit.
    pub micros: i64,
    /// ISO 4217, upper-case, e.g. `USD`.
    pub currency: String,
}

/// The largest revenue one event may carry, in units: beyond it the property is a mistake.
const MAX_UNITS: i64 = 1_000_000_000_000;
const MICROS_PER_UNIT: i64 = 1_000_000;

/// The revenue an event carries in `property` (a JSON number, or a string holding a decimal like
/// "42.50"), in the event's own `currency` property (Segment's e-commerce spec) when it is a
/// three-letter code, else `default_currency`. `None` when the property is missing, not a
/// number, negative, or above 10^12 units. Decimals are read exactly, rounded half-up to
/// millionths.
pub fn revenue(
    properties: &Map<String, Value>,
    property: &str,
    default_currency: &str,
) -> Option<Money> {
    let micros = match properties.get(property)? {
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(whole), _) => i64::try_from(whole)
                .ok()
                .filter(|w| *w <= MAX_UNITS)
                .map(|w| w * MICROS_PER_UNIT),
            // f64's Display is its shortest exact decimal, never an exponent.
            (None, Some(f)) if f >= 0.0 => parse_decimal(&f.abs().to_string()),
            _ => None,
        },
        Value::String(s) => parse_decimal(s.trim()),
        _ => None,
    }?;
    let currency = properties
        .get("currency")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|c| is_currency_code(c))
        .unwrap_or(default_currency);
    Some(Money {
        micros,
        currency: currency.to_ascii_uppercase(),
    })
}

/// Millionths as a JSON-friendly decimal (42.5 for 42_500_000): the nearest `f64`, which prints
/// as the exact decimal for amounts below 10^15 millionths.
pub fn to_decimal(micros: i64) -> f64 {
    micros as f64 / MICROS_PER_UNIT as f64
}

/// Whether a currency code is three ASCII letters (settings validate with this).
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Reads a non-negative decimal such as `42.50` as millionths, rounding further digits half-up.
fn parse_decimal(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || (text.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let whole = whole.trim_start_matches('0');
    if whole.len() > 13 {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let kept = &fraction[..fraction.len().min(6)];
    let round_up = fraction.as_bytes().get(6).is_some_and(|&d| d >= b'5');
    let fraction: i64 = format!("{kept:0<6}").parse().ok()?;
    let micros = whole * MICROS_PER_UNIT + fraction + i64::from(round_up);
    (micros <= MAX_UNITS * MICROS_PER_UNIT).then_some(micros)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(properties: Value) -> Option<Money> {
        revenue(properties.as_object().unwrap(), "total", "USD")
    }

    fn money(micros: i64, currency: &str) -> Option<Money> {
        Some(Money {
            micros,
            currency: currency.to_owned(),
        })
    }

    #[test]
    fn a_number_is_revenue_in_the_default_currency() {
        assert_eq!(read(json!({"total": 42.5})), money(42_500_000, "USD"));
        assert_eq!(read(json!({"total": 7})), money(7_000_000, "USD"));
        assert_eq!(read(json!({"total": 19.99})), money(19_990_000, "USD"));
        assert_eq!(read(json!({"total": 0})), money(0, "USD"));
    }

    #[test]
    fn a_decimal_string_is_read_exactly_in_the_events_currency() {
        assert_eq!(
            read(json!({"total": "19.99", "currency": "eur"})),
            money(19_990_000, "EUR")
        );
        assert_eq!(
            read(json!({"total": " 42.50 ", "currency": "dollars"})),
            money(42_500_000, "USD")
        );
        assert_eq!(read(json!({"total": "0.0000005"})), money(1, "USD"));
        assert_eq!(read(json!({"total": "0.0000004"})), money(0, "USD"));
        assert_eq!(read(json!({"total": "1.9999999"})), money(2_000_000, "USD"));
    }

    #[test]
    fn what_is_not_an_amount_is_no_revenue() {
        for bad in [
            json!({}),
            json!({"total": null}),
            json!({"total": -1}),
            json!({"total": -0.5}),
            json!({"total": "abc"}),
            json!({"total": "-1"}),
            json!({"total": "1e3"}),
            json!({"total": ".5"}),
            json!({"total": "1."}),
            json!({"total": ""}),
            json!({"total": true}),
            json!({"total": 1e13}),
            json!({"total": "10000000000000"}),
        ] {
            assert_eq!(read(bad.clone()), None, "{bad}");
        }
        assert_eq!(
            read(json!({"total": "1000000000000"})),
            money(MAX_UNITS * MICROS_PER_UNIT, "USD")
        );
    }

    #[test]
    fn millionths_print_as_decimals() {
        assert_eq!(to_decimal(42_500_000).to_string(), "42.5");
        assert_eq!(to_decimal(19_990_000).to_string(), "19.99");
        assert_eq!(to_decimal(1).to_string(), "0.000001");
        assert!(is_currency_code("eur") && !is_currency_code("EURO") && !is_currency_code("E1R"));
    }
}
