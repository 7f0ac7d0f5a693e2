//! Segment's HTTP tracking API (`/v1/identify`, `/v1/track`, `/v1/batch`, …), authenticated by the
//! account's write key as Segment's libraries send it, with Segment's size limits.

use axum::{Json, body::Body, extract::State};
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use tern_domain::tracking::{CallKind, MAX_BATCH_BYTES, MAX_CALL_BYTES, read_call};
use utoipa::ToSchema;

use tern_app::{AppError, AppState, audience::ingest::ingest};

use crate::{ApiError, error::ErrorBody, extract::WriteKeyAuth};

/// What a tracking call did.
#[derive(Serialize, ToSchema)]
pub struct TrackingReply {
    /// Always true: failures are errors.
    pub success: bool,
    pub calls: usize,
    /// Events stored.
    pub recorded: u64,
    /// Events skipped because their `messageId` was seen before.
    pub duplicates: u64,
    pub contacts_upserted: usize,
    pub carts_changed: u64,
}

async fn read_body(body: Body, limit: usize, what: &str) -> Result<Value, ApiError> {
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::PayloadTooLarge(format!(
            "{what} is larger than Segment's limit of {limit} bytes"
        ))
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))
}

async fn take(
    state: &AppState,
    account: tern_domain::ids::AccountId,
    calls: Vec<(Option<CallKind>, Value)>,
    sent_at: Option<&Value>,
) -> Result<Json<TrackingReply>, ApiError> {
    let now = Utc::now();
    let sent_at = sent_at
        .and_then(Value::as_str)
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc));
    let mut read = Vec::with_capacity(calls.len());
    let batch = calls.len() > 1 || calls.first().is_some_and(|(kind, _)| kind.is_none());
    let field = |i: usize| {
        if batch {
            format!("batch[{i}]")
        } else {
            "call".to_owned()
        }
    };
    for (i, (kind, json)) in calls.iter().enumerate() {
        let call = read_call(*kind, json, now, sent_at).map_err(|message| AppError::Invalid {
            field: field(i),
            message,
        })?;
        read.push(call);
    }
    // The write key is public: consent from it only where the account allows it.
    let consent_allowed = read.iter().any(|c| c.kind == CallKind::Identify)
        && state.store.settings(account).await?.identify_sets_consent;
    match ingest(state.store.as_ref(), account, &read, consent_allowed, now).await? {
        Ok(done) => Ok(Json(TrackingReply {
            success: true,
            calls: done.calls,
            recorded: done.events.recorded,
            duplicates: done.events.duplicates,
            contacts_upserted: done.contacts_upserted,
            carts_changed: done.events.carts_changed,
        })),
        Err((i, problem)) => Err(AppError::Invalid {
            field: format!("{}.{}", field(i), problem.field),
            message: problem.message,
        }
        .into()),
    }
}

async fn single(
    state: AppState,
    auth: WriteKeyAuth,
    body: Body,
    kind: CallKind,
) -> Result<Json<TrackingReply>, ApiError> {
    let json = read_body(body, MAX_CALL_BYTES, "a call").await?;
    let sent_at = json.get("sentAt").cloned();
    take(
        &state,
        auth.0.id,
        vec![(Some(kind), json)],
        sent_at.as_ref(),
    )
    .await
}

