//! What each step holds and whether it is complete. Steps are saved as drafts in any order, as
//! JSON; checking one returns every problem with the field it concerns, so a UI can show where
//! the user stands. (Design and Launch are checked with the message rules and the estimate.)

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{audience::Condition, ids::SegmentId};

/// Shortest and longest cart-reminder delay after the last cart change, in minutes.
pub const CART_DELAY_MINUTES: (u32, u32) = (15, 7 * 24 * 60);
/// A cart reminder's delay when the rule names none, in minutes.
pub const DEFAULT_CART_DELAY_MINUTES: u32 = 60;
/// At most one reminder per contact in this many days when the rule names none.
pub const DEFAULT_PER_CONTACT_DAYS: u32 = 7;
/// How long after it fell due a triggered message may still go, in hours (bounds, default).
pub const LATENESS_HOURS: (u32, u32, u32) = (1, 72, 24);
/// Longest welcome delay, in minutes.
pub const MAX_WELCOME_DELAY_MINUTES: u32 = 7 * 24 * 60;
/// Shortest and longest attribution window, in hours.
pub const GOAL_WINDOW_HOURS: (u32, u32) = (1, 30 * 24);

/// One thing a step lacks or gets wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepProblem {
    /// The field at fault, e.g. `include[1]` or `delay_minutes`.
    pub field: String,
    /// Stable: `required`, `invalid`, `out_of_range`, `unknown_segment`, `conflict`.
    pub code: &'static str,
    pub message: String,
    /// Where in the body, for template problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<crate::template::Position>,
}

pub(crate) fn problem(
    field: impl Into<String>,
    code: &'static str,
    message: impl Into<String>,
) -> StepProblem {
    StepProblem {
        field: field.into(),
        code,
        message: message.into(),
        position: None,
    }
}

/// The Segments step of a Single campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentsStep {
    pub include: Vec<SegmentId>,
    pub exclude: Vec<SegmentId>,
}

/// The Rules step of a Cart Reminder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartRules {
    /// Minutes after the cart's last change with no checkout or order.
    pub delay_minutes: u32,
    pub min_cart_value: Option<f64>,
    /// Only carts holding one of these products (none: any cart).
    pub product_ids: Vec<String>,
    /// At most one reminder per contact in this many days (one per cart always).
    pub per_contact_days: Option<u32>,
    /// How long after it fell due a reminder may still go (quiet hours defer it): later, it is
    /// skipped as `too_late`.
    pub lateness_hours: Option<u32>,
}

impl CartRules {
    pub fn period_days(&self) -> u32 {
        self.per_contact_days.unwrap_or(DEFAULT_PER_CONTACT_DAYS)
    }

    pub fn lateness(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.lateness_hours.unwrap_or(LATENESS_HOURS.2)))
    }
}

/// The Rules step of a Welcome campaign: sent once per contact, after subscribing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WelcomeRules {
    pub delay_minutes: u32,
}

/// The Goals step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Goals {
    /// The conversion event, e.g. `Order Completed`.
    pub event: String,
    /// Property filters in the segment definitions' form.
    pub filters: Vec<Value>,
    pub window_hours: u32,
    /// The event property holding the revenue, e.g. `total`.
    pub revenue_property: Option<String>,
}

/// Reads a step's JSON object, noting each field it did not expect.
pub(crate) fn object<'a>(
    json: &'a Value,
    allowed: &[&str],
    problems: &mut Vec<StepProblem>,
) -> Option<&'a Map<String, Value>> {
    let Some(object) = json.as_object() else {
        problems.push(problem("", "invalid", "a step is a JSON object"));
        return None;
    };
    for key in object.keys().filter(|k| !allowed.contains(&k.as_str())) {
        problems.push(problem(
            key.clone(),
            "invalid",
            format!("unexpected field (allowed: {})", allowed.join(", ")),
        ));
    }
    Some(object)
}

pub(crate) fn whole(
    object: &Map<String, Value>,
    key: &str,
    range: (u32, u32),
    unit: &str,
    problems: &mut Vec<StepProblem>,
) -> Option<u32> {
    // A form's empty optional field arrives as null: the same as leaving it out.
    let value = object.get(key).filter(|v| !v.is_null())?;
    match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
        Some(n) if (range.0..=range.1).contains(&n) => Some(n),
        _ => {
            problems.push(problem(
                key,
                "out_of_range",
                format!(
                    "must be a whole number of {unit} from {} to {}",
                    range.0, range.1
                ),
            ));
            None
        }
    }
}

