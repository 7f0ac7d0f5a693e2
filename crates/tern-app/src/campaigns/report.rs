//! A campaign's report: what it reached, what it cost, what it earned and what it earned beyond
//! its holdout, with a chart over time. Single and triggered campaigns alike.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use tern_domain::{
    account::parse_price,
    goals::{
        lift::{Lift, lift},
        revenue::to_decimal,
    },
};
use tern_store::{Account, AccountSettings, HOLDOUT, ReportTotals};
use utoipa::ToSchema;

use super::{
    attribution::{self, Clicks, Earned},
    figures::{self, CampaignFigures},
    views::campaign_id,
};
use crate::{AppResult, AppState};

/// Most points of the chart.
const CHART_POINTS: i64 = 48;

/// A campaign's report.
#[derive(Serialize, ToSchema)]
pub struct ReportView {
    pub campaign_id: String,
    pub name: String,
    /// `single`, `cart_reminder` or `welcome`.
    pub kind: String,
    pub status: String,
    /// Messages written for recipients (held out and skipped ones included).
    pub recipients: u64,
    /// Kept unsent to measure the lift (the Launch step's holdout share).
    pub holdout: u64,
    /// Never attempted, by reason (the holdout aside).
    pub skipped: u64,
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Not sent yet.
    pub pending: u64,
    pub cancelled: u64,
    /// Accepted by the provider.
    pub sent: u64,
    pub delivered: u64,
    pub undelivered: u64,
    /// Sent, without the carrier's final word yet.
    pub awaiting_status: u64,
    /// Never accepted.
    pub failed: u64,
    /// Failed and undelivered messages by the error code, each explained.
    pub errors: Vec<ErrorCount>,
    /// Hits on the campaign's links that were people (what attribution counts).
    pub human_clicks: u64,
    /// Hits by link previewers, bots, `HEAD` requests and the like: not clicks.
    pub bot_clicks: u64,
    pub bot_clicks_by_reason: BTreeMap<String, u64>,
    /// Recipients who opted out after their message was sent.
    pub opt_outs: u64,
    /// The goal the conversions count, if the Goals step is complete.
    pub goal: Option<GoalView>,
    /// Goal events credited to this campaign's messages: each conversion is credited to one
    /// message only, of whichever campaign touched the recipient last (a human click before a
    /// delivery).
    pub conversions: u64,
    /// Conversions credited to another campaign's message that this one also touched.
    pub assisted_conversions: u64,
    /// The credited conversions' revenue, in `currency`.
    pub revenue: f64,
    pub currency: String,
    /// Revenue events reported in other currencies, by currency: listed, never converted.
    pub revenue_in_other_currencies: BTreeMap<String, f64>,
    /// Revenue per sent message.
    pub revenue_per_message: Option<f64>,
    /// What the sent messages cost at the account's prices, in `cost_currency`.
    pub cost: f64,
    pub cost_currency: String,
    /// Sent messages whose sender has no price in the settings (not in `cost`).
    pub unpriced_messages: u64,
    /// Sent recipients against held-out ones, when the campaign holds some out.
    pub lift: Option<LiftView>,
    pub chart: Chart,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorCount {
    /// `failed` or `undelivered`.
    pub state: String,
    /// The provider's or carrier's error code; `none` when there was none.
    pub code: String,
    pub count: u64,
    pub explanation: String,
}

#[derive(Serialize, ToSchema)]
pub struct GoalView {
    pub event: String,
    pub window_hours: i64,
    pub revenue_property: Option<String>,
}

/// Conversion rates of the sent and the held out, within the goal's window from the message
/// (or from when it would have been sent).
#[derive(Serialize, ToSchema)]
pub struct LiftView {
    pub sent: u64,
    pub sent_converted: u64,
    pub holdout: u64,
    pub holdout_converted: u64,
    pub sent_rate: f64,
    pub holdout_rate: f64,
    /// Percentage points: the sent's rate minus the holdout's.
    pub difference: f64,
    /// 95 % confidence interval of the difference.
    pub low: f64,
    pub high: f64,
    /// The difference relative to the holdout's rate (none when the holdout converted nobody).
    pub relative: Option<f64>,
}

/// The chart: one point per bucket from `start`, each `bucket_seconds` wide.
#[derive(Serialize, ToSchema, Default)]
pub struct Chart {
    pub start: Option<DateTime<Utc>>,
    pub bucket_seconds: i64,
    pub points: Vec<ChartPoint>,
}

#[derive(Serialize, ToSchema, Default, Clone)]
pub struct ChartPoint {
    pub at: DateTime<Utc>,
    pub sent: u64,
    pub delivered: u64,
    pub human_clicks: u64,
    pub conversions: u64,
}

/// The report of one of the account's campaigns.
pub async fn report(state: &AppState, account: &Account, id: &str) -> AppResult<ReportView> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    let settings = state.store.settings(account.id).await?;
    let figures = figures::load(&*state.store, account.id, &[campaign.id], true)
        .await?
        .remove(&campaign.id)
        .unwrap_or_default();
    let totals = state.store.report_totals(account.id, campaign.id).await?;
    let clicks = attribution::clicks(&*state.store, account.id, campaign.id).await?;
    let goal = attribution::goal_of(&campaign);
    let earned = match &goal {
        Some(goal) => {
            attribution::earned(
                &*state.store,
                account.id,
                &campaign,
                goal,
                &settings.currency,
            )
            .await?
        }
        None => Earned::default(),
    };
    let chart = chart(state, account, &campaign.id, &totals, &clicks, &earned).await?;
    let (cost, unpriced) = cost(&totals, &settings);
    let holdout = figures.skipped_by_reason.get(HOLDOUT).copied().unwrap_or(0);
    let mut skipped_by_reason = figures.skipped_by_reason.clone();
    skipped_by_reason.remove(HOLDOUT);
    let revenue = to_decimal(earned.revenue_micros);
    Ok(ReportView {
        campaign_id: campaign.id.to_string(),
        name: campaign.name.clone(),
        kind: tern_store::decode::json_text(&campaign.kind),
        status: tern_store::decode::json_text(&campaign.status),
        recipients: figures.total,
        holdout,
        skipped: figures.skipped - holdout,
        skipped_by_reason,
        pending: figures.queued + figures.sending,
        cancelled: figures.cancelled,
        sent: figures.sent,
        delivered: figures.delivered,
        undelivered: figures.undelivered,
        awaiting_status: figures.awaiting_status(),
        failed: figures.failed,
        errors: errors(&figures),
        human_clicks: clicks.human,
        bot_clicks: clicks.bot,
        bot_clicks_by_reason: clicks
            .bot_reasons
            .iter()
            .map(|(reason, n)| (reason.as_str().to_owned(), *n))
            .collect(),
        opt_outs: totals.opt_outs,
        goal: goal.as_ref().map(|g| GoalView {
            event: g.event.clone(),
            window_hours: g.window.num_hours(),
            revenue_property: g.revenue_property.clone(),
        }),
        conversions: earned.conversions,
        assisted_conversions: earned.assisted,
        revenue,
        currency: settings.currency.clone(),
        revenue_in_other_currencies: earned
            .other_revenue_micros
            .iter()
            .map(|(c, m)| (c.clone(), to_decimal(*m)))
            .collect(),
        revenue_per_message: (figures.sent > 0).then(|| revenue / figures.sent as f64),
        cost: to_decimal(cost),
        cost_currency: settings.prices.currency.clone(),
        unpriced_messages: unpriced,
        lift: lift_view(&figures, holdout, &earned),
        chart,
    })
}

