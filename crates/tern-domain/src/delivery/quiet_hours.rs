//! Quiet hours in the recipient's local time: a message due outside the allowed window is
//! deferred to the window's next opening, never dropped.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::account::QuietHours;

/// The earliest moment at or after `due` that falls inside `hours` in `zone`. A window whose
/// end comes before its start spans midnight (e.g. 20:00 to 02:00).
pub fn next_allowed(due: DateTime<Utc>, zone: Tz, hours: QuietHours) -> DateTime<Utc> {
    let from = u32::from(hours.allowed_from.minutes());
    let until = u32::from(hours.allowed_until.minutes());
    let local = due.with_timezone(&zone);
    let minute = local.hour() * 60 + local.minute();
    let inside = if from < until {
        (from..until).contains(&minute)
    } else {
        minute >= from || minute < until
    };
    if inside {
        return due;
    }
    // The next opening: today's if it is still ahead, else tomorrow's.
    let mut day = local.date_naive();
    if minute >= from {
        day = day.succ_opt().unwrap_or(day);
    }
    let opening = NaiveTime::from_hms_opt(from / 60, from % 60, 0).expect("a clock time");
    let wall = day.and_time(opening);
    match zone.from_local_datetime(&wall).earliest() {
        Some(at) => at.with_timezone(&Utc),
        // The clocks skip the opening (a DST gap): the first minute after it exists.
        None => (0..180)
            .find_map(|m| {
                zone.from_local_datetime(&(wall + Duration::minutes(m)))
                    .earliest()
            })
            .map_or(due, |at| at.with_timezone(&Utc)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(from: &str, until: &str) -> QuietHours {
        QuietHours {
            allowed_from: from.parse().unwrap(),
            allowed_until: until.parse().unwrap(),
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn inside_the_window_a_message_goes_at_once() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 15:00 UTC is 10:00 in New York in winter.
        let due = utc("2026-12-01T15:00:00Z");
        assert_eq!(next_allowed(due, ny, hours("08:00", "21:00")), due);
    }

    #[test]
    fn at_3_am_local_a_message_waits_for_the_morning_not_the_next_day() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 08:00 UTC is 03:00 in New York: deferred to 08:00 local, 13:00 UTC the same day.
        assert_eq!(
            next_allowed(utc("2026-12-01T08:00:00Z"), ny, hours("08:00", "21:00")),
            utc("2026-12-01T13:00:00Z")
        );
        // 22:30 local: the next morning.
        assert_eq!(
            next_allowed(utc("2026-12-02T03:30:00Z"), ny, hours("08:00", "21:00")),
            utc("2026-12-02T13:00:00Z")
        );
    }

    #[test]
    fn the_same_moment_differs_by_the_recipients_zone() {
        let due = utc("2026-12-01T20:00:00Z");
        let istanbul: Tz = "Europe/Istanbul".parse().unwrap();
        let la: Tz = "America/Los_Angeles".parse().unwrap();
        // 23:00 in Istanbul (wait for 08:00 = 05:00 UTC); 12:00 in Los Angeles (go).
        assert_eq!(
            next_allowed(due, istanbul, hours("08:00", "21:00")),
            utc("2026-12-02T05:00:00Z")
        );
        assert_eq!(next_allowed(due, la, hours("08:00", "21:00")), due);
    }

    #[test]
    fn windows_may_span_midnight_and_openings_in_a_dst_gap_move_to_the_first_real_minute() {
        let utc_zone: Tz = "UTC".parse().unwrap();
        let night = hours("20:00", "02:00");
        assert_eq!(
            next_allowed(utc("2026-12-01T01:00:00Z"), utc_zone, night),
            utc("2026-12-01T01:00:00Z")
        );
        assert_eq!(
            next_allowed(utc("2026-12-01T03:00:00Z"), utc_zone, night),
            utc("2026-12-01T20:00:00Z")
        );
        // New York skips 02:00–03:00 on 2027-03-14.
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            next_allowed(utc("2027-03-14T05:00:00Z"), ny, hours("02:30", "21:00")),
            utc("2027-03-14T07:00:00Z")
        );
    }
}
