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
    extract::{OriginalUri, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use serde::Deserialize;
use tern_app::{
    AppState,
    audience::{store_signal, upsert_contacts},
    audit,
};
use tern_domain::{
    contact::{ConsentSource, ContactDraft, ContactInput},
    delivery::keywords::{Keyword, keyword},
};
use tern_sending::callbacks::{Verified, apply_status, param, status_update, verify};

use crate::{ApiError, extract::ApiQuery};

#[derive(Deserialize)]
pub struct WebhookQuery {
    account: String,
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
    Ok(verify(state, &query.account, path, signature, params).await?)
}

/// `POST /webhooks/twilio/status?account=<id>`: a message's status moved. Statuses only move
/// forward, so repeated and late callbacks change nothing.
pub async fn status(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<WebhookQuery>,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let verified = verify_request(&state, &query, &uri, &headers, &body).await?;
    let update = status_update(&verified.params).ok_or_else(|| {
        ApiError::BadRequest("a status callback needs MessageSid and MessageStatus".into())
    })?;
    apply_status(&state, verified.account.id, &update).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /webhooks/twilio/inbound?account=<id>`: a message to one of the account's numbers.
pub async fn inbound(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<WebhookQuery>,
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
                let source = ConsentSource::Keyword;
                match upsert_contacts(
                    state.store.as_ref(),
                    account.id,
                    &[(draft.clone(), source)],
                    Utc::now(),
                )
                .await
                {
                    Ok(results) => match results.first() {
                        Some(Err(refused)) => {
                            tracing::warn!(account = %account.id, field = %refused.field, "inbound keyword not applied: {}", refused.message);
                        }
                        Some(Ok(done)) if done.consent_changed => {
                            let detail =
                                serde_json::json!({ "consent": consent, "source": "keyword" });
                            let target = Some(done.id.0.to_string());
                            audit::record(
                                &state,
                                account.id,
                                "contact",
                                "contact.consent_changed",
                                target,
                                detail,
                            )
                            .await;
                        }
                        _ => {}
                    },
                    // Twilio does not send it again: an opt-out is stored in the background
                    // instead. An opt-in is not retried: late, it could undo a newer STOP.
                    Err(error) if kind == Keyword::Stop => {
                        tracing::warn!(account = %account.id, %error, "STOP not stored yet; trying again in the background");
                        store_signal(state.store.clone(), account.id, draft, source);
                    }
                    Err(error) => {
                        tracing::warn!(account = %account.id, %error, "START not stored; the contact stays as it was")
                    }
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
