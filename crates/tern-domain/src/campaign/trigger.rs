//! Triggered campaigns: what becomes of a trigger, the guard a cart reminder passes when it
//! falls due, and how long the provider may still hold a message that must not arrive late.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::steps::CartRules;
use crate::contact::{Cart, CartStatus};

/// Where a trigger stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerState {
    /// Found; its message is made when it falls due.
    Waiting,
    /// Its message is in the outbox (the message's own state says how it went).
    Sent,
    /// Ended before it fell due: an order, an emptied cart, the campaign cancelled.
    Cancelled,
    /// Fell due, and the guard found a reason not to send.
    Skipped,
}

impl TriggerState {
    pub const ALL: [TriggerState; 4] = [Self::Waiting, Self::Sent, Self::Cancelled, Self::Skipped];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Sent => "sent",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
        }
    }
}

impl std::str::FromStr for TriggerState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| format!("unknown trigger state {s:?}"))
    }
}

/// The key of a Welcome trigger: one per contact and campaign, ever.
pub const WELCOME_KEY: &str = "welcome";

/// Why a cart reminder that fell due must not go, or `None` to send it. `ordered_since`: the
/// contact completed an order since the cart's occurrence began (events arriving late and out
/// of order included).
pub fn cart_guard(
    cart: Option<&Cart>,
    occurrence: &str,
    rules: &CartRules,
    ordered_since: bool,
) -> Option<&'static str> {
    if ordered_since || cart.is_some_and(|c| c.status == CartStatus::Ordered) {
        return Some("ordered");
    }
    let Some(cart) = cart.filter(|c| c.abandonable()) else {
        return Some("cart_emptied");
    };
    if cart.occurrence.as_deref() != Some(occurrence) {
        // Another filling of the cart has its own trigger.
        return Some("new_cart");
    }
    if rules.min_cart_value.is_some_and(|min| cart.total() < min) {
        return Some("below_min_value");
    }
    if !rules.product_ids.is_empty()
        && !cart
            .items
            .iter()
            .any(|item| rules.product_ids.contains(&item.product_id))
    {
        return Some("no_matching_product");
    }
    None
}

/// Twilio's longest validity period, in seconds.
pub const MAX_VALIDITY_SECS: i64 = 36_000;

/// The `ValidityPeriod` for a message that must not go after `expires_at`: what is left of its
/// budget, 1 s to Twilio's 36,000 s; `None` without a budget (Twilio's default applies).
pub fn validity_period(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<u32> {
    expires_at.map(|end| (end - now).num_seconds().clamp(1, MAX_VALIDITY_SECS) as u32)
}

/// When a trigger found with its last activity at `activity` falls due.
pub fn due_after(activity: DateTime<Utc>, delay_minutes: u32) -> DateTime<Utc> {
    activity + Duration::minutes(i64::from(delay_minutes))
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;
    use crate::contact::apply_cart_event;

    fn rules(v: serde_json::Value) -> CartRules {
        super::super::steps::check_cart_rules(&v).unwrap()
    }

    fn cart_with(products: &[(&str, f64)]) -> Cart {
        let at = Utc::now();
        products.iter().fold(Cart::empty(at), |cart, (id, price)| {
            let p = json!({"product_id": id, "price": price});
            apply_cart_event(Some(&cart), "Product Added", p.as_object().unwrap(), at).unwrap()
        })
    }

    #[test]
    fn the_guard_names_what_changed_since_the_trigger_was_found() {
        let cart = cart_with(&[("shoe", 40.0), ("sock", 5.0)]);
        let key = cart.occurrence.clone().unwrap();
        let any = rules(json!({}));
        assert_eq!(cart_guard(Some(&cart), &key, &any, false), None);
        assert_eq!(cart_guard(Some(&cart), &key, &any, true), Some("ordered"));
        assert_eq!(cart_guard(None, &key, &any, false), Some("cart_emptied"));
        assert_eq!(
            cart_guard(Some(&cart), "at:1", &any, false),
            Some("new_cart")
        );
        let ordered = apply_cart_event(Some(&cart), "Order Completed", &Map::new(), Utc::now());
        assert_eq!(
            cart_guard(ordered.as_ref(), &key, &any, false),
            Some("ordered")
        );
        let rich = rules(json!({"min_cart_value": 50}));
        assert_eq!(
            cart_guard(Some(&cart), &key, &rich, false),
            Some("below_min_value")
        );
        let hats = rules(json!({"product_ids": ["hat"]}));
        assert_eq!(
            cart_guard(Some(&cart), &key, &hats, false),
            Some("no_matching_product")
        );
        let socks = rules(json!({"product_ids": ["sock"], "min_cart_value": 45}));
        assert_eq!(cart_guard(Some(&cart), &key, &socks, false), None);
    }

    #[test]
    fn the_validity_period_is_what_is_left_of_the_budget_within_twilios_bounds() {
        let now = Utc::now();
        assert_eq!(validity_period(None, now), None);
        assert_eq!(
            validity_period(Some(now + Duration::minutes(10)), now),
            Some(600)
        );
        assert_eq!(
            validity_period(Some(now + Duration::hours(24)), now),
            Some(36_000)
        );
        assert_eq!(
            validity_period(Some(now - Duration::seconds(5)), now),
            Some(1)
        );
    }
}
