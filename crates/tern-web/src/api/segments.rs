//! Segments: saved condition trees, validated node by node, counted and sampled in the database.

use std::time::Instant;

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tern_domain::{audience::Condition, ids::SegmentId};
use tern_store::{SegmentRecord, StoreError};
use utoipa::{IntoParams, ToSchema};

use super::contacts::{ContactView, account_zone};
use crate::{
    ApiError, AppState,
    error::ErrorBody,
    extract::{AccountAuth, ApiJson, ApiQuery},
    random,
};

/// Longest segment name.
const MAX_NAME: usize = 100;

/// A saved segment.
#[derive(Serialize, ToSchema)]
pub struct SegmentView {
    pub id: String,
    pub name: String,
    /// The condition tree.
    #[schema(value_type = Object)]
    pub definition: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SegmentRecord> for SegmentView {
    fn from(s: SegmentRecord) -> Self {
        Self {
            id: s.id.to_string(),
            name: s.name,
            definition: s.definition,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A segment to save. The definition is a condition tree: `{"and"|"or": [...]}`, `{"not": {...}}`,
/// `{"attribute", "op", "value"}` (op `=`, `!=`, `<`, `>`, `contains`, `exists`),
/// `{"consent": [...]}`, `{"country": [...]}`, `{"event", "where", "at_least", "at_most",
/// "within_days"}`, `{"not_performed", "where", "within_days"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentRequest {
    pub name: String,
    #[schema(value_type = Object)]
    pub definition: Value,
}

fn checked(request: &SegmentRequest) -> Result<(String, Condition), ApiError> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(ApiError::Invalid {
            field: "name".into(),
            message: format!("must be 1 to {MAX_NAME} characters"),
        });
    }
    let condition = Condition::parse(&request.definition).map_err(ApiError::DefinitionRejected)?;
    Ok((name.to_owned(), condition))
}

fn name_taken(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict { .. } => ApiError::Conflict("a segment of this name exists".into()),
        other => other.into(),
    }
}

