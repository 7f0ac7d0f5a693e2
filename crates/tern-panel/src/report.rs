//! The report on the campaign page: its figures, the chart drawn on the server as SVG (readable
//! without JavaScript, with the same numbers in a table), and the recipients page by page.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tern_app::{
    AppState,
    campaigns::{
        recipients::{self, RecipientsFilter},
        report::{Chart, ReportView},
    },
};
use tern_store::Account;

use crate::PanelError;

/// The chart's drawing area, in SVG units.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 180.0;
/// Room for the axis labels.
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 24.0;

/// The recipients filter as the page's form sends it (an empty field means any).
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct RecipientsForm {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub reason: String,
    /// `yes`, `no`, or empty.
    #[serde(default)]
    pub converted: String,
    /// The cursor; anything but a number starts from the beginning.
    #[serde(default)]
    pub after: String,
}

/// One series of the chart.
#[derive(Serialize)]
struct Series {
    name: &'static str,
    class: &'static str,
    points: String,
    total: u64,
}

/// The chart as the template draws it: polylines in SVG coordinates and labelled ticks.
pub fn chart(chart: &Chart) -> Value {
    let n = chart.points.len();
    if n == 0 {
        return Value::Null;
    }
    type Pick = fn(&tern_app::campaigns::report::ChartPoint) -> u64;
    let picks: [(&str, &str, Pick); 4] = [
        ("Sent", "sent", |p| p.sent),
        ("Delivered", "delivered", |p| p.delivered),
        ("Human clicks", "clicks", |p| p.human_clicks),
        ("Conversions", "conversions", |p| p.conversions),
    ];
    let max = chart
        .points
        .iter()
        .flat_map(|p| picks.iter().map(move |(_, _, f)| f(p)))
        .max()
        .unwrap_or(0)
        .max(1);
    let x = |i: usize| LEFT + (WIDTH - LEFT) * i as f64 / (n.max(2) - 1) as f64;
    let y = |v: u64| (HEIGHT - BOTTOM) * (1.0 - v as f64 / max as f64) + 4.0;
    let series: Vec<Series> = picks
        .iter()
        .map(|(name, class, f)| Series {
            name,
            class,
            points: chart
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(f(p))))
                .collect::<Vec<_>>()
                .join(" "),
            total: chart.points.iter().map(f).sum(),
        })
        .collect();
    // A handful of time labels along the bottom.
    let every = n.div_ceil(6).max(1);
    let ticks: Vec<Value> = (0..n)
        .step_by(every)
        .map(|i| {
            let at = chart.points[i].at;
            let label = if chart.bucket_seconds >= 86_400 {
                at.format("%b %-d").to_string()
            } else {
                at.format("%b %-d %H:%M").to_string()
            };
            json!({ "x": format!("{:.1}", x(i)), "label": label })
        })
        .collect();
    json!({
        "width": WIDTH,
        "height": HEIGHT,
        "axis_y": HEIGHT - BOTTOM + 4.0,
        "left": LEFT,
        "max": max,
        "series": series,
        "ticks": ticks,
        "rows": chart.points,
        "bucket_minutes": chart.bucket_seconds / 60,
    })
}

/// A page of recipients for the form's filter, with the cursor of the next page.
pub async fn recipients_page(
    state: &AppState,
    account: &Account,
    id: &str,
    form: &RecipientsForm,
) -> Result<(Value, Option<i64>), PanelError> {
    const PAGE: u32 = 50;
    let filter = RecipientsFilter {
        after: form.after.trim().parse().ok(),
        limit: Some(PAGE),
        state: Some(form.state.clone()).filter(|s| !s.is_empty()),
        reason: Some(form.reason.trim().to_owned()).filter(|s| !s.is_empty()),
        converted: match form.converted.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
    };
    let rows = recipients::page(state, account, id, filter).await?;
    let next = (rows.len() == PAGE as usize)
        .then(|| rows.last().map(|r| r.message_id))
        .flatten();
    Ok((json!(rows), next))
}

/// What the template shows of money: two decimals and the currency.
pub fn money(report: &ReportView) -> Value {
    json!({
        "revenue": format!("{:.2} {}", report.revenue, report.currency),
        "per_message": report.revenue_per_message.map(|r| format!("{:.4} {}", r, report.currency)),
        "cost": format!("{:.2} {}", report.cost, report.cost_currency),
        "other": report.revenue_in_other_currencies.iter()
            .map(|(c, v)| format!("{v:.2} {c}")).collect::<Vec<_>>(),
        "lift": report.lift.as_ref().map(|l| json!({
            "sent": format!("{:.1} %", l.sent_rate * 100.0),
            "holdout": format!("{:.1} %", l.holdout_rate * 100.0),
            "difference": format!("{:+.1} points", l.difference * 100.0),
            "interval": format!("{:+.1} to {:+.1} points", l.low * 100.0, l.high * 100.0),
            "relative": l.relative.map(|r| format!("{:+.0} %", r * 100.0)),
            "certain": l.low > 0.0 || l.high < 0.0,
        })),
    })
}
