//! Every recipient of a campaign with what became of their message: a page at a time with its
//! status history, filtered by state, reason or conversion, and the whole list as CSV.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tern_domain::goals::revenue::to_decimal;
use tern_store::{Account, MessageState, RecipientRecord, RecipientsQuery};
use utoipa::{IntoParams, ToSchema};

use super::{
    attribution::{self, Earned},
    views::campaign_id,
};
use crate::{AppError, AppResult, AppState};

/// Rows a CSV export reads from the store at a time.
const EXPORT_PAGE: u32 = 5_000;

/// Which recipients a page lists.
#[derive(Deserialize, ToSchema, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecipientsFilter {
    /// Only messages with a greater id (the cursor: the last page's last `message_id`).
    pub after: Option<i64>,
    /// 1 to 500; 100 by default.
    pub limit: Option<u32>,
    /// `queued`, `sending`, `sent`, `failed`, `skipped` or `cancelled`.
    pub state: Option<String>,
    /// A skip or failure reason, e.g. `unsubscribed`, `holdout`.
    pub reason: Option<String>,
    /// Only recipients credited with a conversion (`true`), or only the others (`false`).
    pub converted: Option<bool>,
}

/// One recipient's message in the report.
#[derive(Serialize, ToSchema)]
pub struct RecipientView {
    pub message_id: i64,
    pub contact_id: Option<i64>,
    pub phone: String,
    pub state: String,
    pub reason: Option<String>,
    /// The provider's last status.
    pub status: Option<String>,
    pub error_code: Option<u32>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub human_clicks: u64,
    /// Credited with at least one conversion.
    pub converted: bool,
    /// Revenue of the conversions credited to this message, in the account's currency.
    pub revenue: f64,
    /// Each status the provider reported, in order.
    pub history: Vec<StatusView>,
}

#[derive(Serialize, ToSchema)]
pub struct StatusView {
    pub status: String,
    pub at: DateTime<Utc>,
    pub error_code: Option<u32>,
}

/// What each recipient's row needs beside the message: human clicks and credited conversions.
struct Outcomes {
    clicks: HashMap<i64, u64>,
    earned: Earned,
}

async fn outcomes(
    state: &AppState,
    account: &Account,
    id: &str,
) -> AppResult<(tern_store::CampaignRecord, Outcomes)> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    let settings = state.store.settings(account.id).await?;
    let clicks = attribution::clicks(&*state.store, account.id, campaign.id).await?;
    let earned = match attribution::goal_of(&campaign) {
        Some(goal) => {
            attribution::earned(
                &*state.store,
                account.id,
                &campaign,
                &goal,
                &settings.currency,
            )
            .await?
        }
        None => Earned::default(),
    };
    Ok((
        campaign,
        Outcomes {
            clicks: clicks.by_message,
            earned,
        },
    ))
}

fn parse_state(raw: Option<&str>) -> AppResult<Option<MessageState>> {
    raw.map(|s| {
        serde_json::from_value(serde_json::Value::from(s)).map_err(|_| AppError::Invalid {
            field: "state".into(),
            message: "one of queued, sending, sent, failed, skipped, cancelled".into(),
        })
    })
    .transpose()
}

/// A page of the campaign's recipients.
pub async fn page(
    state: &AppState,
    account: &Account,
    id: &str,
    filter: RecipientsFilter,
) -> AppResult<Vec<RecipientView>> {
    let limit = filter.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid("limit", "must be from 1 to 500"));
    }
    let wanted = parse_state(filter.state.as_deref())?;
    let (campaign, outcomes) = outcomes(state, account, id).await?;
    let mut query = RecipientsQuery {
        after: filter.after,
        limit,
        state: wanted,
        reason: filter.reason.clone(),
        only: None,
    };
    let rows = match filter.converted {
        None => {
            state
                .store
                .recipients(account.id, campaign.id, &query)
                .await?
        }
        Some(true) => {
            let after = filter.after.unwrap_or(i64::MIN);
            let mut ids: Vec<i64> = outcomes
                .earned
                .by_message
                .keys()
                .copied()
                .filter(|m| *m > after)
                .collect();
            // All of them: the state and reason filters then apply before the limit.
            ids.sort_unstable();
            query.only = Some(ids);
            state
                .store
                .recipients(account.id, campaign.id, &query)
                .await?
        }
        Some(false) => {
            // Pages of the campaign with the converted left out, until the page is full.
            let mut rows = Vec::new();
            loop {
                let found = state
                    .store
                    .recipients(account.id, campaign.id, &query)
                    .await?;
                let Some(last) = found.last().map(|r| r.message_id) else {
                    break;
                };
                rows.extend(
                    found
                        .into_iter()
                        .filter(|r| !outcomes.earned.by_message.contains_key(&r.message_id)),
                );
                if rows.len() >= limit as usize {
                    rows.truncate(limit as usize);
                    break;
                }
                query.after = Some(last);
            }
            rows
        }
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.message_id).collect();
    let mut history: HashMap<i64, Vec<StatusView>> = HashMap::new();
    for s in state.store.message_statuses(account.id, &ids).await? {
        history.entry(s.message_id).or_default().push(StatusView {
            status: tern_store::decode::json_text(&s.status),
            at: s.at,
            error_code: s.error_code,
        });
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let history = history.remove(&r.message_id).unwrap_or_default();
            view(r, &outcomes, history)
        })
        .collect())
}

