//! Signing in and out, and the extractor that sends a visitor without a session to sign in.

use axum::{
    Form,
    extract::{FromRequestParts, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};

use tern_store::{Account, Session};

use tern_app::{Actor, AppError, AppState, accounts::signin, constant_time_eq, random};

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

/// The sign-in form's own CSRF cookie: there is no session yet to hold a token.
const LOGIN_COOKIE: &str = "tern_login";

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only paths of this site, so that a link cannot send a user elsewhere after signing in: one
/// leading slash, then printable ASCII without a backslash. Browsers drop tabs and newlines
/// from a `Location` (`/\t/evil.example` becomes `//evil.example`), and a control character
/// cannot be a header value at all.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n
        }
        _ => "/campaigns",
    }
}

/// The client's network address, where the server records it (not for in-process requests).
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
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
    ClientAddress(address): ClientAddress,
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
    let user = match signin::sign_in(&state, &form.email, form.password, address).await {
        Ok(user) => user,
        Err(AppError::NotFound) => {
            return login_form(
                next,
                &form.email,
                Some("The e-mail or the password is not right."),
                StatusCode::UNAUTHORIZED,
            );
        }
        Err(AppError::TooMany {
            message,
            retry_after_secs,
        }) => {
            let mut page = login_form(
                next,
                &form.email,
                Some(&format!("{message}.")),
                StatusCode::TOO_MANY_REQUESTS,
            );
            page.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            return page;
        }
        Err(e) => return PanelError::from(e).into_response(),
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
