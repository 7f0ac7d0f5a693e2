//! A contact's current cart, kept up to date by the e-commerce events of Segment's spec.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most distinct products a cart keeps; more is almost surely a broken integration.
pub const MAX_CART_ITEMS: usize = 100;

/// One product in a cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartItem {
    pub product_id: String,
    pub name: String,
    pub price: f64,
    pub quantity: u32,
    pub image_url: Option<String>,
    pub url: Option<String>,
}

/// Where the shopper is with the cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CartStatus {
    Open,
    CheckoutStarted,
    Ordered,
}

/// A contact's cart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cart {
    pub items: Vec<CartItem>,
    pub currency: Option<String>,
    pub status: CartStatus,
    /// When the last event that changed the cart happened.
    pub updated_at: DateTime<Utc>,
    /// Which filling of the cart this is: the events' `cart_id` where they carry one, else the
    /// moment the first item went into an empty cart. A reminder is sent once per occurrence.
    #[serde(default)]
    pub occurrence: Option<String>,
    /// When this occurrence began: an order since then ends it.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
}

impl Cart {
    pub fn empty(at: DateTime<Utc>) -> Self {
        Self {
            items: Vec::new(),
            currency: None,
            status: CartStatus::Open,
            updated_at: at,
            occurrence: None,
            started_at: None,
        }
    }

    /// Whether a reminder may be waiting for it: it holds items and no order ended it.
    pub fn abandonable(&self) -> bool {
        !self.items.is_empty() && self.status != CartStatus::Ordered
    }

    /// The sum of price × quantity, in the cart's currency, rounded to cents.
    pub fn total(&self) -> f64 {
        let cents: f64 = self
            .items
            .iter()
            .map(|item| (item.price * 100.0).round() * f64::from(item.quantity))
            .sum();
        cents / 100.0
    }
}

const CART_EVENTS: [&str; 5] = [
    "Product Added",
    "Product Removed",
    "Cart Viewed",
    "Checkout Started",
    "Order Completed",
];

/// Whether an event of this name changes carts.
pub fn is_cart_event(name: &str) -> bool {
    CART_EVENTS.contains(&name)
}

/// The cart after an event happened at `at`. Events older than the cart's last change are
/// ignored, so that late deliveries do not undo newer state. Returns `None` if nothing changed.
pub fn apply_cart_event(
    cart: Option<&Cart>,
    name: &str,
    properties: &Map<String, Value>,
    at: DateTime<Utc>,
) -> Option<Cart> {
    if !is_cart_event(name) || cart.is_some_and(|cart| at < cart.updated_at) {
        return None;
    }
    let mut next = cart.cloned().unwrap_or_else(|| Cart::empty(at));
    if next.status == CartStatus::Ordered {
        // A completed order leaves an empty cart; the next event starts a new one.
        next = Cart::empty(at);
    }
    if let Some(currency) = properties.get("currency").and_then(Value::as_str) {
        next.currency = Some(currency.to_owned());
    }
    match name {
        "Product Added" => {
            if let Some(item) = item_of(properties) {
                add(&mut next.items, item);
            }
        }
        "Product Removed" => {
            if let Some(id) = product_id(properties) {
                let quantity = properties.get("quantity").and_then(Value::as_u64);
                remove(&mut next.items, &id, quantity);
            }
        }
        "Cart Viewed" | "Checkout Started" => {
            if let Some(products) = properties.get("products").and_then(Value::as_array) {
                next.items.clear();
                for product in products.iter().filter_map(Value::as_object) {
                    if let Some(item) = item_of(product) {
                        add(&mut next.items, item);
                    }
                }
            }
            if name == "Checkout Started" {
                next.status = CartStatus::CheckoutStarted;
            }
        }
        _ => {
            next.items.clear();
            next.status = CartStatus::Ordered;
        }
    }
    next.updated_at = at;
    let cart_id = ["cart_id", "checkout_id"]
        .iter()
        .find_map(|key| properties.get(*key).and_then(Value::as_str))
        .filter(|id| !id.is_empty() && id.len() <= 200)
        .map(|id| format!("cart:{id}"));
    let was_empty = cart.is_none_or(|c| c.items.is_empty() || c.status == CartStatus::Ordered);
    if next.items.is_empty() {
        next.occurrence = None;
        next.started_at = None;
    } else if was_empty
        || next.occurrence.is_none()
        || cart_id.as_ref().is_some_and(|id| {
            next.occurrence
                .as_deref()
                .and_then(|occurrence| occurrence.rsplit_once('@'))
                .is_none_or(|(named, _)| named != id)
        })
    {
        // Named with its start too: a shop that reuses a cart id after an order still gets a
        // new occurrence (and a cart kept from before occurrences existed gets its first).
        let start = at.timestamp_millis();
        next.occurrence =
            Some(cart_id.map_or_else(|| format!("at:{start}"), |id| format!("{id}@{start}")));
        next.started_at = Some(at);
    }
    (cart != Some(&next)).then_some(next)
}

