//! What a campaign earned: which link hits were people, which message each conversion is
//! credited to, revenue, and the lift over a holdout.

pub mod attribution;
pub mod hits;
pub mod holdout;
pub mod lift;
pub mod revenue;

use chrono::TimeDelta;
use serde_json::{Map, Value, json};

use crate::{
    audience::{Comparison, Condition},
    campaign::steps::Goals,
};

/// A campaign's goal, ready to match events: its event name, filters and window.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub event: String,
    pub filters: Vec<Comparison>,
    pub window: TimeDelta,
    pub revenue_property: Option<String>,
}

impl Goal {
    /// From a checked Goals step; its filters were validated by the step's check, so parsing
    /// them again cannot fail.
    pub fn from_step(step: &Goals) -> Goal {
        let probe = json!({"event": step.event, "where": step.filters});
        let filters = match Condition::parse(&probe) {
            Ok(Condition::Event(event)) => event.filters,
            other => panic!("a checked Goals step has valid filters, found {other:?}"),
        };
        Goal {
            event: step.event.clone(),
            filters,
            window: TimeDelta::hours(i64::from(step.window_hours)),
            revenue_property: step.revenue_property.clone(),
        }
    }

    /// Whether an event named `name` with these properties is a conversion.
    pub fn matches(&self, name: &str, properties: &Map<String, Value>) -> bool {
        name == self.event && self.filters.iter().all(|f| f.holds(properties))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::steps::check_goals;

    #[test]
    fn a_goal_matches_its_event_where_the_filters_hold() {
        let step = check_goals(&json!({
            "event": "Order Completed",
            "where": [{"property": "total", "op": ">", "value": 10}],
            "window_hours": 24,
            "revenue_property": "total"
        }))
        .unwrap();
        let goal = Goal::from_step(&step);
        assert_eq!(goal.window, TimeDelta::hours(24));
        assert_eq!(goal.revenue_property.as_deref(), Some("total"));
        let props = |v: Value| v.as_object().unwrap().clone();
        assert!(goal.matches("Order Completed", &props(json!({"total": 12.5}))));
        assert!(!goal.matches("Order Completed", &props(json!({"total": 8}))));
        assert!(!goal.matches("Order Completed", &props(json!({}))));
        assert!(!goal.matches("Cart Viewed", &props(json!({"total": 12.5}))));
    }

    #[test]
    fn a_goal_without_filters_matches_every_event_of_its_name() {
        let step = check_goals(&json!({"event": "Signed Up", "window_hours": 1})).unwrap();
        let goal = Goal::from_step(&step);
        assert!(goal.filters.is_empty());
        assert!(goal.matches("Signed Up", &Map::new()));
    }
}
