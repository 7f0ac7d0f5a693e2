//! Twilio's webhooks. Each request names its account in the query (`?account=<id>`, part of the
//! signed URL) and is accepted only with the `X-Twilio-Signature` Twilio computes over the URL
//! Tern is reached at (`TERN_PUBLIC_URL` and the path) and the form parameters; anything else is
//! refused without reading further or changing anything.
//!
//! Inbound messages: STOP and its family unsubscribe the sender's contact (created if unknown,
//! so the number stays suppressed), START and its family subscribe it again, HELP and INFO are
//! answered with the account's HELP text. Status callbacks move a message's provider status
//! forward. Accounts without Twilio credentials are signed for with their sandbox auth token.

use axum::{
    body::Bytes,
    extract::{OriginalUri, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use serde::Deserialize;
use tern_delivery::sandbox::Callback;
use tern_domain::{
    contact::{ConsentSource, ContactDraft, ContactInput},
    delivery::{
        keywords::{Keyword, keyword},
        outcome::{ProviderStatus, explain},
        signature,
    },
    ids::AccountId,
};
use tern_store::{Account, AccountSettings, StatusUpdate, StoreError};

use crate::{ApiError, AppState, audience::upsert_contacts, sending::providers::webhook_identity};

#[derive(Deserialize)]
pub struct WebhookQuery {
    account: String,
}

/// A request Twilio signed for one of Tern's accounts.
struct Verified {
    account: Account,
    settings: AccountSettings,
    params: Vec<(String, String)>,
}

/// Checks the signature with the account's Twilio auth token (the sandbox's, for an account
/// without credentials); every refusal looks the same, so that a caller learns nothing about
/// which accounts exist.
async fn verify(
    state: &AppState,
    account: &str,
    path_and_query: &str,
    signature: Option<&str>,
    params: Vec<(String, String)>,
) -> Result<Verified, ApiError> {
    const REFUSED: ApiError =
        ApiError::Forbidden("the request is not signed by Twilio for this account");
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

/// A webhook request's parts that the signature covers.
async fn verify_request(
    state: &AppState,
    query: &WebhookQuery,
    uri: &OriginalUri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Verified, ApiError> {
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let path = uri.0.path_and_query().map_or("/", |p| p.as_str());
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok());
    verify(state, &query.account, path, signature, params).await
}

/// `POST /webhooks/twilio/status?account=<id>`: a message's status moved. Statuses only move
/// forward, so repeated and late callbacks change nothing.
pub async fn status(
    State(state): State<AppState>,
    Query(query): Query<WebhookQuery>,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let verified = verify_request(&state, &query, &uri, &headers, &body).await?;
    apply_status(&state, &verified).await
}

/// Hands a sandbox callback to the same verification and update as Twilio's.
pub async fn apply_callback(state: &AppState, callback: &Callback) -> Result<StatusCode, ApiError> {
    let path = callback
        .url
        .strip_prefix(state.public_url.as_ref())
        .ok_or(ApiError::Forbidden("the callback is not for this server"))?;
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
    apply_status(state, &verified).await
}

async fn apply_status(state: &AppState, verified: &Verified) -> Result<StatusCode, ApiError> {
    let params = &verified.params;
    let (Some(sid), Some(status)) = (
        param(params, "MessageSid").or(param(params, "SmsSid")),
        param(params, "MessageStatus").or(param(params, "SmsStatus")),
    ) else {
        return Err(ApiError::BadRequest(
            "a status callback needs MessageSid and MessageStatus".into(),
        ));
    };
    let error_code: Option<u32> = param(params, "ErrorCode").and_then(|c| c.parse().ok());
    let update = StatusUpdate {
        sid: sid.to_owned(),
        status: tern_store::decode::unit_enum("status", status).unwrap_or(ProviderStatus::Other),
        error_code,
        error_message: error_code.map(|c| explain(c).to_owned()),
    };
    match state
        .store
        .apply_status(verified.account.id, &update, Utc::now())
        .await
    {
        // Another account's message: nothing changes, and the answer says no more.
        Ok(()) | Err(StoreError::NotFound) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(e.into()),
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `POST /webhooks/twilio/inbound?account=<id>`: a message to one of the account's numbers.
pub async fn inbound(
    State(state): State<AppState>,
    Query(query): Query<WebhookQuery>,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Verified {
        account,
        settings,
        params,
    } = verify_request(&state, &query, &uri, &headers, &body).await?;
    let body_text = param(&params, "Body").unwrap_or("");
    let reply = match keyword(body_text, param(&params, "OptOutType")) {
        None => None,
        Some(Keyword::Help) => Some(settings.help_reply.clone()),
        Some(kind @ (Keyword::Stop | Keyword::Start)) => {
            let from = param(&params, "From").unwrap_or("");
            let consent = if kind == Keyword::Stop {
                "unsubscribed"
            } else {
                "subscribed"
            };
            let input = ContactInput {
                external_id: None,
                phone: Some(from),
                attributes: None,
                consent: Some(consent),
            };
            // A sender that is not a phone number (a short code's test, an alphanumeric id)
            // has no contact to change: nothing to do.
            if let Ok(draft) = ContactDraft::parse(input, None) {
                let results = upsert_contacts(
                    state.store.as_ref(),
                    account.id,
                    &[(draft, ConsentSource::Keyword)],
                    Utc::now(),
                )
                .await?;
                if let Some(Err(refused)) = results.first() {
                    tracing::warn!(account = %account.id, field = %refused.field, "inbound keyword not applied: {}", refused.message);
                }
            }
            // Twilio answers STOP and START itself on its numbers.
            None
        }
    };
    Ok(twiml(reply.as_deref()))
}

/// A TwiML answer: a reply message, or none.
fn twiml(reply: Option<&str>) -> Response {
    let xml = match reply {
        Some(text) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{}</Message></Response>",
            escape(text)
        ),
        None => "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>".to_owned(),
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/xml")], xml).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}
