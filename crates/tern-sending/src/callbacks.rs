//! What Twilio (or the sandbox) tells Tern about an account: a request verified against the
//! account's auth token, and a message's status moved forward. The status webhook and the
//! sandbox's callbacks share both.

use chrono::Utc;
use tern_app::{AppError, AppResult, AppState};
use tern_delivery::sandbox::Callback;
use tern_domain::{
    delivery::{
        outcome::{ProviderStatus, explain},
        signature,
    },
    ids::AccountId,
};
use tern_store::{Account, AccountSettings, StatusUpdate, StoreError};

use crate::providers::webhook_identity;

/// A request Twilio signed for one of Tern's accounts.
pub struct Verified {
    pub account: Account,
    pub settings: AccountSettings,
    pub params: Vec<(String, String)>,
}

/// Checks the signature with the account's Twilio auth token (the sandbox's, for an account
/// without credentials); every refusal looks the same, so that a caller learns nothing about
/// which accounts exist.
pub async fn verify(
    state: &AppState,
    account: &str,
    path_and_query: &str,
    signature: Option<&str>,
    params: Vec<(String, String)>,
) -> AppResult<Verified> {
    const REFUSED: AppError =
        AppError::Forbidden("the request is not signed by Twilio for this account");
    let id: AccountId = account.parse().map_err(|_| REFUSED)?;
    let account = match state.store.account(id).await {
        Ok(account) => account,
        Err(StoreError::NotFound) => return Err(REFUSED),
        Err(e) => return Err(e.into()),
    };
    let settings = state.store.settings(account.id).await?;
    let (token, account_sid) = webhook_identity(state, account.id, &settings)?;
    let given = signature.ok_or(REFUSED)?;
    let url = format!("{}{path_and_query}", state.public_url);
    if !signature::verify(&token, &url, &params, given) {
        return Err(REFUSED);
    }
    if param(&params, "AccountSid") != Some(account_sid.as_str()) {
        return Err(REFUSED);
    }
    Ok(Verified {
        account,
        settings,
        params,
    })
}

/// The status change a callback's parameters describe, if they name a message and a status.
pub fn status_update(params: &[(String, String)]) -> Option<StatusUpdate> {
    let sid = param(params, "MessageSid").or(param(params, "SmsSid"))?;
    let status = param(params, "MessageStatus").or(param(params, "SmsStatus"))?;
    let error_code: Option<u32> = param(params, "ErrorCode").and_then(|c| c.parse().ok());
    Some(StatusUpdate {
        sid: sid.to_owned(),
        status: tern_store::decode::unit_enum("status", status).unwrap_or(ProviderStatus::Other),
        error_code,
        error_message: error_code.map(|c| explain(c).to_owned()),
    })
}

/// Moves a message of `account` forward. Statuses only move forward, so repeated and late
/// callbacks change nothing; a sid of another account changes nothing either.
pub async fn apply_status(
    state: &AppState,
    account: AccountId,
    update: &StatusUpdate,
) -> AppResult<()> {
    match state.store.apply_status(account, update, Utc::now()).await {
        Ok(()) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Hands a sandbox callback to the same verification and update as Twilio's.
pub async fn apply_callback(state: &AppState, callback: &Callback) -> AppResult<()> {
    let path = callback
        .url
        .strip_prefix(state.public_url.as_ref())
        .ok_or(AppError::Forbidden("the callback is not for this server"))?;
    let account = path
        .split_once("account=")
        .map(|(_, rest)| rest.split('&').next().unwrap_or(""))
        .unwrap_or("");
    let verified = verify(
        state,
        account,
        path,
        Some(&callback.signature),
        callback.params.clone(),
    )
    .await?;
    let update = status_update(&verified.params).ok_or_else(|| {
        AppError::invalid(
            "MessageStatus",
            "a status callback needs MessageSid and MessageStatus",
        )
    })?;
    apply_status(state, verified.account.id, &update).await
}

/// A form parameter's first value.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