/// Checks a Segments step; `known` says whether a segment id is one of the account's.
pub fn check_segments(
    json: &Value,
    known: impl Fn(SegmentId) -> bool,
) -> Result<SegmentsStep, Vec<StepProblem>> {
    let mut problems = Vec::new();
    let Some(object) = object(json, &["include", "exclude"], &mut problems) else {
        return Err(problems);
    };
    let mut ids = |key: &str| -> Vec<SegmentId> {
        let mut out = Vec::new();
        match object.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    match item.as_str().and_then(|s| s.parse::<SegmentId>().ok()) {
                        Some(id) if known(id) => out.push(id),
                        Some(_) => problems.push(problem(
                            format!("{key}[{i}]"),
                            "unknown_segment",
                            "no segment of this account has this id",
                        )),
                        None => {
                            problems.push(problem(format!("{key}[{i}]"), "invalid", "a segment id"))
                        }
                    }
                }
            }
            Some(_) => problems.push(problem(key, "invalid", "a list of segment ids")),
        }
        out
    };
    let include = ids("include");
    let exclude = ids("exclude");
    if include.is_empty() && !problems.iter().any(|p| p.field.starts_with("include")) {
        problems.push(problem(
            "include",
            "required",
            "include at least one segment",
        ));
    }
    for (i, id) in exclude.iter().enumerate() {
        if include.contains(id) {
            problems.push(problem(
                format!("exclude[{i}]"),
                "conflict",
                "this segment is also included",
            ));
        }
    }
    if problems.is_empty() {
        Ok(SegmentsStep { include, exclude })
    } else {
        Err(problems)
    }
}

/// Checks a Cart Reminder's Rules step.
pub fn check_cart_rules(json: &Value) -> Result<CartRules, Vec<StepProblem>> {
    let mut problems = Vec::new();
    let allowed = [
        "delay_minutes",
        "min_cart_value",
        "product_ids",
        "per_contact_days",
        "lateness_hours",
    ];
    let Some(object) = object(json, &allowed, &mut problems) else {
        return Err(problems);
    };
    let delay = whole(
        object,
        "delay_minutes",
        CART_DELAY_MINUTES,
        "minutes",
        &mut problems,
    );
    let min_cart_value = match object.get("min_cart_value") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64().filter(|x| x.is_finite() && *x >= 0.0) {
            Some(x) => Some(x),
            None => {
                problems.push(problem(
                    "min_cart_value",
                    "invalid",
                    "a cart value of 0 or more",
                ));
                None
            }
        },
    };
    let mut product_ids = Vec::new();
    match object.get("product_ids") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item.as_str().map(str::trim).filter(|s| !s.is_empty()) {
                    Some(id) => product_ids.push(id.to_owned()),
                    None => problems.push(problem(
                        format!("product_ids[{i}]"),
                        "invalid",
                        "a product id",
                    )),
                }
            }
        }
        Some(_) => problems.push(problem("product_ids", "invalid", "a list of product ids")),
    }
    let per_contact_days = whole(object, "per_contact_days", (1, 365), "days", &mut problems);
    let (least, most, _) = LATENESS_HOURS;
    let lateness_hours = whole(
        object,
        "lateness_hours",
        (least, most),
        "hours",
        &mut problems,
    );
    if problems.is_empty() {
        Ok(CartRules {
            delay_minutes: delay.unwrap_or(DEFAULT_CART_DELAY_MINUTES),
            min_cart_value,
            product_ids,
            per_contact_days,
            lateness_hours,
        })
    } else {
        Err(problems)
    }
}

/// Checks a Welcome campaign's Rules step (no delay: at once).
pub fn check_welcome_rules(json: &Value) -> Result<WelcomeRules, Vec<StepProblem>> {
    let mut problems = Vec::new();
    let Some(object) = object(json, &["delay_minutes"], &mut problems) else {
        return Err(problems);
    };
    let delay = whole(
        object,
        "delay_minutes",
        (0, MAX_WELCOME_DELAY_MINUTES),
        "minutes",
        &mut problems,
    );
    if problems.is_empty() {
        Ok(WelcomeRules {
            delay_minutes: delay.unwrap_or(0),
        })
    } else {
        Err(problems)
    }
}

