//! The account's panel users. An admin lists, invites and removes users; everyone changes their
//! own password, which ends all their sessions. An invitation is a one-time link shown once to
//! the admin who made it (Tern sends no e-mail); its holder chooses a password.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tern_domain::{
    access::Role,
    account::Email,
    ids::{AccountId, UserId},
};
use tern_store::{Account, Invite, NewUser, StoreError, User};

use super::signin::{new_password_hash, sign_in};
use crate::{Actor, AppError, AppResult, AppState, audit, random};

/// How long an invitation link works.
pub const INVITE_LIFETIME: TimeDelta = TimeDelta::days(7);

/// A user as the panel lists them.
#[derive(Serialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email,
            role: u.role,
            created_at: u.created_at,
        }
    }
}

/// An invitation not yet accepted; `id` names it for cancelling (the hash of its token).
#[derive(Serialize)]
pub struct InviteView {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<Invite> for InviteView {
    fn from(i: Invite) -> Self {
        Self {
            id: i.token_hash,
            email: i.email.as_str().to_owned(),
            role: i.role,
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

/// The account's users and open invitations.
#[derive(Serialize)]
pub struct Team {
    pub users: Vec<UserView>,
    pub invites: Vec<InviteView>,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The signed-in user, who must be an admin of `account`.
async fn admin(state: &AppState, account: AccountId, me: UserId) -> AppResult<User> {
    let (user, _) = state.store.user(account, me).await?;
    if user.role != Role::Admin {
        return Err(AppError::Forbidden(
            "only an admin of the account manages its users",
        ));
    }
    Ok(user)
}

/// The users and invitations, for an admin.
pub async fn team(state: &AppState, account: &Account, me: UserId) -> AppResult<Team> {
    admin(state, account.id, me).await?;
    let users = state.store.list_users(account.id).await?;
    let invites = state.store.list_invites(account.id, Utc::now()).await?;
    Ok(Team {
        users: users.into_iter().map(UserView::from).collect(),
        invites: invites.into_iter().map(InviteView::from).collect(),
    })
}

/// Invites `email` with `role`; answers the link's token, shown once.
pub async fn invite(
    state: &AppState,
    account: &Account,
    me: UserId,
    email: &str,
    role: &str,
) -> AppResult<(InviteView, String)> {
    admin(state, account.id, me).await?;
    let email: Email = email.parse()?;
    let role: Role = role.parse()?;
    match state.store.user_by_email(email.as_str()).await {
        Ok(_) => {
            return Err(AppError::Conflict(format!(
                "{} already has a user",
                email.as_str()
            )));
        }
        Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let token = hex::encode(random::<32>());
    let now = Utc::now();
    let invite = Invite {
        token_hash: token_hash(&token),
        account_id: account.id,
        email,
        role,
        created_by: Actor::User(me).by(),
        created_at: now,
        expires_at: now + INVITE_LIFETIME,
    };
    state.store.create_invite(&invite).await?;
    let detail = serde_json::json!({ "email": invite.email.as_str(), "role": role });
    audit::by(
        state,
        account.id,
        Actor::User(me),
        "user.invited",
        None,
        detail,
    )
    .await;
    Ok((InviteView::from(invite), token))
}

/// Withdraws an invitation.
pub async fn cancel_invite(
    state: &AppState,
    account: &Account,
    me: UserId,
    id: &str,
) -> AppResult<()> {
    admin(state, account.id, me).await?;
    state.store.delete_invite(account.id, id).await?;
    let detail = serde_json::json!({});
    audit::by(
        state,
        account.id,
        Actor::User(me),
        "user.invite_cancelled",
        None,
        detail,
    )
    .await;
    Ok(())
}

/// Removes a user and their sessions; an admin cannot remove themselves (another admin can), and
/// the last admin stays.
pub async fn remove(state: &AppState, account: &Account, me: UserId, id: &str) -> AppResult<()> {
    admin(state, account.id, me).await?;
    let id: UserId = id.parse().map_err(|_| AppError::NotFound)?;
    if id == me {
        return Err(AppError::Conflict(
            "you cannot remove yourself; another admin can".into(),
        ));
    }
    let (user, _) = state.store.user(account.id, id).await?;
    match state
        .store
        .delete_user(account.id, id, &Actor::User(id).by())
        .await
    {
        Err(StoreError::Conflict { .. }) => {
            return Err(AppError::Conflict(
                "the account would be left without an admin".into(),
            ));
        }
        other => other?,
    }
    let detail = serde_json::json!({ "email": user.email });
    audit::by(
        state,
        account.id,
        Actor::User(me),
        "user.removed",
        Some(id.to_string()),
        detail,
    )
    .await;
    Ok(())
}

/// The live invitation a link's token names (to show its e-mail before accepting).
pub async fn open_invite(state: &AppState, token: &str) -> AppResult<InviteView> {
    Ok(state
        .store
        .invite(&token_hash(token), Utc::now())
        .await?
        .into())
}

/// Accepts an invitation: creates its user with `password`; the link then works no more.
pub async fn accept_invite(state: &AppState, token: &str, password: String) -> AppResult<User> {
    let invite = state.store.invite(&token_hash(token), Utc::now()).await?;
    let password_hash = new_password_hash(password).await?;
    let user = NewUser {
        id: UserId::from_random(random()),
        account_id: invite.account_id,
        email: invite.email.clone(),
        role: invite.role,
        password_hash,
        created_at: Utc::now(),
    };
    let user = match state
        .store
        .accept_invite(&invite.token_hash, user, Utc::now())
        .await
    {
        Err(StoreError::Conflict { .. }) => {
            return Err(AppError::Conflict(format!(
                "{} already has a user",
                invite.email.as_str()
            )));
        }
        other => other?,
    };
    let detail = serde_json::json!({ "email": user.email, "role": user.role });
    let target = Some(user.id.to_string());
    audit::by(
        state,
        user.account_id,
        Actor::User(user.id),
        "user.joined",
        target,
        detail,
    )
    .await;
    Ok(user)
}

/// Changes the signed-in user's own password, given the current one; every session of theirs
/// ends (the caller starts a new one for this browser).
pub async fn change_password(
    state: &AppState,
    account: &Account,
    me: UserId,
    current: String,
    new: String,
) -> AppResult<User> {
    let (user, _) = state.store.user(account.id, me).await?;
    // Checked as a sign-in is, so that a stolen session cannot guess the password faster.
    match sign_in(state, &user.email, current, None).await {
        Ok(_) => {}
        Err(AppError::NotFound) => {
            return Err(AppError::invalid(
                "current_password",
                "is not your current password",
            ));
        }
        Err(e) => return Err(e),
    }
    let hash = new_password_hash(new).await?;
    state.store.set_password(account.id, me, &hash).await?;
    let detail = serde_json::json!({});
    audit::by(
        state,
        account.id,
        Actor::User(me),
        "user.password_changed",
        None,
        detail,
    )
    .await;
    Ok(user)
}
