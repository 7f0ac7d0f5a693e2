//! Contacts, Segments, the Media library and Settings: lists rendered on the server; imports,
//! the segment builder's count, uploads and saving through the API from the page's script.

use axum::{
    extract::{Query, State},
    response::Response,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use tern_app::{
    AppError, AppState,
    audience::{contacts, segments},
    media, settings,
};

use crate::{PanelError, Signed};

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
    let listed = match serde_json::from_value(Value::Object(query)) {
        Ok(params) => contacts::list(&state, &signed.account, params).await,
        Err(e) => Err(AppError::invalid("filters", e.to_string())),
    };
    let (listed, filter_error) = match listed {
        Ok(listed) => (Some(listed), None),
        Err(AppError::Invalid { message, .. }) => (None, Some(message)),
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
    let list = segments::list(&state, &signed.account).await?;
    signed.page("segments.html", "segments", json!({ "segments": list }))
}

pub async fn media(State(state): State<AppState>, signed: Signed) -> Result<Response, PanelError> {
    let items = media::list(&state, &signed.account).await?;
    signed.page("media.html", "media", json!({ "items": items }))
}

pub async fn settings(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<Response, PanelError> {
    let settings = settings::get_settings(&state, &signed.account).await?;
    signed.page("settings.html", "settings", json!({ "settings": settings }))
}
