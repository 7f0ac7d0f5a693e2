//! The Launch step: when to send (now or a local time in the account's timezone), the throttle,
//! quiet hours and frequency cap (the account's unless overridden), and for triggered campaigns
//! the date they stop.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{
    CampaignType,
    steps::{StepProblem, object, problem},
};
use crate::account::{FrequencyCap, QuietHours, Timezone};

/// How far ahead a campaign may be scheduled.
pub const MAX_AHEAD_DAYS: i64 = 366;

/// A checked Launch step, with the account's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LaunchPlan {
    /// `None`: at once.
    pub send_at: Option<DateTime<Utc>>,
    /// Most SMS segments per second for this campaign; each sender's own limit applies too.
    pub throttle: Option<u32>,
    pub quiet_hours: QuietHours,
    pub frequency_cap: Option<FrequencyCap>,
    /// When a triggered campaign stops.
    pub end_at: Option<DateTime<Utc>>,
    /// The share of recipients kept unsent to measure the lift (0–50 %).
    pub holdout_percent: u8,
}

/// What the check needs besides the step's JSON.
pub struct LaunchRules {
    pub kind: CampaignType,
    pub timezone: Timezone,
    pub now: DateTime<Utc>,
    pub quiet_hours: QuietHours,
    pub frequency_cap: Option<FrequencyCap>,
    /// The fastest sender's limit in segments per second, if the account has senders.
    pub fastest_sender: Option<u32>,
}

/// Checks a Launch step; an empty one sends at once with the account's rules.
pub fn check_launch(json: &Value, rules: &LaunchRules) -> Result<LaunchPlan, Vec<StepProblem>> {
    let mut problems = Vec::new();
    let allowed = [
        "send_at",
        "throttle",
        "quiet_hours",
        "frequency_cap",
        "end_at",
        "holdout_percent",
    ];
    let Some(object) = object(json, &allowed, &mut problems) else {
        return Err(problems);
    };
    let send_at = time(object, "send_at", rules, &mut problems);
    let end_at = time(object, "end_at", rules, &mut problems);
    if end_at.is_some() && !rules.kind.triggered() {
        problems.push(problem(
            "end_at",
            "invalid",
            "only Cart Reminder and Welcome campaigns have an end date",
        ));
    }
    if let (Some(end), start) = (end_at, send_at.unwrap_or(rules.now))
        && end <= start
    {
        problems.push(problem(
            "end_at",
            "invalid",
            "the end date must come after the start",
        ));
    }
    let throttle = match object.get("throttle") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().filter(|n| (1..=10_000).contains(n)) {
            Some(n) => {
                let n = n as u32;
                if let Some(fastest) = rules.fastest_sender.filter(|f| n > *f) {
                    problems.push(problem(
                        "throttle",
                        "out_of_range",
                        format!(
                            "{n} segments per second is above every sender's limit (the fastest allows {fastest})"
                        ),
                    ));
                }
                Some(n)
            }
            None => {
                problems.push(problem(
                    "throttle",
                    "out_of_range",
                    "segments per second, a whole number from 1 to 10000",
                ));
                None
            }
        },
    };
    let holdout_percent = match object.get("holdout_percent") {
        None | Some(Value::Null) => 0,
        Some(v) => match v
            .as_u64()
            .filter(|n| *n <= u64::from(crate::goals::holdout::MAX_HOLDOUT_PERCENT))
        {
            Some(n) => n as u8,
            None => {
                problems.push(problem(
                    "holdout_percent",
                    "out_of_range",
                    "the share held out, a whole number from 0 to 50",
                ));
                0
            }
        },
    };
    let quiet_hours = match object.get("quiet_hours") {
        None | Some(Value::Null) => rules.quiet_hours,
        Some(v) => match serde_json::from_value::<QuietHours>(v.clone()) {
            Ok(hours) => {
                if let Err(e) = hours.validate() {
                    problems.push(problem("quiet_hours", "invalid", e.message));
                }
                hours
            }
            Err(_) => {
                problems.push(problem(
                    "quiet_hours",
                    "invalid",
                    "{\"allowed_from\": \"HH:MM\", \"allowed_until\": \"HH:MM\"}",
                ));
                rules.quiet_hours
            }
        },
    };
    let frequency_cap = match object.get("frequency_cap") {
        None | Some(Value::Null) => rules.frequency_cap,
        Some(Value::String(s)) if s == "off" => None,
        Some(v) => match serde_json::from_value::<FrequencyCap>(v.clone()) {
            Ok(cap) => {
                if let Err(e) = cap.validate() {
                    problems.push(problem("frequency_cap", "invalid", e.message));
                }
                Some(cap)
            }
            Err(_) => {
                problems.push(problem(
                    "frequency_cap",
                    "invalid",
                    "{\"messages\": N, \"days\": D}, or \"off\"",
                ));
                rules.frequency_cap
            }
        },
    };
    if problems.is_empty() {
        Ok(LaunchPlan {
            send_at,
            throttle,
            quiet_hours,
            frequency_cap,
            end_at,
            holdout_percent,
        })
    } else {
        Err(problems)
    }
}

