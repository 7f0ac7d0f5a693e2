//! The account's settings: read them all, change any of them. Twilio credentials are write-only.

use axum::{Json, extract::State};
use tern_app::{
    AppState,
    settings::{self, SettingsPatch, SettingsView},
};

use crate::{
    ApiError,
    error::ErrorBody,
    extract::{AccountAuth, ApiJson},
};

/// The account's settings.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings", security(("api_key" = [])),
    responses((status = 200, description = "OK", body = SettingsView), (status = 401, description = "No valid credentials", body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
) -> Result<Json<SettingsView>, ApiError> {
    Ok(Json(settings::get_settings(&state, &account).await?))
}

/// Changes some settings; nothing is changed when any field is refused.
#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings", security(("api_key" = [])),
    request_body = SettingsPatch,
    responses((status = 200, description = "OK", body = SettingsView), (status = 400, description = "The body cannot be read", body = ErrorBody), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn patch_settings(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    ApiJson(patch): ApiJson<SettingsPatch>,
) -> Result<Json<SettingsView>, ApiError> {
    Ok(Json(
        settings::patch_settings(&state, &account, patch).await?,
    ))
}