fn view(r: RecipientRecord, outcomes: &Outcomes, history: Vec<StatusView>) -> RecipientView {
    let (conversions, revenue) = outcomes
        .earned
        .by_message
        .get(&r.message_id)
        .copied()
        .unwrap_or_default();
    RecipientView {
        message_id: r.message_id,
        contact_id: r.contact_id.map(|c| c.0),
        phone: r.to,
        state: tern_store::decode::json_text(&r.state),
        reason: r.reason,
        status: r.provider_status.map(|s| tern_store::decode::json_text(&s)),
        error_code: r.error_code,
        sent_at: r.sent_at,
        delivered_at: r.delivered_at,
        human_clicks: outcomes.clicks.get(&r.message_id).copied().unwrap_or(0),
        converted: conversions > 0,
        revenue: to_decimal(revenue),
        history,
    }
}

/// The header of the CSV export.
pub const CSV_HEADER: &str = "phone,state,reason,last_status,human_clicks,converted,revenue\n";

/// A CSV export being read: the campaign's recipients a page at a time, so that memory stays
/// flat however many there are (what it holds grows with clicks and conversions only).
pub struct Export {
    state: AppState,
    account: tern_domain::ids::AccountId,
    campaign: tern_domain::ids::CampaignId,
    outcomes: Outcomes,
    after: Option<i64>,
    done: bool,
}

/// Starts an export of the campaign's recipients.
pub async fn export(state: &AppState, account: &Account, id: &str) -> AppResult<Export> {
    let (campaign, outcomes) = outcomes(state, account, id).await?;
    Ok(Export {
        state: state.clone(),
        account: account.id,
        campaign: campaign.id,
        outcomes,
        after: None,
        done: false,
    })
}

impl Export {
    /// The next rows as CSV text, or `None` at the end.
    pub async fn next_rows(&mut self) -> AppResult<Option<String>> {
        if self.done {
            return Ok(None);
        }
        let query = RecipientsQuery {
            after: self.after,
            limit: EXPORT_PAGE,
            ..RecipientsQuery::default()
        };
        let rows = self
            .state
            .store
            .recipients(self.account, self.campaign, &query)
            .await?;
        self.done = rows.len() < EXPORT_PAGE as usize;
        self.after = rows.last().map(|r| r.message_id).or(self.after);
        let mut text = String::with_capacity(rows.len() * 64);
        for r in rows {
            let v = view(r, &self.outcomes, Vec::new());
            text.push_str(&csv_field(&v.phone));
            text.push(',');
            text.push_str(&v.state);
            text.push(',');
            text.push_str(&csv_field(v.reason.as_deref().unwrap_or("")));
            text.push(',');
            text.push_str(v.status.as_deref().unwrap_or(""));
            text.push(',');
            text.push_str(&v.human_clicks.to_string());
            text.push(',');
            text.push_str(if v.converted { "true" } else { "false" });
            text.push(',');
            text.push_str(&v.revenue.to_string());
            text.push('\n');
        }
        Ok(if text.is_empty() && self.done {
            None
        } else {
            Some(text)
        })
    }
}

/// A field quoted where CSV needs it, and kept from being read as a formula by spreadsheets
/// (a leading `=`, `+`, `-`, `@`, tab or carriage return gets a `'`, except a phone number's
/// `+`).
fn csv_field(value: &str) -> String {
    let phone = value.starts_with('+') && value[1..].bytes().all(|b| b.is_ascii_digit());
    let value = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !phone => format!("'{value}"),
        _ => value.to_owned(),
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("+14155550100"), "+14155550100");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("+1 cmd"), "'+1 cmd");
        assert_eq!(csv_field("\t=1+1"), "'\t=1+1");
    }
}