/// Checks a Goals step.
pub fn check_goals(json: &Value) -> Result<Goals, Vec<StepProblem>> {
    let mut problems = Vec::new();
    let Some(object) = object(
        json,
        &["event", "where", "window_hours", "revenue_property"],
        &mut problems,
    ) else {
        return Err(problems);
    };
    let event = object
        .get("event")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if event.is_none() {
        problems.push(problem(
            "event",
            "required",
            "the conversion event, e.g. Order Completed",
        ));
    }
    let filters = match object.get("where") {
        None | Some(Value::Null) => Vec::new(),
        Some(filters) => {
            // The filters are those of segment definitions: their parser judges them.
            let probe = json!({"event": event.unwrap_or("x"), "where": filters});
            match Condition::parse(&probe) {
                Ok(_) => filters.as_array().cloned().unwrap_or_default(),
                Err(found) => {
                    for p in found {
                        let field = p
                            .path
                            .trim_start_matches('/')
                            .replacen('/', "[", 1)
                            .replacen('/', "].", 1);
                        problems.push(problem(field, "invalid", p.message));
                    }
                    Vec::new()
                }
            }
        }
    };
    let window = whole(
        object,
        "window_hours",
        GOAL_WINDOW_HOURS,
        "hours",
        &mut problems,
    );
    if object.get("window_hours").is_none_or(Value::is_null) {
        problems.push(problem(
            "window_hours",
            "required",
            "the attribution window, 1 hour to 30 days",
        ));
    }
    let revenue_property = match object.get("revenue_property") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(_) => {
            problems.push(problem(
                "revenue_property",
                "invalid",
                "an event property name, e.g. total",
            ));
            None
        }
    };
    match (event, window, problems.is_empty()) {
        (Some(event), Some(window_hours), true) => Ok(Goals {
            event: event.to_owned(),
            filters,
            window_hours,
            revenue_property,
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(problems: Vec<StepProblem>) -> Vec<(String, &'static str)> {
        problems.into_iter().map(|p| (p.field, p.code)).collect()
    }

    #[test]
    fn segments_need_an_include_and_only_the_accounts_segments() {
        let mine = SegmentId::from_random([1; 16]);
        let theirs = SegmentId::from_random([2; 16]);
        let known = |id: SegmentId| id == mine;
        let ok = check_segments(&json!({"include": [mine.to_string()]}), known).unwrap();
        assert_eq!(ok.include, [mine]);
        let bad = check_segments(
            &json!({"include": [theirs.to_string(), "x"], "exclude": [mine.to_string()]}),
            known,
        );
        assert_eq!(
            fields(bad.unwrap_err()),
            [
                ("include[0]".into(), "unknown_segment"),
                ("include[1]".into(), "invalid")
            ]
        );
        assert_eq!(
            fields(check_segments(&json!({}), known).unwrap_err()),
            [("include".into(), "required")]
        );
        let both = check_segments(
            &json!({"include": [mine.to_string()], "exclude": [mine.to_string()]}),
            known,
        );
        assert_eq!(
            fields(both.unwrap_err()),
            [("exclude[0]".into(), "conflict")]
        );
    }

    #[test]
    fn cart_rules_bound_the_delay_and_name_each_bad_field() {
        let ok = check_cart_rules(
            &json!({"delay_minutes": 30, "min_cart_value": 20, "per_contact_days": 7}),
        )
        .unwrap();
        assert_eq!(
            (ok.delay_minutes, ok.min_cart_value, ok.per_contact_days),
            (30, Some(20.0), Some(7))
        );
        let bad = check_cart_rules(
            &json!({"delay_minutes": 5, "min_cart_value": -1, "product_ids": [""], "colour": 1}),
        );
        assert_eq!(
            fields(bad.unwrap_err()),
            [
                ("colour".into(), "invalid"),
                ("delay_minutes".into(), "out_of_range"),
                ("min_cart_value".into(), "invalid"),
                ("product_ids[0]".into(), "invalid")
            ]
        );
        // What a rule leaves out takes the defaults: an hour's delay, one a week, a day late.
        let defaults = check_cart_rules(&json!({})).unwrap();
        assert_eq!(
            (
                defaults.delay_minutes,
                defaults.period_days(),
                defaults.lateness()
            ),
            (60, 7, chrono::Duration::hours(24))
        );
        assert!(check_cart_rules(&json!({"delay_minutes": 10_081})).is_err());
        assert_eq!(
            fields(check_cart_rules(&json!({"lateness_hours": 73})).unwrap_err()),
            [("lateness_hours".into(), "out_of_range")]
        );
        // Regression: the panel sends an empty optional field as null, which was refused as
        // "must be a whole number"; a null required field was neither accepted nor refused.
        let ok = check_cart_rules(
            &json!({"delay_minutes": 60, "min_cart_value": null, "per_contact_days": null}),
        )
        .unwrap();
        assert_eq!(ok.per_contact_days, None);
        assert_eq!(
            check_cart_rules(&json!({"delay_minutes": null}))
                .unwrap()
                .delay_minutes,
            60
        );
    }

    #[test]
    fn welcome_rules_default_to_at_once_and_stop_at_a_week() {
        assert_eq!(check_welcome_rules(&json!({})).unwrap().delay_minutes, 0);
        assert_eq!(
            check_welcome_rules(&json!({"delay_minutes": 10_080}))
                .unwrap()
                .delay_minutes,
            10_080
        );
        assert!(check_welcome_rules(&json!({"delay_minutes": 10_081})).is_err());
    }

    #[test]
    fn goals_need_an_event_and_a_window_and_reuse_segment_filters() {
        let ok = check_goals(&json!({"event": "Order Completed", "window_hours": 72,
            "where": [{"property": "total", "op": ">", "value": 10}], "revenue_property": "total"}))
        .unwrap();
        assert_eq!(
            (
                ok.window_hours,
                ok.revenue_property.as_deref(),
                ok.filters.len()
            ),
            (72, Some("total"), 1)
        );
        let bad =
            check_goals(&json!({"window_hours": 0, "where": [{"property": "total", "op": "~"}]}));
        assert_eq!(
            fields(bad.unwrap_err()),
            [
                ("event".into(), "required"),
                ("where[0].op".into(), "invalid"),
                ("window_hours".into(), "out_of_range")
            ]
        );
        assert!(check_goals(&json!({"event": "x", "window_hours": 721})).is_err());
    }
}