fn product_id(p: &Map<String, Value>) -> Option<String> {
    ["product_id", "sku", "id"]
        .iter()
        .find_map(|key| match p.get(*key)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

fn item_of(p: &Map<String, Value>) -> Option<CartItem> {
    let id = product_id(p)?;
    let text = |key: &str| p.get(key).and_then(Value::as_str).map(str::to_owned);
    let price = match p.get("price") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|price: &f64| price.is_finite() && *price >= 0.0)
    .unwrap_or(0.0);
    let quantity = p
        .get("quantity")
        .and_then(Value::as_u64)
        .map_or(1, |q| q.clamp(1, 10_000) as u32);
    Some(CartItem {
        name: text("name").unwrap_or_else(|| id.clone()),
        product_id: id,
        price,
        quantity,
        image_url: text("image_url"),
        url: text("url"),
    })
}

fn add(items: &mut Vec<CartItem>, item: CartItem) {
    if let Some(existing) = items.iter_mut().find(|i| i.product_id == item.product_id) {
        existing.quantity = existing.quantity.saturating_add(item.quantity);
        existing.price = item.price;
        existing.name = item.name;
        existing.image_url = item.image_url.or(existing.image_url.take());
        existing.url = item.url.or(existing.url.take());
    } else if items.len() < MAX_CART_ITEMS {
        items.push(item);
    }
}

fn remove(items: &mut Vec<CartItem>, id: &str, quantity: Option<u64>) {
    if let Some(i) = items.iter().position(|item| item.product_id == id) {
        match quantity {
            Some(q) if q < u64::from(items[i].quantity) => items[i].quantity -= q as u32,
            _ => {
                items.remove(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use serde_json::json;

    use super::*;

    fn props(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn adding_removing_and_ordering_walk_a_cart_through_its_life() {
        let t0 = Utc::now();
        let shoe = props(json!({"product_id": "p1", "name": "Shoe", "price": 49.99,
            "quantity": 1, "image_url": "https://shop.example/p1.jpg"}));
        let cart = apply_cart_event(None, "Product Added", &shoe, t0).unwrap();
        let cart = apply_cart_event(Some(&cart), "Product Added", &shoe, t0).unwrap();
        assert_eq!(cart.items[0].quantity, 2);
        assert_eq!(cart.total(), 99.98);
        let sock = props(json!({"sku": "s9", "name": "Sock", "price": "3.5", "quantity": 4}));
        let cart = apply_cart_event(Some(&cart), "Product Added", &sock, t0).unwrap();
        assert_eq!(cart.total(), 113.98);
        let one = props(json!({"product_id": "p1", "quantity": 1}));
        let cart = apply_cart_event(Some(&cart), "Product Removed", &one, t0).unwrap();
        assert_eq!(cart.total(), 63.99);
        let checkout =
            props(json!({"products": [{"product_id": "s9", "price": 3.5, "quantity": 2}]}));
        let cart = apply_cart_event(Some(&cart), "Checkout Started", &checkout, t0).unwrap();
        assert_eq!(
            (cart.status, cart.total()),
            (CartStatus::CheckoutStarted, 7.0)
        );
        let cart = apply_cart_event(Some(&cart), "Order Completed", &Map::new(), t0).unwrap();
        assert_eq!((cart.status, cart.items.len()), (CartStatus::Ordered, 0));
        let cart = apply_cart_event(Some(&cart), "Product Added", &sock, t0).unwrap();
        assert_eq!((cart.status, cart.items.len()), (CartStatus::Open, 1));
    }

    #[test]
    fn an_occurrence_begins_with_the_first_item_or_a_new_cart_id() {
        let t0 = Utc::now();
        let t1 = t0 + TimeDelta::minutes(1);
        let shoe = props(json!({"product_id": "p1", "price": 10}));
        let cart = apply_cart_event(None, "Product Added", &shoe, t0).unwrap();
        let first = format!("at:{}", t0.timestamp_millis());
        assert_eq!(cart.occurrence.as_deref(), Some(first.as_str()));
        assert!(cart.abandonable());
        // More activity keeps the occurrence (the timer restarts, the reminder stays one).
        let cart = apply_cart_event(Some(&cart), "Product Added", &shoe, t1).unwrap();
        assert_eq!(
            (cart.occurrence.as_deref(), cart.started_at),
            (Some(first.as_str()), Some(t0))
        );
        // Emptied, then filled again: a new occurrence.
        let cart = apply_cart_event(Some(&cart), "Product Removed", &shoe, t1).unwrap();
        assert_eq!(
            (cart.occurrence.as_deref(), cart.abandonable()),
            (None, false)
        );
        let t2 = t1 + TimeDelta::minutes(1);
        let cart = apply_cart_event(Some(&cart), "Product Added", &shoe, t2).unwrap();
        assert_eq!(cart.started_at, Some(t2));
        // A cart id in the events names the occurrence; a new one starts another.
        let with_id = props(json!({"product_id": "p2", "price": 5, "cart_id": "c-7"}));
        let cart = apply_cart_event(Some(&cart), "Product Added", &with_id, t2).unwrap();
        let named = format!("cart:c-7@{}", t2.timestamp_millis());
        assert_eq!(cart.occurrence.as_deref(), Some(named.as_str()));
        // The same cart id after an order is another occurrence.
        let t3 = t2 + TimeDelta::minutes(1);
        let ordered_then =
            apply_cart_event(Some(&cart), "Order Completed", &Map::new(), t3).unwrap();
        let again = apply_cart_event(Some(&ordered_then), "Product Added", &with_id, t3).unwrap();
        assert_ne!(again.occurrence, cart.occurrence);
        // A cart stored before occurrences existed gets one with its next event.
        let mut legacy = cart.clone();
        legacy.occurrence = None;
        legacy.started_at = None;
        let t4 = t3 + TimeDelta::minutes(1);
        let next = apply_cart_event(Some(&legacy), "Product Added", &shoe, t4).unwrap();
        assert_eq!(next.started_at, Some(t4));
        let ordered = apply_cart_event(Some(&cart), "Order Completed", &Map::new(), t2).unwrap();
        assert_eq!(
            (ordered.occurrence.as_deref(), ordered.abandonable()),
            (None, false)
        );
    }

    #[test]
    fn late_and_unrelated_events_change_nothing() {
        let t0 = Utc::now();
        let shoe = props(json!({"product_id": "p1", "price": 10}));
        let cart = apply_cart_event(None, "Product Added", &shoe, t0).unwrap();
        let earlier = t0 - TimeDelta::minutes(5);
        assert_eq!(
            apply_cart_event(Some(&cart), "Order Completed", &Map::new(), earlier),
            None
        );
        assert_eq!(apply_cart_event(Some(&cart), "Signed Up", &shoe, t0), None);
        let no_id = props(json!({"name": "Mystery"}));
        assert_eq!(
            apply_cart_event(Some(&cart), "Product Added", &no_id, t0),
            None
        );
    }
}
