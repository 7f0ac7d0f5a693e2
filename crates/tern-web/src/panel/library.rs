//! Contacts, Segments, the Media library and Settings: lists rendered on the server; imports,
//! the segment builder's count, uploads and saving through the API from the page's script.

use axum::{
    Json,
    extract::{Query, State},
    response::Response,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{PanelError, Signed};
use crate::{
    ApiError, AppState,
    api::{contacts, media, segments, settings},
    extract::ApiQuery,
};

#[derive(Deserialize, Serialize, Default)]
pub struct ContactFilters {
    #[serde(default)]
    search: String,
    #[serde(default)]
    consent: String,
    #[serde(default)]
    country: String,
    after: Option<i64>,
}

pub async fn contacts(
    State(state): State<AppState>,
    signed: Signed,
    Query(filters): Query<ContactFilters>,
) -> Result<Response, PanelError> {
    let mut query = super::filled(&[
        ("search", &filters.search),
        ("consent", &filters.consent),
        ("country", &filters.country),
    ]);
    if let Some(after) = filters.after {
        query.insert("after".into(), json!(after));
    }
    let params = serde_json::from_value(Value::Object(query))
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let (listed, filter_error) =
        match contacts::list(State(state), signed.auth(), ApiQuery(params)).await {
            Ok(Json(listed)) => (Some(listed), None),
            Err(ApiError::Invalid { message, .. }) => (None, Some(message)),
            Err(e) => return Err(e.into()),
        };
    signed.page(
        "contacts.html",
        "contacts",
        json!({ "page": listed, "filters": filters, "filter_error": filter_error }),
    )
}

pub async fn segments(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Response, PanelError> {
    let Json(list) = segments::list(State(state), signed.auth()).await?;
    signed.page("segments.html", "segments", json!({ "segments": list }))
}

pub async fn media(State(state): State<AppState>, signed: Signed) -> Result<Response, PanelError> {
    let Json(items) = media::list(State(state), signed.auth()).await?;
    signed.page("media.html", "media", json!({ "items": items }))
}

pub async fn settings(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Response, PanelError> {
    let Json(settings) = settings::get_settings(State(state), signed.auth()).await?;
    signed.page("settings.html", "settings", json!({ "settings": settings }))
}
