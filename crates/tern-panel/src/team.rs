//! Users, invitations, one's own password and the audit trail. Forms post here; every use case
//! is `tern-app`'s (`accounts::users`, `audit`), which checks who may do what.

use axum::{
    Form,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use serde_json::json;

use tern_app::{
    AppError, AppState,
    accounts::users,
    audit::{self, AuditParams},
};

use crate::{PanelError, Signed, page, session};

#[derive(Deserialize, Default)]
pub struct Notice {
    done: Option<String>,
}

/// What a finished form tells the next page, in a marketer's words.
fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "removed" => Some("The user was removed and signed out."),
        "cancelled" => Some("The invitation was withdrawn; its link works no more."),
        "password" => Some("Your password was changed. Every other session of yours has ended."),
        _ => None,
    }
}

/// The users page: the team for an admin, and one's own password for everyone.
async fn team_page(
    state: &AppState,
    signed: &Signed,
    done: Option<&str>,
    new_link: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PanelError> {
    let team = match users::team(state, &signed.account, signed.session.user_id).await {
        Ok(team) => Some(team),
        Err(AppError::Forbidden(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let mut page = signed.page(
        "users.html",
        "users",
        json!({
            "team": team,
            "me_id": signed.session.user_id.to_string(),
            "notice": notice(done),
            "new_link": new_link,
            "error": error,
        }),
    )?;
    *page.status_mut() = status;
    Ok(page)
}

pub async fn team(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<Notice>,
) -> Result<Response, PanelError> {
    team_page(
        &state,
        &signed,
        query.done.as_deref(),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct InviteForm {
    csrf: String,
    email: String,
    role: String,
}

pub async fn invite(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<InviteForm>,
) -> Result<Response, PanelError> {
    signed.check(&form.csrf)?;
    let me = signed.session.user_id;
    match users::invite(&state, &signed.account, me, &form.email, &form.role).await {
        // The link is shown once, on this answer: only its hash is kept.
        Ok((_, token)) => {
            let link = format!("{}/invite/{token}", state.public_url);
            team_page(&state, &signed, None, Some(link), None, StatusCode::OK).await
        }
        Err(e) => refused(&state, &signed, e).await,
    }
}

/// A refused form shown on the Users page with its reason (a field's value, or a conflict);
/// any other error is the error page.
async fn refused(
    state: &AppState,
    signed: &Signed,
    error: AppError,
) -> Result<Response, PanelError> {
    let status = match error {
        AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        other => return Err(other.into()),
    };
    team_page(state, signed, None, None, Some(error.to_string()), status).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn remove(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PanelError> {
    signed.check(&form.csrf)?;
    match users::remove(&state, &signed.account, signed.session.user_id, &id).await {
        Ok(()) => Ok(Redirect::to("/users?done=removed").into_response()),
        Err(e) => refused(&state, &signed, e).await,
    }
}

pub async fn cancel_invite(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PanelError> {
    signed.check(&form.csrf)?;
    users::cancel_invite(&state, &signed.account, signed.session.user_id, &id).await?;
    Ok(Redirect::to("/users?done=cancelled").into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
    confirm_password: String,
}

/// Changes one's own password: every session of the user ends, and this browser gets a new one.
pub async fn change_password(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PanelError> {
    signed.check(&form.csrf)?;
    if form.new_password != form.confirm_password {
        let message = Some("The new password and its confirmation differ.".to_owned());
        return team_page(
            &state,
            &signed,
            None,
            None,
            message,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let me = signed.session.user_id;
    let changed = users::change_password(
        &state,
        &signed.account,
        me,
        form.current_password,
        form.new_password,
    )
    .await;
    match changed {
        Ok(user) => {
            let cookie = session::start(&state, &user).await?;
            Ok((
                [(header::SET_COOKIE, cookie)],
                Redirect::to("/users?done=password"),
            )
                .into_response())
        }
        Err(e) => refused(&state, &signed, e).await,
    }
}

/// The page an invitation link opens: choose a password to join. No session needed.
pub async fn invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PanelError> {
    match users::open_invite(&state, &token).await {
        Ok(invite) => page("invite.html", json!({ "invite": invite, "token": token })),
        Err(AppError::NotFound) => gone(),
        Err(e) => Err(e.into()),
    }
}

fn gone() -> Result<Response, PanelError> {
    let mut page = page("invite.html", json!({ "invite": null }))?;
    *page.status_mut() = StatusCode::NOT_FOUND;
    Ok(page)
}

#[derive(Deserialize)]
pub struct JoinForm {
    password: String,
    confirm_password: String,
}

/// Accepts an invitation. The link itself is the credential (it is random and works once), so
/// the form carries no other token; but a form posted from another site is refused (browsers
/// say where a request comes from in `Sec-Fetch-Site`), or an attacker could sign a visitor in
/// to the attacker's own account with the attacker's link. The new user is signed in.
pub async fn join(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<JoinForm>,
) -> Result<Response, PanelError> {
    let from = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if from.is_some_and(|site| !matches!(site, "same-origin" | "none")) {
        return Err(PanelError::Forgery);
    }
    let invite = match users::open_invite(&state, &token).await {
        Ok(invite) => invite,
        Err(AppError::NotFound) => return gone(),
        Err(e) => return Err(e.into()),
    };
    let refuse = |message: String| {
        let context = json!({ "invite": invite, "token": token, "error": message });
        page("invite.html", context).map(|mut page| {
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            page
        })
    };
    if form.password != form.confirm_password {
        return refuse("The password and its confirmation differ.".into());
    }
    match users::accept_invite(&state, &token, form.password).await {
        Ok(user) => {
            let cookie = session::start(&state, &user).await?;
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/campaigns")).into_response())
        }
        Err(AppError::NotFound) => gone(),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict(_))) => refuse(e.to_string()),
        Err(e) => Err(e.into()),
    }
}

/// The audit trail, newest first.
pub async fn audit_trail(
    State(state): State<AppState>,
    signed: Signed,
    Query(params): Query<AuditParams>,
) -> Result<Response, PanelError> {
    let trail = audit::list(&state, &signed.account, params).await?;
    signed.page("audit.html", "audit", json!({ "trail": trail }))
}
