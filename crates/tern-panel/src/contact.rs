//! The contact page: why a person got a message, or did not.

use axum::{
    extract::{Path, State},
    response::Response,
};
use serde_json::json;

use tern_app::{
    AppState,
    audience::{contact_profile, contacts::contact_id},
};

use crate::{PanelError, Signed};

/// The contact's profile; an unknown, malformed or other account's id is the 404 page.
pub async fn open(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PanelError> {
    let profile =
        contact_profile(state.store.as_ref(), signed.account.id, contact_id(&id)?).await?;
    signed.page("contact.html", "contacts", json!({ "profile": profile }))
}