/// A moment: `YYYY-MM-DDTHH:MM` in the account's timezone, or RFC 3339 with an offset; in the
/// future, and a start within [`MAX_AHEAD_DAYS`].
fn time(
    object: &Map<String, Value>,
    key: &str,
    rules: &LaunchRules,
    problems: &mut Vec<StepProblem>,
) -> Option<DateTime<Utc>> {
    let text = match object.get(key) {
        None | Some(Value::Null) => return None,
        Some(Value::String(s)) if key == "send_at" && s == "now" => return None,
        Some(Value::String(s)) => s.trim(),
        Some(_) => {
            problems.push(problem(
                key,
                "invalid",
                "a date and time, e.g. 2026-12-01T10:00",
            ));
            return None;
        }
    };
    let zone = rules.timezone.tz();
    let at = match DateTime::parse_from_rfc3339(text) {
        Ok(at) => at.with_timezone(&Utc),
        Err(_) => {
            let Ok(local) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M") else {
                problems.push(problem(
                    key,
                    "invalid",
                    format!("{text:?} is not a date and time; write e.g. 2026-12-01T10:00"),
                ));
                return None;
            };
            match zone.from_local_datetime(&local).earliest() {
                Some(at) => at.with_timezone(&Utc),
                None => {
                    problems.push(problem(
                        key,
                        "invalid",
                        format!("{text} does not exist in {zone} (the clocks skip it)"),
                    ));
                    return None;
                }
            }
        }
    };
    if at <= rules.now {
        problems.push(problem(
            key,
            "in_the_past",
            format!(
                "{} in {zone} has passed: choose a later time, or send now",
                at.with_timezone(&zone).format("%Y-%m-%d %H:%M")
            ),
        ));
    } else if key == "send_at" && at > rules.now + Duration::days(MAX_AHEAD_DAYS) {
        problems.push(problem(
            key,
            "out_of_range",
            format!("at most {MAX_AHEAD_DAYS} days ahead"),
        ));
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rules(kind: CampaignType) -> LaunchRules {
        LaunchRules {
            kind,
            timezone: "Europe/Istanbul".parse().unwrap(),
            now: "2026-11-27T12:00:00Z".parse().unwrap(),
            quiet_hours: QuietHours::default(),
            frequency_cap: Some(FrequencyCap {
                messages: 3,
                days: 7,
            }),
            fastest_sender: Some(30),
        }
    }

    fn codes(json: Value, kind: CampaignType) -> Vec<(String, &'static str)> {
        check_launch(&json, &rules(kind))
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.field, p.code))
            .collect()
    }

    #[test]
    fn an_empty_launch_sends_now_with_the_accounts_rules() {
        let plan = check_launch(&json!({}), &rules(CampaignType::Single)).unwrap();
        assert_eq!(plan.send_at, None);
        assert_eq!(plan.quiet_hours, QuietHours::default());
        assert_eq!(plan.frequency_cap.unwrap().messages, 3);
    }

    #[test]
    fn a_local_time_is_read_in_the_accounts_timezone() {
        let plan = check_launch(
            &json!({"send_at": "2026-12-01T10:00", "throttle": 10, "frequency_cap": "off",
                "quiet_hours": {"allowed_from": "09:00", "allowed_until": "20:00"}}),
            &rules(CampaignType::Single),
        )
        .unwrap();
        // Istanbul is UTC+3 all year.
        assert_eq!(plan.send_at, Some("2026-12-01T07:00:00Z".parse().unwrap()));
        assert_eq!((plan.throttle, plan.frequency_cap), (Some(10), None));
        let offset = check_launch(
            &json!({"send_at": "2026-12-01T10:00:00-05:00"}),
            &rules(CampaignType::Single),
        )
        .unwrap();
        assert_eq!(
            offset.send_at,
            Some("2026-12-01T15:00:00Z".parse().unwrap())
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(
            codes(
                json!({"send_at": "2026-11-27T14:00", "throttle": 31, "end_at": "2027-01-01T00:00"}),
                CampaignType::Single
            ),
            [
                ("send_at".into(), "in_the_past"),
                ("end_at".into(), "invalid"),
                ("throttle".into(), "out_of_range")
            ]
        );
        assert_eq!(
            codes(
                json!({"send_at": "tomorrow", "quiet_hours": {"allowed_from": "09:00", "allowed_until": "09:00"},
                "frequency_cap": {"messages": 0, "days": 1}}),
                CampaignType::Single
            ),
            [
                ("send_at".into(), "invalid"),
                ("quiet_hours".into(), "invalid"),
                ("frequency_cap".into(), "invalid")
            ]
        );
        assert_eq!(
            codes(json!({"send_at": "2028-01-01T10:00"}), CampaignType::Single),
            [("send_at".into(), "out_of_range")]
        );
    }

    #[test]
    fn triggered_campaigns_may_end_after_they_start() {
        assert!(codes(json!({"end_at": "2027-01-01T00:00"}), CampaignType::Welcome).is_empty());
        assert_eq!(
            codes(
                json!({"send_at": "2027-01-02T00:00", "end_at": "2027-01-01T00:00"}),
                CampaignType::CartReminder
            ),
            [("end_at".into(), "invalid")]
        );
    }
}