fn errors(figures: &CampaignFigures) -> Vec<ErrorCount> {
    let explain = |code: &str| {
        code.parse()
            .map_or(
                "no error code was given",
                tern_domain::delivery::outcome::explain,
            )
            .to_owned()
    };
    let failed = figures
        .failed_by_code
        .iter()
        .map(|(code, n)| ("failed", code, n));
    let undelivered = figures
        .undelivered_by_reason
        .iter()
        .map(|(code, n)| ("undelivered", code, n));
    failed
        .chain(undelivered)
        .map(|(state, code, n)| ErrorCount {
            state: state.to_owned(),
            code: code.clone(),
            count: *n,
            explanation: explain(code),
        })
        .collect()
}

fn lift_view(figures: &CampaignFigures, holdout: u64, earned: &Earned) -> Option<LiftView> {
    if holdout == 0 {
        return None;
    }
    let Lift {
        sent_rate,
        holdout_rate,
        difference,
        low,
        high,
        relative,
    } = lift(
        earned.sent_converted,
        figures.sent,
        earned.holdout_converted,
        holdout,
    )?;
    Some(LiftView {
        sent: figures.sent,
        sent_converted: earned.sent_converted,
        holdout,
        holdout_converted: earned.holdout_converted,
        sent_rate,
        holdout_rate,
        difference,
        low,
        high,
        relative,
    })
}

