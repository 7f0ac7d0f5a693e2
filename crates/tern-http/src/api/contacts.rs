//! Contacts: upsert, list, read (with cart, events and consent history, or the whole profile),
//! delete.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use tern_app::{
    AppState,
    audience::ContactProfile,
    audience::contacts::{
        self, ConsentChangeView, ContactPage, ContactRequest, ContactView, EventParams, EventView,
        ListParams,
    },
};

use crate::{
    ApiError,
    error::ErrorBody,
    extract::{AccountAuth, ApiJson, ApiQuery},
};

/// Creates or updates a contact (201 when created, 200 otherwise).
#[utoipa::path(post, operation_id = "upsert_contact", path = "/api/v1/contacts", tag = "contacts", security(("api_key" = [])),
    request_body = ContactRequest,
    responses((status = 201, description = "Created", body = ContactView), (status = 200, description = "Updated or unchanged", body = ContactView),
        (status = 400, description = "The body cannot be read", body = ErrorBody), (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 422, description = "A field is not acceptable", body = ErrorBody)))]
pub async fn upsert(
    State(state): State<AppState>,
    AccountAuth(account, actor): AccountAuth,
    ApiJson(request): ApiJson<ContactRequest>,
) -> Result<(StatusCode, Json<ContactView>), ApiError> {
    let (view, created) = contacts::upsert(&state, &account, actor, request).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

/// Lists contacts in id order, filtered, a page at a time.
#[utoipa::path(get, operation_id = "list_contacts", path = "/api/v1/contacts", tag = "contacts", security(("api_key" = [])), params(ListParams),
    responses((status = 200, description = "OK", body = ContactPage), (status = 400, description = "Bad parameters", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody), (status = 422, description = "A filter is not acceptable", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ContactPage>, ApiError> {
    Ok(Json(contacts::list(&state, &account, params).await?))
}

/// One contact with its cart.
#[utoipa::path(get, operation_id = "get_contact", path = "/api/v1/contacts/{contact_id}", tag = "contacts", security(("api_key" = [])),
    params(("contact_id" = String, Path, description = "The contact's id")),
    responses((status = 200, description = "OK", body = ContactView), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(contacts::get(&state, &account, &id).await?))
}

/// Erases a contact with its events, cart and consent history.
#[utoipa::path(delete, operation_id = "delete_contact", path = "/api/v1/contacts/{contact_id}", tag = "contacts", security(("api_key" = [])),
    params(("contact_id" = String, Path, description = "The contact's id")),
    responses((status = 204, description = "Erased"), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    contacts::delete(&state, &account, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A contact's events, newest first.
#[utoipa::path(get, operation_id = "list_contact_events", path = "/api/v1/contacts/{contact_id}/events", tag = "contacts", security(("api_key" = [])),
    params(("contact_id" = String, Path, description = "The contact's id"), EventParams),
    responses((status = 200, description = "OK", body = Vec<EventView>), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<EventParams>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    Ok(Json(contacts::events(&state, &account, &id, params).await?))
}

/// A contact's consent history, oldest first.
#[utoipa::path(get, operation_id = "list_consent_changes", path = "/api/v1/contacts/{contact_id}/consent", tag = "contacts", security(("api_key" = [])),
    params(("contact_id" = String, Path, description = "The contact's id")),
    responses((status = 200, description = "OK", body = Vec<ConsentChangeView>), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn consent(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<Vec<ConsentChangeView>>, ApiError> {
    Ok(Json(contacts::consent(&state, &account, &id).await?))
}

/// Everything known of one contact in one read: attributes, consent with its history, recent
/// events, the cart, and each message a campaign sent or skipped for them, with why.
#[utoipa::path(get, operation_id = "get_contact_profile", path = "/api/v1/contacts/{contact_id}/profile", tag = "contacts", security(("api_key" = [])),
    params(("contact_id" = String, Path, description = "The contact's id")),
    responses((status = 200, description = "OK", body = ContactProfile), (status = 401, description = "No valid credentials", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn profile(
    State(state): State<AppState>,
    AccountAuth(account, _): AccountAuth,
    Path(id): Path<String>,
) -> Result<Json<ContactProfile>, ApiError> {
    Ok(Json(
        tern_app::audience::profile::profile(&state, &account, &id).await?,
    ))
}
