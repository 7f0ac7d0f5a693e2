//! Endpoints for whoever runs Tern: liveness, readiness, metrics.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use tern_app::AppState;

use crate::extract::AdminAuth;

/// The process is up.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// The database answers and its migrations are current.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ready().await {
        Ok(readiness) if readiness.current() => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "migrations": readiness })),
        ),
        Ok(readiness) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "migrations pending", "migrations": readiness })),
        ),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "database unavailable" })),
            )
        }
    }
}

/// Prometheus text format, for the operator only (`Authorization: Bearer $TERN_ADMIN_TOKEN`):
/// routes, statuses and timings tell an outsider how the business uses Tern.
pub async fn metrics(_: AdminAuth, State(state): State<AppState>) -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
