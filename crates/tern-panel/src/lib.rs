//! The panel: server-rendered pages over the same use cases as the JSON API (`tern-app`), with
//! their assets embedded in the binary. Pages render what the use cases answer; the little
//! JavaScript they carry calls the API with the session's cookie and CSRF token for what
//! changes live. Sign-in sessions are the panel's; the API accepts them for those calls.

mod assets;
mod auth;
mod campaigns;
mod contact;
mod library;
mod render;
mod report;
pub mod session;
mod team;

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::{self, Next},
    response::{Redirect, Response},
    routing::{get, post},
};

use auth::Signed;
pub(crate) use render::{PanelError, page};

use tern_app::AppState;

/// The panel's routes.
fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/campaigns") }))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/assets/{name}", get(assets::serve))
        .route(
            "/campaigns",
            get(campaigns::listing).post(campaigns::create),
        )
        .route("/campaigns/{id}", get(campaigns::open))
        .route("/campaigns/{id}/duplicate", post(campaigns::duplicate))
        .route("/campaigns/{id}/archive", post(campaigns::archive))
        .route("/campaigns/{id}/goal", post(campaigns::change_goal))
        .route(
            "/campaigns/{id}/simulate-shopper",
            post(campaigns::simulate_shopper),
        )
        .route("/campaigns/{id}/steps/{step}", get(campaigns::step))
        .route("/contacts", get(library::contacts))
        .route("/contacts/{id}", get(contact::open))
        .route("/segments", get(library::segments))
        .route("/media", get(library::media))
        .route("/settings", get(library::settings))
        .route("/users", get(team::team))
        .route("/users/invite", post(team::invite))
        .route("/users/{id}/remove", post(team::remove))
        .route("/users/invites/{id}/cancel", post(team::cancel_invite))
        .route("/users/password", post(team::change_password))
        .route("/invite/{token}", get(team::invitation).post(team::join))
        .route("/audit", get(team::audit_trail))
}

/// The panel's routes with their headers.
pub fn router(state: AppState) -> Router<AppState> {
    routes().layer(middleware::from_fn_with_state(state, security_headers))
}

/// No inline script, nothing from elsewhere (but media at the public address, which may be
/// another name of this server), no framing; pages are not cached.
async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' {} data: blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
        state.public_url
    );
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// A list page's query from its filter form: empty fields mean "any" and are left out, so the
/// use case's own parsing judges the rest.
fn filled(fields: &[(&str, &String)]) -> serde_json::Map<String, serde_json::Value> {
    fields
        .iter()
        .filter(|(_, value)| !value.trim().is_empty())
        .map(|(key, value)| ((*key).to_owned(), value.trim().into()))
        .collect()
}
