//! What a dispatcher may send, and when: consent at send time, quiet hours in the recipient's
//! zone, the frequency cap, each sender's rate limit and the campaign's throttle. The store
//! holds the rate buckets so that every node shares them; these rules decide, given what the
//! store read, on the database's clock.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::quiet_hours::next_allowed;
use crate::{
    account::{FrequencyCap, QuietHours},
    contact::Consent,
};

/// How a launched campaign sends, fixed at launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPlan {
    /// Messages per second for the whole campaign, besides each sender's limit.
    pub throttle: Option<u32>,
    pub quiet_hours: QuietHours,
    pub frequency_cap: Option<FrequencyCap>,
}

/// How far ahead a claim books send times: a claimed message waits for its moment on the
/// dispatching node, so that a claim every fraction of a second keeps every sender busy.
pub const HORIZON: TimeDelta = TimeDelta::milliseconds(1_000);

/// How far after a claim's time its first moment is booked: the claim's own transaction, and
/// handing the messages to their tasks, take time, and a message handed over after its moment
/// would crowd the one after it.
pub const BOOKING_LEAD: TimeDelta = TimeDelta::milliseconds(100);

/// How late a request may reach the provider after its moment (scheduling, the network) while
/// no second of the provider's clock sees more than the limit: the spacing leaves room for it.
pub const LATENESS_MICROS: i64 = 50_000;

/// The spacing between units of a limit of `rate` per second, in microseconds: `rate` units
/// and one late request fit in any second.
pub fn spacing_micros(rate: u32) -> i64 {
    // Rounded up: rounded down, `rate` spacings could fall short of the second and let one more in.
    let rate = i64::from(rate.max(1));
    (1_000_000 + LATENESS_MICROS + rate - 1) / rate
}

/// Rate limits as token buckets with a burst of one message: each key's next free moment
/// (microseconds since the epoch). A message takes the moment and pays for all its units, so a
/// long message delays the next by as long as its units need (a debt carried forward).
#[derive(Debug, Clone, Default)]
pub struct Buckets {
    /// Now, in microseconds on the database's clock.
    pub now: i64,
    /// Next free moment by key (a sender's, a campaign's throttle).
    pub free_at: HashMap<String, i64>,
}

impl Buckets {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now: now.timestamp_micros(),
            free_at: HashMap::new(),
        }
    }

    fn horizon_end(&self) -> i64 {
        self.now + HORIZON.num_microseconds().expect("a second")
    }

    /// The first moment every limit has room: now, or when the busiest is free again.
    fn moment(&self, limits: &[(&str, u32)]) -> i64 {
        limits
            .iter()
            .map(|(key, _)| self.free_at.get(*key).copied().unwrap_or(i64::MIN))
            .fold(self.now, i64::max)
    }

    /// Whether `key` has a moment free within the horizon.
    pub fn open(&self, key: &str) -> bool {
        self.moment(&[(key, 1)]) <= self.horizon_end()
    }

    /// How many more messages (of one unit at least) `key` can take within the horizon.
    pub fn room(&self, key: &str, rate: u32) -> u32 {
        let from = self.moment(&[(key, rate)]);
        let left = self.horizon_end() - from;
        if left < 0 {
            0
        } else {
            (left / spacing_micros(rate) + 1).min(i64::from(u32::MAX)) as u32
        }
    }

    /// Books `units` on every `(key, rate)` at their first common free moment, if that moment
    /// is within the horizon; returns it.
    pub fn book(&mut self, limits: &[(&str, u32)], units: u32) -> Option<DateTime<Utc>> {
        let moment = self.moment(limits);
        if moment > self.horizon_end() {
            return None;
        }
        for (key, rate) in limits {
            let cost = spacing_micros(*rate).saturating_mul(i64::from(units.max(1)));
            self.free_at.insert((*key).to_owned(), moment + cost);
        }
        DateTime::from_timestamp_micros(moment)
    }
}

/// A queued message as the dispatcher weighs it.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// The sender's rate key and its limit in segments per second.
    pub sender: &'a str,
    pub sender_rate: u32,
    /// SMS segments, or 1 for an MMS.
    pub units: u32,
    /// The campaign's key and plan; `None` for a test message (not marketing: sent at once,
    /// whatever the consent, the hours or the cap).
    pub campaign: Option<(&'a str, &'a RunPlan)>,
    pub timezone: Option<Tz>,
    /// Marketing messages the contact got within the cap's days.
    pub sent_recently: u32,
    /// The contact's consent now.
    pub consent: Consent,
    /// A picture message of an account whose MMS the operator turned off.
    pub mms_refused: bool,
    /// After this moment the message is not sent at all (a triggered message's lateness
    /// budget): skipped as `too_late` rather than sent stale.
    pub expires_at: Option<DateTime<Utc>>,
    /// A cart reminder whose contact completed an order since the cart began (an order that
    /// arrived while the reminder was already with a dispatcher, then put back).
    pub ordered: bool,
}

