//! What a dispatcher may send now: quiet hours in the recipient's zone, the frequency cap, each
//! sender's rate limit and the campaign's throttle. The store holds the rate windows so that
//! every node shares them; these rules decide, given what the store read.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::quiet_hours::next_allowed;
use crate::account::{FrequencyCap, QuietHours};

/// How a launched campaign sends, fixed at launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPlan {
    /// Messages per second for the whole campaign, besides each sender's limit.
    pub throttle: Option<u32>,
    pub quiet_hours: QuietHours,
    pub frequency_cap: Option<FrequencyCap>,
}

/// One second's use of a rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// Seconds since the epoch.
    pub second: i64,
    pub used: u32,
}

/// The rate windows a claim reads and writes back, by key (a sender's address, a campaign).
#[derive(Debug, Clone, Default)]
pub struct Budgets {
    pub now_second: i64,
    pub windows: HashMap<String, Window>,
}

impl Budgets {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now_second: now.timestamp(),
            windows: HashMap::new(),
        }
    }

    /// How much of `key`'s limit is left this second.
    fn left(&self, key: &str, limit: u32) -> u32 {
        match self.windows.get(key) {
            Some(w) if w.second == self.now_second => limit.saturating_sub(w.used),
            _ => limit,
        }
    }

    fn fresh(&self, key: &str) -> bool {
        self.left(key, u32::MAX) == u32::MAX
    }

    fn take(&mut self, key: &str, units: u32) {
        let now = self.now_second;
        let window = self.windows.entry(key.to_owned()).or_default();
        if window.second != now {
            *window = Window {
                second: now,
                used: 0,
            };
        }
        window.used = window.used.saturating_add(units);
    }

    /// Takes `units` from every `(key, limit)` if each has room (a message larger than a whole
    /// second's limit goes alone in a fresh second); else takes nothing.
    pub fn take_all(&mut self, limits: &[(&str, u32)], units: u32) -> bool {
        let room = limits
            .iter()
            .all(|(key, limit)| self.left(key, *limit) >= units || self.fresh(key));
        if room {
            for (key, _) in limits {
                self.take(key, units);
            }
        }
        room
    }
}

/// A queued message as the dispatcher weighs it.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// The sender's address and its limit in segments per second.
    pub sender: &'a str,
    pub sender_rate: u32,
    /// SMS segments, or 1 for an MMS.
    pub units: u32,
    /// The campaign's key and plan; `None` for a test message (sent at once, no cap).
    pub campaign: Option<(&'a str, &'a RunPlan)>,
    pub timezone: Option<Tz>,
    /// Marketing messages the contact got within the cap's days.
    pub sent_recently: u32,
}

/// What becomes of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Send,
    /// Outside the recipient's allowed hours: due again at this time.
    Defer(DateTime<Utc>),
    /// The frequency cap is reached: skipped for good.
    Capped,
    /// No room in a rate window this second: stays queued.
    Wait,
}

/// Decides one candidate, taking its units from the budgets when it may be sent.
pub fn decide(candidate: &Candidate, now: DateTime<Utc>, budgets: &mut Budgets) -> Decision {
    let mut limits = vec![(candidate.sender, candidate.sender_rate)];
    if let Some((key, plan)) = candidate.campaign {
        let zone = candidate.timezone.unwrap_or(chrono_tz::UTC);
        let allowed = next_allowed(now, zone, plan.quiet_hours);
        if allowed > now {
            return Decision::Defer(allowed);
        }
        if let Some(cap) = plan.frequency_cap
            && candidate.sent_recently >= cap.messages
        {
            return Decision::Capped;
        }
        if let Some(throttle) = plan.throttle {
            limits.push((key, throttle));
        }
    }
    if budgets.take_all(&limits, candidate.units) {
        Decision::Send
    } else {
        Decision::Wait
    }
}

/// How long after a failed attempt to try again: doubling from 2 s, capped at 5 minutes, with
/// up to a quarter of jitter (`jitter` in 0..1) so that retries spread out.
pub fn backoff(attempts: u32, jitter: f64) -> Duration {
    let base = 2_i64.saturating_pow(attempts.clamp(1, 20)).min(300);
    let millis = (base * 1000) as f64 * (1.0 + jitter.clamp(0.0, 1.0) / 4.0);
    Duration::milliseconds(millis as i64)
}

