//! Segments: saved condition trees, validated node by node, counted and sampled in the database.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use tern_app::{
    AppState,
    audience::segments::{
        self, AudienceView, PreviewRequest, SampleParams, SegmentChange, SegmentRequest,
        SegmentView,
    },
};

use crate::{
    ApiError,
    error::ErrorBody,
    extract::{AccountAuth, ApiJson, ApiQuery},
};

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
    Ok((
        StatusCode::CREATED,
        Json(segments::create(&state, &account, request).await?),
    ))
}

/// The account's segments by name.
#[utoipa::path(get, operation_id = "list_segments", path = "/api/v1/segments", tag = "segments", security(("api_key" = [])),
    responses((status = 200, description = "OK", body = Vec<SegmentView>), (status = 401, description = "No valid credentials", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
) -> Result<Json<Vec<SegmentView>>, ApiError> {
    Ok(Json(segments::list(&state, &account).await?))
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
    Ok(Json(segments::get(&state, &account, &id).await?))
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
    Ok(Json(segments::update(&state, &account, &id, change).await?))
}

/// Deletes a segment.
#[utoipa::path(delete, operation_id = "delete_segment", path = "/api/v1/segments/{segment_id}", tag = "segments", security(("api_key" = [])),
    params(("segment_id" = String, Path, description = "The segment's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "A campaign that may still send uses the segment; the message names it", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    segments::delete(&state, &account, &id).await?;
    Ok(StatusCode::NO_CONTENT)
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
    Ok(Json(
        segments::segment_audience(&state, &account, &id, params).await?,
    ))
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
    Ok(Json(segments::preview(&state, &account, request).await?))
}
