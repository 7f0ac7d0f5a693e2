//! A campaign's report: its figures, earnings and lift, its recipients page by page, and the
//! recipients as CSV.

use axum::{
    Json,
    body::Body,
    extract::{Path, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use tern_app::{
    AppState,
    campaigns::{
        recipients::{self, CSV_HEADER, RecipientView, RecipientsFilter},
        report::{self, ReportView},
    },
};

use crate::{
    ApiError,
    error::ErrorBody,
    extract::{AccountAuth, ApiQuery},
};

/// The campaign's report: recipients, skips by reason, sent, delivered, failures by error code
/// (explained), human and bot clicks, opt-outs, conversions (each credited to one message of
/// one campaign), revenue, cost, the lift over the holdout with its 95 % interval, and a chart
/// over time. Computed from the raw facts on each call, so a changed goal applies to the past.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/report", operation_id = "campaign_report", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "OK", body = ReportView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<ReportView>, ApiError> {
    Ok(Json(report::report(&state, &account, &id).await?))
}

/// The campaign's recipients in message id order, page by page, each with its status history,
/// human clicks and credited conversions; filtered by state, reason or conversion.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/recipients", operation_id = "campaign_recipients", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id"), RecipientsFilter),
    responses((status = 200, description = "OK", body = Vec<RecipientView>), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "A bad limit or state", body = ErrorBody)))]
pub async fn recipients(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
    ApiQuery(filter): ApiQuery<RecipientsFilter>,
) -> Result<Json<Vec<RecipientView>>, ApiError> {
    Ok(Json(recipients::page(&state, &account, &id, filter).await?))
}

/// Every recipient as a CSV row (phone, state, reason, last status, human clicks, converted,
/// revenue), streamed as it is read.
#[utoipa::path(get, path = "/api/v1/campaigns/{campaign_id}/export.csv", operation_id = "campaign_export", tag = "campaigns", security(("api_key" = [])),
    params(("campaign_id" = String, Path, description = "The campaign's id")),
    responses((status = 200, description = "One row per recipient", content_type = "text/csv", body = String), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let export = recipients::export(&state, &account, &id).await?;
    let header_row =
        futures_util::stream::once(async { Ok::<_, std::io::Error>(CSV_HEADER.to_owned()) });
    let rows = futures_util::stream::unfold(Some(export), |export| async move {
        let mut export = export?;
        match export.next_rows().await {
            Ok(Some(text)) => Some((Ok(text), Some(export))),
            Ok(None) => None,
            // The status is sent already: the body ends early, and the log says why.
            Err(error) => {
                tracing::warn!(?error, "a CSV export stopped");
                Some((Err(std::io::Error::other("the export stopped")), None))
            }
        }
    });
    let filename = format!("attachment; filename=\"campaign-{id}.csv\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&filename).unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        Body::from_stream(futures_util::StreamExt::chain(header_row, rows)),
    )
        .into_response())
}
