//! One credit per conversion: the message that most recently reached the contact (a person's
//! click before a mere delivery) gets it, the others whose windows held it assisted.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// A message that reached the contact who converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    pub message: i64,
    /// When it reached the recipient: delivered, or sent when no receipt came.
    pub at: DateTime<Utc>,
    /// The attribution window of the touch's campaign's goal.
    pub window: TimeDelta,
    /// The recipient's clicks on the message's links (bots and previewers left out).
    pub human_clicks: Vec<DateTime<Utc>>,
}

/// What earned a message its credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditedBy {
    Click,
    Delivery,
}

/// The message a conversion is credited to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub message: i64,
    pub by: CreditedBy,
    /// The other touches whose window holds the conversion (by delivery or click), ascending
    /// message id, without the credited one.
    pub assisted: Vec<i64>,
}

/// The message a conversion at `at` is credited to, among the touches of the one contact whose
/// campaigns' goals it matches (the caller filters): the latest human click whose window
/// (click ≤ at ≤ click + window) holds it, else the latest delivery whose window
/// (touch.at ≤ at ≤ touch.at + window) holds it; `None` when no window holds it. Ties go to
/// the larger message id (the later message).
pub fn credit(at: DateTime<Utc>, touches: &[Touch]) -> Option<Credit> {
    let holds = |from: DateTime<Utc>, window: TimeDelta| from <= at && at <= from + window;
    let by_click = touches
        .iter()
        .flat_map(|t| t.human_clicks.iter().map(move |&click| (click, t)))
        .filter(|(click, t)| holds(*click, t.window))
        .map(|(click, t)| (click, t.message))
        .max();
    let by_delivery = || {
        touches
            .iter()
            .filter(|t| holds(t.at, t.window))
            .map(|t| (t.at, t.message))
            .max()
    };
    let (message, by) = match by_click {
        Some((_, message)) => (message, CreditedBy::Click),
        None => (by_delivery()?.1, CreditedBy::Delivery),
    };
    let mut assisted: Vec<i64> = touches
        .iter()
        .filter(|t| t.message != message)
        .filter(|t| holds(t.at, t.window) || t.human_clicks.iter().any(|&c| holds(c, t.window)))
        .map(|t| t.message)
        .collect();
    assisted.sort_unstable();
    assisted.dedup();
    Some(Credit {
        message,
        by,
        assisted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(h: i64) -> DateTime<Utc> {
        "2025-03-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::hours(h)
    }

    fn touch(message: i64, at: i64, clicks: &[i64]) -> Touch {
        Touch {
            message,
            at: hour(at),
            window: TimeDelta::hours(24),
            human_clicks: clicks.iter().map(|&c| hour(c)).collect(),
        }
    }

    #[test]
    fn the_later_delivery_gets_the_credit_and_the_earlier_assists() {
        let touches = [touch(1, 0, &[]), touch(2, 5, &[])];
        let credit = credit(hour(10), &touches).unwrap();
        assert_eq!(
            credit,
            Credit {
                message: 2,
                by: CreditedBy::Delivery,
                assisted: vec![1]
            }
        );
    }

    #[test]
    fn a_click_on_the_earlier_message_beats_the_later_delivery() {
        let touches = [touch(1, 0, &[1]), touch(2, 5, &[])];
        let credit = credit(hour(10), &touches).unwrap();
        assert_eq!((credit.message, credit.by), (1, CreditedBy::Click));
        assert_eq!(credit.assisted, [2]);
    }

    #[test]
    fn a_conversion_outside_every_window_or_before_the_delivery_is_nobodys() {
        let touches = [touch(1, 0, &[]), touch(2, 5, &[])];
        assert_eq!(credit(hour(30), &touches), None);
        assert_eq!(credit(hour(-1), &touches), None);
        assert_eq!(credit(hour(1), &[]), None);
    }

    #[test]
    fn a_click_reaches_past_its_deliverys_window() {
        let touches = [touch(1, 0, &[20])];
        let credit = credit(hour(30), &touches).unwrap();
        assert_eq!((credit.message, credit.by), (1, CreditedBy::Click));
        assert!(credit.assisted.is_empty());
    }

    #[test]
    fn a_tie_goes_to_the_later_message() {
        let touches = [touch(7, 0, &[]), touch(3, 0, &[])];
        assert_eq!(credit(hour(2), &touches).unwrap().message, 7);
    }
}