/// Creates or updates the contact named by `userId`: traits become attributes, `phone` sets the
/// phone, `sms_consent` (`subscribed`/`unsubscribed` or true/false) the consent.
#[utoipa::path(post, operation_id = "segment_identify", path = "/v1/identify", tag = "tracking", security(("write_key" = [])),
    request_body(content = Object, description = "A Segment identify call"),
    responses((status = 200, description = "Taken", body = TrackingReply), (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "No valid write key", body = ErrorBody), (status = 413, description = "Over 32 KB", body = ErrorBody),
        (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn identify(
    State(state): State<AppState>,
    auth: WriteKeyAuth,
    body: Body,
) -> Result<Json<TrackingReply>, ApiError> {
    single(state, auth, body, CallKind::Identify).await
}

/// Records an event for the contact named by `userId` (created if new); e-commerce events
/// update the contact's cart.
#[utoipa::path(post, operation_id = "segment_track", path = "/v1/track", tag = "tracking", security(("write_key" = [])),
    request_body(content = Object, description = "A Segment track call"),
    responses((status = 200, description = "Taken", body = TrackingReply), (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "No valid write key", body = ErrorBody), (status = 413, description = "Over 32 KB", body = ErrorBody),
        (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn track(
    State(state): State<AppState>,
    auth: WriteKeyAuth,
    body: Body,
) -> Result<Json<TrackingReply>, ApiError> {
    single(state, auth, body, CallKind::Track).await
}

/// Accepted for compatibility with Segment's libraries; page views are not stored.
#[utoipa::path(post, path = "/v1/page", operation_id = "segment_page", tag = "tracking", security(("write_key" = [])),
    request_body(content = Object, description = "A Segment page call"),
    responses((status = 200, description = "Taken", body = TrackingReply), (status = 401, description = "No valid write key", body = ErrorBody),
        (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn page(
    State(state): State<AppState>,
    auth: WriteKeyAuth,
    body: Body,
) -> Result<Json<TrackingReply>, ApiError> {
    single(state, auth, body, CallKind::Page).await
}

/// Accepted for compatibility with Segment's libraries; screen views are not stored.
#[utoipa::path(post, path = "/v1/screen", operation_id = "segment_screen", tag = "tracking", security(("write_key" = [])),
    request_body(content = Object, description = "A Segment screen call"),
    responses((status = 200, description = "Taken", body = TrackingReply), (status = 401, description = "No valid write key", body = ErrorBody),
        (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn screen(
    State(state): State<AppState>,
    auth: WriteKeyAuth,
    body: Body,
) -> Result<Json<TrackingReply>, ApiError> {
    single(state, auth, body, CallKind::Screen).await
}

/// Accepted for compatibility with Segment's libraries; group memberships are not stored.
#[utoipa::path(post, path = "/v1/group", operation_id = "segment_group", tag = "tracking", security(("write_key" = [])),
    request_body(content = Object, description = "A Segment group call"),
    responses((status = 200, description = "Taken", body = TrackingReply), (status = 401, description = "No valid write key", body = ErrorBody),
        (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn group(
    State(state): State<AppState>,
    auth: WriteKeyAuth,
    body: Body,
) -> Result<Json<TrackingReply>, ApiError> {
    single(state, auth, body, CallKind::Group).await
}

/// Accepted for compatibility with Segment's libraries; aliases are not stored.
#[utoipa::path(post, path = "/v1/alias", operation_id = "segment_alias", tag = "tracking", security(("write_key" = [])),
    request_body(content = Object, description = "A Segment alias call"),
    responses((status = 200, description = "Taken", body = TrackingReply), (status = 401, description = "No valid write key", body = ErrorBody),
        (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn alias(
    State(state): State<AppState>,
    auth: WriteKeyAuth,
    body: Body,
) -> Result<Json<TrackingReply>, ApiError> {
    single(state, auth, body, CallKind::Alias).await
}

/// Up to 500 KB of calls, each with its `type`, taken whole or refused whole.
#[utoipa::path(post, operation_id = "segment_batch", path = "/v1/batch", tag = "tracking", security(("write_key" = [])),
    request_body(content = Object, description = "{\"batch\": [calls], \"sentAt\": time}"),
    responses((status = 200, description = "Taken", body = TrackingReply), (status = 400, description = "Not JSON, or no batch", body = ErrorBody),
        (status = 401, description = "No valid write key", body = ErrorBody), (status = 413, description = "Over 500 KB", body = ErrorBody),
        (status = 422, description = "A call is not acceptable; the field names it", body = ErrorBody)))]
pub async fn batch(
    State(state): State<AppState>,
    auth: WriteKeyAuth,
    body: Body,
) -> Result<Json<TrackingReply>, ApiError> {
    let mut json = read_body(body, MAX_BATCH_BYTES, "a batch").await?;
    let sent_at = json.get("sentAt").cloned();
    let Some(Value::Array(calls)) = json.get_mut("batch").map(Value::take) else {
        return Err(ApiError::BadRequest(
            "a batch is {\"batch\": [calls]}".into(),
        ));
    };
    let calls = calls.into_iter().map(|call| (None, call)).collect();
    take(&state, auth.0.id, calls, sent_at.as_ref()).await
}
