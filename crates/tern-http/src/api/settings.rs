//! The account's settings: read them all, change any of them. Twilio credentials are write-only.
//! Each answer carries the settings' revision as its `ETag`; a change sent with `If-Match` is
//! refused with 412 when someone changed them since.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use tern_app::{
    AppState,
    settings::{self, SettingsPatch, SettingsView},
};

use crate::{
    ApiError,
    error::ErrorBody,
    extract::{AccountAuth, ApiJson},
};

/// The settings with their revision as the entity tag.
fn tagged(view: SettingsView) -> Response {
    let etag = HeaderValue::from_str(&format!("\"{}\"", view.revision)).expect("digits");
    ([(header::ETAG, etag)], Json(view)).into_response()
}

/// The revision an `If-Match` header names; `None` without one or with `*`.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    text.trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| {
            ApiError::BadRequest(format!(
                "If-Match {text:?} is not an entity tag: send the ETag of a GET"
            ))
        })
}

/// The account's settings.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", security(("api_key" = [])),
    responses((status = 200, description = "OK", body = SettingsView,
        headers(("ETag" = String, description = "The settings' revision, for If-Match"))),
        (status = 401, description = "No valid credentials", body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
) -> Result<Response, ApiError> {
    Ok(tagged(settings::get_settings(&state, &account).await?))
}

/// Changes some settings; nothing is changed when any field is refused. With `If-Match`, only
/// if the settings are still at that revision.
#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings", security(("api_key" = [])),
    request_body = SettingsPatch,
    params(("If-Match" = Option<String>, Header, description = "The ETag read: refused with 412 if the settings changed since")),
    responses((status = 200, description = "OK", body = SettingsView,
        headers(("ETag" = String, description = "The new revision"))),
        (status = 400, description = "The body cannot be read", body = ErrorBody), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 412, description = "The settings changed since the If-Match revision", body = ErrorBody),
        (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn patch_settings(
    State(state): State<AppState>,
    AccountAuth(account, actor): AccountAuth,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<SettingsPatch>,
) -> Result<Response, ApiError> {
    let expected = if_match(&headers)?;
    Ok(tagged(
        settings::patch_settings(&state, &account, actor, patch, expected).await?,
    ))
}
