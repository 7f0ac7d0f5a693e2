//! The contact page: why a person got a message, or did not.

use axum::{
    extract::{Path, State},
    response::Response,
};
use serde_json::json;
use tern_app::{AppState, audience::profile};

use crate::{PanelError, Signed};

/// The contact's profile; an unknown, malformed or other account's id is the 404 page.
pub async fn open(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PanelError> {
    let profile = profile::profile(&state, &signed.account, &id).await?;
    signed.page("contact.html", "contacts", json!({ "profile": profile }))
}
