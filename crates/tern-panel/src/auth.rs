//! Signing in and out, and the extractor that sends a visitor without a session to sign in.

use axum::{
    Form,
    extract::{FromRequestParts, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

use tern_domain::credential::{hash_password, verify_password};
use tern_store::{Account, Session, StoreError};

use tern_app::{Actor, AppState, constant_time_eq, random};

use crate::{PanelError, page, session};

/// A signed-in user and their account.
pub struct Signed {
    pub session: Session,
    pub account: Account,
}

/// What every page's frame shows: who is signed in, and the token its forms carry.
#[derive(Serialize)]
pub struct Me {
    email: String,
    account: String,
    csrf: String,
    mms_enabled: bool,
}

impl Signed {
    /// Who acts: the signed-in user.
    pub fn actor(&self) -> Actor {
        Actor::User(self.session.user_id)
    }

    /// Refuses a form that does not carry the session's CSRF token.
    pub fn check(&self, csrf: &str) -> Result<(), PanelError> {
        if session::csrf_matches(&self.session, Some(csrf)) {
            Ok(())
        } else {
            Err(PanelError::Forgery)
        }
    }

    /// Renders a page of the signed-in frame: `context` gains `me` and `nav` (the menu entry to
    /// mark as current).
    pub fn page(
        &self,
        name: &str,
        nav: &str,
        mut context: serde_json::Value,
    ) -> Result<Response, PanelError> {
        if let Some(object) = context.as_object_mut() {
            object.insert("me".into(), serde_json::json!(self.me()));
            object.insert("nav".into(), nav.into());
        }
        page(name, context)
    }

    fn me(&self) -> Me {
        Me {
            email: self.session.email.clone(),
            account: self.account.name.to_string(),
            csrf: self.session.csrf_token.clone(),
            mms_enabled: self.account.mms_enabled,
        }
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let found = session::current(state, &parts.headers)
            .await
            .map_err(|e| PanelError::from(e).into_response())?;
        let Some(session) = found else {
            let next = parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &next)
                .finish();
            return Err(Redirect::to(&format!("/login?{query}")).into_response());
        };
        let account = state
            .store
            .account(session.account_id)
            .await
            .map_err(|e| PanelError::from(e).into_response())?;
        Ok(Self { session, account })
    }
}

/// A hash no password matches in practice, checked when the e-mail is unknown.
static UNKNOWN_USER_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_password(&hex::encode(random::<16>()), random()).expect("a long password")
});

/// The sign-in form's own CSRF cookie: there is no session yet to hold a token.
const LOGIN_COOKIE: &str = "tern_login";

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only paths of this site, so that a link cannot send a user elsewhere after signing in.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/campaigns",
    }
}

fn login_form(next: &str, email: &str, error: Option<&str>, status: StatusCode) -> Response {
    let token = hex::encode(random::<16>());
    let cookie =
        format!("{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600");
    let context =
        serde_json::json!({ "csrf": token, "next": next, "email": email, "error": error });
    match page("login.html", context) {
        Ok(page) => (
            status,
            [(
                header::SET_COOKIE,
                HeaderValue::from_str(&cookie).expect("ASCII"),
            )],
            page,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn login_page(Query(query): Query<LoginQuery>) -> Response {
    login_form(safe_next(query.next.as_deref()), "", None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let cookie = session::cookie_value(&headers, LOGIN_COOKIE);
    if !cookie.is_some_and(|c| constant_time_eq(c.as_bytes(), form.csrf.as_bytes())) {
        return login_form(
            next,
            &form.email,
            Some("The sign-in form expired. Please try again."),
            StatusCode::FORBIDDEN,
        );
    }
    let found = match state.store.user_by_email(form.email.trim()).await {
        Ok(found) => Some(found),
        Err(StoreError::NotFound) => None,
        Err(e) => return PanelError::from(e).into_response(),
    };
    // An unknown e-mail costs the same hashing as a wrong password, so timing tells neither.
    let hash = found
        .as_ref()
        .map_or_else(|| UNKNOWN_USER_HASH.clone(), |(_, hash)| hash.clone());
    // Argon2 takes tens of milliseconds of CPU: off the threads that serve requests.
    let password = form.password;
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let user = match found {
        Some((user, _)) if matches => user,
        _ => {
            return login_form(
                next,
                &form.email,
                Some("The e-mail or the password is not right."),
                StatusCode::UNAUTHORIZED,
            );
        }
    };
    match session::start(&state, &user).await {
        Ok(cookie) => ([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response(),
        Err(e) => PanelError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Result<Response, PanelError> {
    signed.check(&form.csrf)?;
    let cookie = session::end(&state, &headers).await?;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}