/// Saves a new segment.
#[utoipa::path(post, operation_id = "create_segment", path = "/api/v1/segments", tag = "segments", security(("api_key" = [])),
    request_body = SegmentRequest,
    responses((status = 201, description = "Created", body = SegmentView), (status = 400, description = "The body cannot be read", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody), (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "The name or the definition is not valid; `problems` points at each bad node", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    ApiJson(request): ApiJson<SegmentRequest>,
) -> Result<(StatusCode, Json<SegmentView>), ApiError> {
    let (name, _) = checked(&request)?;
    let now = Utc::now();
    let record = SegmentRecord {
        id: SegmentId::from_random(random()),
        account_id: account.id,
        name,
        definition: request.definition,
        created_at: now,
        updated_at: now,
    };
    let saved = state
        .store
        .create_segment(record)
        .await
        .map_err(name_taken)?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// The account's segments by name.
#[utoipa::path(get, operation_id = "list_segments", path = "/api/v1/segments", tag = "segments", security(("api_key" = [])),
    responses((status = 200, description = "OK", body = Vec<SegmentView>), (status = 401, description = "No valid credentials", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
) -> Result<Json<Vec<SegmentView>>, ApiError> {
    let segments = state.store.list_segments(account.id).await?;
    Ok(Json(segments.into_iter().map(SegmentView::from).collect()))
}

fn segment_id(raw: &str) -> Result<SegmentId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// One segment.
#[utoipa::path(get, operation_id = "get_segment", path = "/api/v1/segments/{segment_id}", tag = "segments", security(("api_key" = [])),
    params(("segment_id" = String, Path, description = "The segment's id")),
    responses((status = 200, description = "OK", body = SegmentView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<SegmentView>, ApiError> {
    Ok(Json(
        state
            .store
            .segment(account.id, segment_id(&id)?)
            .await?
            .into(),
    ))
}

/// A change of a segment: its name, its definition, or both.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentChange {
    pub name: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub definition: Option<Value>,
}

/// Renames a segment or replaces its definition.
#[utoipa::path(patch, operation_id = "update_segment", path = "/api/v1/segments/{segment_id}", tag = "segments", security(("api_key" = [])),
    params(("segment_id" = String, Path, description = "The segment's id")), request_body = SegmentChange,
    responses((status = 200, description = "OK", body = SegmentView), (status = 400, description = "The body cannot be read", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody), (status = 422, description = "The name or the definition is not valid", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<SegmentChange>,
) -> Result<Json<SegmentView>, ApiError> {
    let current = state.store.segment(account.id, segment_id(&id)?).await?;
    let request = SegmentRequest {
        name: change.name.unwrap_or(current.name.clone()),
        definition: change.definition.unwrap_or(current.definition.clone()),
    };
    let (name, _) = checked(&request)?;
    let record = SegmentRecord {
        name,
        definition: request.definition,
        updated_at: Utc::now(),
        ..current
    };
    Ok(Json(
        state
            .store
            .update_segment(record)
            .await
            .map_err(name_taken)?
            .into(),
    ))
}

/// Deletes a segment.
#[utoipa::path(delete, operation_id = "delete_segment", path = "/api/v1/segments/{segment_id}", tag = "segments", security(("api_key" = [])),
    params(("segment_id" = String, Path, description = "The segment's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_segment(account.id, segment_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A segment's live size and a few of its members.
#[derive(Serialize, ToSchema)]
pub struct AudienceView {
    /// Contacts matching now.
    pub count: u64,
    /// The first matching contacts, by id.
    pub sample: Vec<ContactView>,
    /// How long counting took in the database.
    pub count_ms: u64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SampleParams {
    /// Members to return, 0 to 100; 10 by default.
    pub sample: Option<u32>,
}

async fn audience(
    state: &AppState,
    account: tern_domain::ids::AccountId,
    condition: &Condition,
    sample: u32,
) -> Result<AudienceView, ApiError> {
    let now = Utc::now();
    let started = Instant::now();
    let count = state.store.count_matching(account, condition, now).await?;
    let count_ms = started.elapsed().as_millis() as u64;
    let ids = if sample == 0 {
        Vec::new()
    } else {
        state
            .store
            .matching_contacts(account, condition, now, None, sample.min(100))
            .await?
    };
    let zone = account_zone(state.store.as_ref(), account).await?;
    let mut members = Vec::with_capacity(ids.len());
    for id in ids {
        members.push(ContactView::new(
            state.store.contact(account, id).await?,
            zone,
        ));
    }
    Ok(AudienceView {
        count,
        sample: members,
        count_ms,
    })
}

/// A saved segment's live count and sample members.
#[utoipa::path(get, operation_id = "count_segment", path = "/api/v1/segments/{segment_id}/audience", tag = "segments", security(("api_key" = [])),
    params(("segment_id" = String, Path, description = "The segment's id"), SampleParams),
    responses((status = 200, description = "OK", body = AudienceView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn segment_audience(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<SampleParams>,
) -> Result<Json<AudienceView>, ApiError> {
    let segment = state.store.segment(account.id, segment_id(&id)?).await?;
    let condition = Condition::parse(&segment.definition).map_err(ApiError::DefinitionRejected)?;
    Ok(Json(
        audience(&state, account.id, &condition, params.sample.unwrap_or(10)).await?,
    ))
}

/// A definition to try before saving it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[schema(value_type = Object)]
    pub definition: Value,
    /// Members to return, 0 to 100; 10 by default.
    pub sample: Option<u32>,
}

/// Counts and samples an unsaved definition (the builder's live count).
#[utoipa::path(post, operation_id = "preview_segment", path = "/api/v1/segments/preview", tag = "segments", security(("api_key" = [])),
    request_body = PreviewRequest,
    responses((status = 200, description = "OK", body = AudienceView), (status = 400, description = "The body cannot be read", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody), (status = 422, description = "The definition is not valid", body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    ApiJson(request): ApiJson<PreviewRequest>,
) -> Result<Json<AudienceView>, ApiError> {
    let condition = Condition::parse(&request.definition).map_err(ApiError::DefinitionRejected)?;
    Ok(Json(
        audience(&state, account.id, &condition, request.sample.unwrap_or(10)).await?,
    ))
}
