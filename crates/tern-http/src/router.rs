//! The application: routes, their shared layers, and the error and metrics plumbing.

use std::time::Instant;

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    http::HeaderName,
    middleware::{self, Next},
    response::Response,
    routing::{get, post},
};
use tower::ServiceBuilder;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use tern_app::{AppError, AppState, InternalCause};

use crate::{ApiError, api, ops, public, webhooks};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every route of the API role, with logging, request ids, metrics and body limits.
pub fn router(state: AppState) -> Router {
    let (api_router, openapi) = api::router_and_document();
    let openapi = std::sync::Arc::new(openapi);
    let hits = tern_app::hits::HitRecorder::start(state.store.clone());
    Router::new()
        .merge(api_router)
        .merge(tern_panel::router(state.clone()))
        .route("/api/v1/openapi.json", get(move || async move { Json(openapi.as_ref().clone()) }))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/m/{token}", get(public::media))
        .route("/l/{code}", get(public::link).layer(axum::Extension(hits)))
        .route("/webhooks/twilio/inbound", post(webhooks::inbound))
        .route("/webhooks/twilio/status", post(webhooks::status))
        .route_layer(middleware::from_fn(observe))
        .layer(middleware::from_fn(crate::nul::refuse_nul))
        .fallback(|| async { ApiError::App(AppError::NotFound) })
        .layer(DefaultBodyLimit::max(crate::extract::MAX_BODY_BYTES))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
                    let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
        )
        .with_state(state)
}

/// Counts requests by route and status, and logs the cause of internal errors once.
async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if let Some(InternalCause(cause)) = response.extensions().get::<InternalCause>() {
        tracing::error!(%cause, %route, "internal error");
    }
    let labels = [
        ("method", method),
        ("route", route),
        ("status", status.as_u16().to_string()),
    ];
    metrics::counter!("tern_http_requests_total", &labels).increment(1);
    metrics::histogram!("tern_http_request_duration_seconds", &labels[..2])
        .record(started.elapsed().as_secs_f64());
    response
}