/// The sent messages' cost at the account's prices (millionths), and how many had no price.
fn cost(totals: &ReportTotals, settings: &AccountSettings) -> (i64, u64) {
    let mut cost: u128 = 0;
    let mut unpriced = 0;
    for billed in &totals.billed {
        let price = settings
            .senders
            .iter()
            .find(|s| s.address == billed.sender)
            .and_then(|s| {
                let prices = if billed.mms {
                    &settings.prices.per_mms
                } else {
                    &settings.prices.per_segment
                };
                prices.get(&s.country).and_then(|p| parse_price(p))
            });
        match price {
            Some(price) => cost += price * u128::from(billed.units),
            None => unpriced += billed.units,
        }
    }
    (i64::try_from(cost).unwrap_or(i64::MAX), unpriced)
}

/// Buckets a campaign's span (first send to its last touch, click or conversion) into at most
/// [`CHART_POINTS`] points of a round width.
async fn chart(
    state: &AppState,
    account: &Account,
    campaign: &tern_domain::ids::CampaignId,
    totals: &ReportTotals,
    clicks: &Clicks,
    earned: &Earned,
) -> AppResult<Chart> {
    let Some(start) = totals.first_sent else {
        return Ok(Chart::default());
    };
    let end = [
        totals.last_touch,
        clicks.human_times.iter().max().copied(),
        earned.conversion_times.iter().max().copied(),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(start);
    let width = bucket_width(end - start);
    let start = floor(start, width);
    let buckets = ((end - start).num_milliseconds() / width.num_milliseconds() + 1).max(1);
    let mut points: Vec<ChartPoint> = (0..buckets)
        .map(|i| ChartPoint {
            at: start + width * i as i32,
            ..ChartPoint::default()
        })
        .collect();
    for (bucket, sent, delivered) in state
        .store
        .timeline(account.id, *campaign, start, width)
        .await?
    {
        if let Some(point) = points.get_mut(bucket as usize) {
            point.sent += sent;
            point.delivered += delivered;
        }
    }
    let index = |at: DateTime<Utc>| {
        usize::try_from((at - start).num_milliseconds() / width.num_milliseconds()).ok()
    };
    for at in &clicks.human_times {
        if let Some(point) = index(*at).and_then(|i| points.get_mut(i)) {
            point.human_clicks += 1;
        }
    }
    for at in &earned.conversion_times {
        if let Some(point) = index(*at).and_then(|i| points.get_mut(i)) {
            point.conversions += 1;
        }
    }
    Ok(Chart {
        start: Some(start),
        bucket_seconds: width.num_seconds(),
        points,
    })
}

/// The smallest round width that covers `span` in at most [`CHART_POINTS`] buckets.
fn bucket_width(span: TimeDelta) -> TimeDelta {
    const ROUND: [i64; 10] = [
        60,
        300,
        900,
        1800,
        3600,
        3 * 3600,
        6 * 3600,
        12 * 3600,
        86_400,
        7 * 86_400,
    ];
    let seconds = span.num_seconds().max(1);
    let width = ROUND
        .into_iter()
        .find(|w| seconds / w < CHART_POINTS)
        .unwrap_or_else(|| ((seconds / CHART_POINTS) / 86_400 + 1) * 86_400);
    TimeDelta::seconds(width)
}

fn floor(at: DateTime<Utc>, width: TimeDelta) -> DateTime<Utc> {
    let width = width.num_milliseconds().min(86_400_000);
    let millis = at.timestamp_millis();
    DateTime::from_timestamp_millis(millis - millis.rem_euclid(width)).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_round_and_at_most_the_chart_s_points() {
        assert_eq!(bucket_width(TimeDelta::seconds(30)).num_seconds(), 60);
        assert_eq!(bucket_width(TimeDelta::hours(3)).num_seconds(), 300);
        assert_eq!(bucket_width(TimeDelta::days(1)).num_seconds(), 3600);
        assert_eq!(bucket_width(TimeDelta::days(2)).num_seconds(), 3 * 3600);
        for days in [1, 10, 100, 1000] {
            let span = TimeDelta::days(days);
            let width = bucket_width(span);
            assert!(
                span.num_seconds() / width.num_seconds() < CHART_POINTS,
                "{days}"
            );
        }
    }
}
