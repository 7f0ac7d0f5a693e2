//! Lift: how much more often the contacts sent a campaign converted than those held out of it.

use serde::Serialize;

/// The z value of a two-sided 95 % interval.
const Z_95: f64 = 1.959964;

/// The conversion rates of the sent and the held-out groups, and what sending added.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Lift {
    pub sent_rate: f64,
    pub holdout_rate: f64,
    /// `sent_rate - holdout_rate`.
    pub difference: f64,
    /// 95 % confidence interval of the difference (Wald, normal approximation).
    pub low: f64,
    pub high: f64,
    /// `difference / holdout_rate`, `None` when the holdout converted nobody.
    pub relative: Option<f64>,
}

/// The lift of `sent_converted` of `sent` over `holdout_converted` of `holdout`. `None` when
/// either group is empty or counts more conversions than contacts.
pub fn lift(sent_converted: u64, sent: u64, holdout_converted: u64, holdout: u64) -> Option<Lift> {
    if sent == 0 || holdout == 0 || sent_converted > sent || holdout_converted > holdout {
        return None;
    }
    let rate = |converted: u64, of: u64| converted as f64 / of as f64;
    let (sent_rate, holdout_rate) = (rate(sent_converted, sent), rate(holdout_converted, holdout));
    let variance = |p: f64, n: u64| p * (1.0 - p) / n as f64;
    let error = Z_95 * (variance(sent_rate, sent) + variance(holdout_rate, holdout)).sqrt();
    let difference = sent_rate - holdout_rate;
    Some(Lift {
        sent_rate,
        holdout_rate,
        difference,
        low: difference - error,
        high: difference + error,
        relative: (holdout_converted > 0).then(|| difference / holdout_rate),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-4
    }

    #[test]
    fn twenty_against_fifteen_percent_lifts_by_a_third() {
        let lift = lift(200, 1000, 150, 1000).unwrap();
        assert!(close(lift.difference, 0.05));
        assert!(close(lift.low, 0.016767), "{}", lift.low);
        assert!(close(lift.high, 0.083233), "{}", lift.high);
        assert!(close(lift.relative.unwrap(), 1.0 / 3.0));
    }

    #[test]
    fn rates_of_none_or_all_are_numbers() {
        for (sc, s, hc, h) in [
            (0, 50, 0, 50),
            (50, 50, 50, 50),
            (50, 50, 0, 10),
            (0, 1, 1, 1),
        ] {
            let lift = lift(sc, s, hc, h).unwrap();
            let all = [
                lift.sent_rate,
                lift.holdout_rate,
                lift.difference,
                lift.low,
                lift.high,
            ];
            assert!(all.iter().all(|v| v.is_finite()), "{lift:?}");
            assert!(lift.relative.is_none_or(f64::is_finite));
        }
        assert_eq!(lift(0, 50, 0, 50).unwrap().relative, None);
    }

    #[test]
    fn an_empty_group_has_no_lift() {
        assert_eq!(lift(0, 0, 1, 10), None);
        assert_eq!(lift(1, 10, 0, 0), None);
        assert_eq!(lift(11, 10, 0, 10), None);
    }
}