/// Attempts after which a message that never reached the provider is given up.
pub const MAX_ATTEMPTS: u32 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn plan() -> RunPlan {
        RunPlan {
            throttle: None,
            quiet_hours: QuietHours::default(),
            frequency_cap: Some(FrequencyCap {
                messages: 2,
                days: 7,
            }),
        }
    }

    fn candidate<'a>(plan: &'a RunPlan, zone: &str) -> Candidate<'a> {
        Candidate {
            sender: "+15005550006",
            sender_rate: 3,
            units: 1,
            campaign: Some(("c1", plan)),
            timezone: Some(zone.parse().unwrap()),
            sent_recently: 0,
        }
    }

    #[test]
    fn a_sender_gets_its_limit_per_second_and_no_more() {
        let plan = plan();
        let now = at("2026-06-01T16:00:00Z"); // noon in New York
        let mut budgets = Budgets::new(now);
        let c = candidate(&plan, "America/New_York");
        let decisions: Vec<_> = (0..4).map(|_| decide(&c, now, &mut budgets)).collect();
        assert_eq!(
            decisions,
            [
                Decision::Send,
                Decision::Send,
                Decision::Send,
                Decision::Wait
            ]
        );
        // The next second has room again.
        budgets.now_second += 1;
        assert_eq!(decide(&c, now, &mut budgets), Decision::Send);
    }

    #[test]
    fn the_campaign_throttle_holds_across_senders() {
        let mut plan = plan();
        plan.throttle = Some(2);
        let now = at("2026-06-01T16:00:00Z");
        let mut budgets = Budgets::new(now);
        let mut c = candidate(&plan, "America/New_York");
        assert_eq!(decide(&c, now, &mut budgets), Decision::Send);
        c.sender = "+15005550007";
        assert_eq!(decide(&c, now, &mut budgets), Decision::Send);
        c.sender = "+15005550008";
        assert_eq!(decide(&c, now, &mut budgets), Decision::Wait);
        // Nothing was taken from the third sender by the refused message.
        assert!(budgets.fresh("+15005550008"));
    }

    #[test]
    fn a_message_longer_than_a_second_of_the_limit_goes_alone() {
        let plan = plan();
        let now = at("2026-06-01T16:00:00Z");
        let mut budgets = Budgets::new(now);
        let mut c = candidate(&plan, "America/New_York");
        c.units = 5;
        assert_eq!(decide(&c, now, &mut budgets), Decision::Send);
        assert_eq!(decide(&c, now, &mut budgets), Decision::Wait);
    }

    #[test]
    fn at_night_in_the_recipients_zone_the_message_waits_for_morning() {
        let plan = plan();
        // 16:00 UTC is 02:00 in Sydney (AEST): deferred to 08:00 there, 22:00 UTC.
        let now = at("2026-06-01T16:00:00Z");
        let mut budgets = Budgets::new(now);
        let c = candidate(&plan, "Australia/Sydney");
        assert_eq!(
            decide(&c, now, &mut budgets),
            Decision::Defer(at("2026-06-01T22:00:00Z"))
        );
        assert!(budgets.windows.is_empty());
    }

    #[test]
    fn the_frequency_cap_skips_and_tests_ignore_it() {
        let plan = plan();
        let now = at("2026-06-01T16:00:00Z");
        let mut budgets = Budgets::new(now);
        let mut c = candidate(&plan, "America/New_York");
        c.sent_recently = 2;
        assert_eq!(decide(&c, now, &mut budgets), Decision::Capped);
        c.campaign = None;
        assert_eq!(decide(&c, now, &mut budgets), Decision::Send);
    }

    #[test]
    fn backoff_doubles_and_stops_growing() {
        assert_eq!(backoff(1, 0.0), Duration::seconds(2));
        assert_eq!(backoff(3, 0.0), Duration::seconds(8));
        assert_eq!(backoff(30, 0.0), Duration::seconds(300));
        assert_eq!(backoff(1, 1.0), Duration::milliseconds(2500));
    }
}