/// What becomes of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Claimed, to be handed to the provider at this moment.
    Send(DateTime<Utc>),
    /// Outside the recipient's allowed hours: due again at this time.
    Defer(DateTime<Utc>),
    /// Skipped for good, with the reason (`frequency_cap`, `unsubscribed`, `no_consent`,
    /// `mms_disabled`, `too_late`).
    Skip(&'static str),
    /// No room within the horizon: stays queued.
    Wait,
}

/// Decides one candidate, booking its units in the buckets when it is sent.
pub fn decide(candidate: &Candidate, now: DateTime<Utc>, buckets: &mut Buckets) -> Decision {
    let mut limits = vec![(candidate.sender, candidate.sender_rate)];
    if let Some((key, plan)) = candidate.campaign {
        match candidate.consent {
            Consent::Subscribed => {}
            Consent::Unsubscribed => return Decision::Skip("unsubscribed"),
            Consent::Unknown => return Decision::Skip("no_consent"),
        }
        if candidate.mms_refused {
            return Decision::Skip("mms_disabled");
        }
        if candidate.ordered {
            return Decision::Skip("ordered");
        }
        let too_late = |at: DateTime<Utc>| candidate.expires_at.is_some_and(|end| at >= end);
        if too_late(now) {
            return Decision::Skip("too_late");
        }
        let zone = candidate.timezone.unwrap_or(chrono_tz::UTC);
        let allowed = next_allowed(now, zone, plan.quiet_hours);
        if allowed > now {
            // Quiet hours defer it only within its budget.
            return if too_late(allowed) {
                Decision::Skip("too_late")
            } else {
                Decision::Defer(allowed)
            };
        }
        if let Some(cap) = plan.frequency_cap
            && candidate.sent_recently >= cap.messages
        {
            return Decision::Skip("frequency_cap");
        }
        if let Some(throttle) = plan.throttle {
            limits.push((key, throttle));
        }
    }
    match buckets.book(&limits, candidate.units) {
        Some(at) => Decision::Send(at),
        None => Decision::Wait,
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
            consent: Consent::Subscribed,
            mms_refused: false,
            expires_at: None,
            ordered: false,
        }
    }

    #[test]
    fn a_message_past_its_budget_is_skipped_and_quiet_hours_defer_only_within_it() {
        let plan = plan();
        let mut c = candidate(&plan, "America/New_York");
        let noon = at("2026-06-01T16:00:00Z");
        c.expires_at = Some(noon);
        let mut buckets = Buckets::new(noon);
        assert_eq!(decide(&c, noon, &mut buckets), Decision::Skip("too_late"));
        c.expires_at = Some(noon + Duration::minutes(1));
        assert_eq!(decide(&c, noon, &mut buckets), Decision::Send(noon));
        // 23:00 in New York: quiet until 09:00; a budget ending before then skips it now.
        let night = at("2026-06-02T03:00:00Z");
        let mut buckets = Buckets::new(night);
        c.expires_at = Some(night + Duration::hours(2));
        assert_eq!(decide(&c, night, &mut buckets), Decision::Skip("too_late"));
        c.expires_at = Some(night + Duration::hours(24));
        assert!(matches!(
            decide(&c, night, &mut buckets),
            Decision::Defer(_)
        ));
    }

    /// The moments booked, as offsets from `now` in milliseconds.
    fn offsets(decisions: &[Decision], now: DateTime<Utc>) -> Vec<Option<i64>> {
        decisions
            .iter()
            .map(|d| match d {
                Decision::Send(t) => Some((*t - now).num_milliseconds()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_sender_gets_evenly_spaced_moments_within_its_limit() {
        let plan = plan();
        let now = at("2026-06-01T16:00:00Z"); // noon in New York
        let mut buckets = Buckets::new(now);
        let c = candidate(&plan, "America/New_York");
        let decisions: Vec<_> = (0..5).map(|_| decide(&c, now, &mut buckets)).collect();
        // 3 a second, spaced for a late request: 350 ms apart; the fourth is past the horizon.
        assert_eq!(
            offsets(&decisions, now),
            [Some(0), Some(350), Some(700), None, None]
        );
        // Half a second later the horizon holds one more.
        buckets.now += 500_000;
        let later = now + Duration::milliseconds(500);
        assert_eq!(
            decide(&c, later, &mut buckets),
            Decision::Send(now + Duration::milliseconds(1050))
        );
    }

    #[test]
    fn no_second_sees_more_than_the_limit_even_with_late_requests() {
        for rate in [1, 3, 7, 19, 20, 30, 97, 100, 1_000, 9_999] {
            let step = spacing_micros(rate);
            // Any second holds at most `rate` moments when each may arrive up to the lateness
            // late: the moments in [a - lateness, a + 1 s) number at most ceil((1 s + lateness) / step).
            let most = (1_000_000 + LATENESS_MICROS + step - 1) / step;
            assert!(most <= i64::from(rate), "{rate}: {most}");
            assert!(
                i64::from(rate) * step >= 1_000_000 + LATENESS_MICROS,
                "{rate}"
            );
        }
    }

    #[test]
    fn a_long_message_pays_for_all_its_units() {
        let plan = plan();
        let now = at("2026-06-01T16:00:00Z");
        let mut buckets = Buckets::new(now);
        let mut c = candidate(&plan, "America/New_York");
        c.sender_rate = 1;
        c.units = 10;
        assert_eq!(decide(&c, now, &mut buckets), Decision::Send(now));
        // Ten units at 1 a second: the sender is busy for ten spacings.
        c.units = 1;
        for _ in 0..20 {
            buckets.now += 1_000_000;
            let t = DateTime::from_timestamp_micros(buckets.now).unwrap();
            assert_eq!(decide(&c, t, &mut buckets), Decision::Wait, "{t}");
            if buckets.now - now.timestamp_micros() >= 9_000_000 {
                break;
            }
        }
        buckets.now = now.timestamp_micros() + 10_000_000;
        assert_eq!(
            decide(&c, now + Duration::seconds(10), &mut buckets),
            Decision::Send(now + Duration::milliseconds(10_500))
        );
    }

    #[test]
    fn the_campaign_throttle_holds_across_senders() {
        let mut plan = plan();
        plan.throttle = Some(2);
        let now = at("2026-06-01T16:00:00Z");
        let mut buckets = Buckets::new(now);
        let mut c = candidate(&plan, "America/New_York");
        c.sender_rate = 100;
        assert_eq!(decide(&c, now, &mut buckets), Decision::Send(now));
        c.sender = "+15005550007";
        assert_eq!(
            decide(&c, now, &mut buckets),
            Decision::Send(now + Duration::milliseconds(525))
        );
        c.sender = "+15005550008";
        assert_eq!(decide(&c, now, &mut buckets), Decision::Wait);
        // Nothing was booked on the third sender by the refused message.
        assert!(!buckets.free_at.contains_key("+15005550008"));
    }

    #[test]
    fn room_counts_what_fits_in_the_horizon() {
        let now = at("2026-06-01T16:00:00Z");
        let mut buckets = Buckets::new(now);
        assert_eq!(buckets.room("s", 3), 3);
        assert_eq!(buckets.room("s", 100), 96);
        buckets.book(&[("s", 3)], 1);
        assert_eq!(buckets.room("s", 3), 2);
        buckets.book(&[("s", 3)], 5);
        assert_eq!(buckets.room("s", 3), 0);
        assert!(!buckets.open("s"));
    }

    #[test]
    fn at_night_in_the_recipients_zone_the_message_waits_for_morning() {
        let plan = plan();
        // 16:00 UTC is 02:00 in Sydney (AEST): deferred to 08:00 there, 22:00 UTC.
        let now = at("2026-06-01T16:00:00Z");
        let mut buckets = Buckets::new(now);
        let c = candidate(&plan, "Australia/Sydney");
        assert_eq!(
            decide(&c, now, &mut buckets),
            Decision::Defer(at("2026-06-01T22:00:00Z"))
        );
        assert!(buckets.free_at.is_empty());
    }

    #[test]
    fn consent_is_asked_at_send_time_and_only_of_marketing() {
        let plan = plan();
        let now = at("2026-06-01T16:00:00Z");
        let mut buckets = Buckets::new(now);
        let mut c = candidate(&plan, "Australia/Sydney");
        c.consent = Consent::Unsubscribed;
        // Even at night: an opt-out is final, not deferred.
        assert_eq!(
            decide(&c, now, &mut buckets),
            Decision::Skip("unsubscribed")
        );
        c.consent = Consent::Unknown;
        assert_eq!(decide(&c, now, &mut buckets), Decision::Skip("no_consent"));
        c.consent = Consent::Subscribed;
        c.mms_refused = true;
        assert_eq!(
            decide(&c, now, &mut buckets),
            Decision::Skip("mms_disabled")
        );
        // A test message is not marketing.
        c.campaign = None;
        c.consent = Consent::Unsubscribed;
        assert_eq!(decide(&c, now, &mut buckets), Decision::Send(now));
    }

    #[test]
    fn the_frequency_cap_skips_and_tests_ignore_it() {
        let plan = plan();
        let now = at("2026-06-01T16:00:00Z");
        let mut buckets = Buckets::new(now);
        let mut c = candidate(&plan, "America/New_York");
        c.sent_recently = 2;
        assert_eq!(
            decide(&c, now, &mut buckets),
            Decision::Skip("frequency_cap")
        );
        c.campaign = None;
        assert_eq!(decide(&c, now, &mut buckets), Decision::Send(now));
    }

    #[test]
    fn backoff_doubles_and_stops_growing() {
        assert_eq!(backoff(1, 0.0), Duration::seconds(2));
        assert_eq!(backoff(3, 0.0), Duration::seconds(8));
        assert_eq!(backoff(30, 0.0), Duration::seconds(300));
        assert_eq!(backoff(1, 1.0), Duration::milliseconds(2500));
    }
}
