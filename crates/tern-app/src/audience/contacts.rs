//! Contacts: upsert, list, read (with cart, events and consent history), delete; and the views
//! of a contact other use cases share.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tern_domain::{
    contact::{Cart, Consent, ConsentProof, ConsentSource, ContactDraft, ContactInput},
    ids::{AccountId, ContactId},
    phone::Region,
};
use tern_store::{Account, ConsentChange, Contact, ContactQuery, Event, Store};
use utoipa::{IntoParams, ToSchema};

use crate::{
    Actor, AppError, AppResult, AppState,
    audience::{Outcome, upsert_contacts},
    audit,
};

/// A contact as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct ContactView {
    pub id: i64,
    pub external_id: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    /// ISO 3166 code of the phone's country.
    pub country: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    /// `subscribed`, `unsubscribed` or `unknown`; only `subscribed` contacts receive marketing.
    pub consent: String,
    /// Where the last consent change came from (`api`, `import`, `identify`, `keyword`, …).
    pub consent_source: Option<String>,
    pub consent_changed_at: Option<DateTime<Utc>>,
    /// The zone quiet hours use for this contact.
    pub timezone: String,
    /// `attribute`, `phone` or `account`.
    pub timezone_source: String,
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The current cart (only when one contact is read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cart: Option<CartView>,
    /// Present when the request asked to end the contact's opt-out without the right to: the
    /// consent stayed, and this says why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_kept: Option<String>,
}

impl ContactView {
    pub fn new(contact: Contact, account_zone: chrono_tz::Tz) -> Self {
        let state = contact.state;
        let from_attribute = state
            .attributes
            .get("timezone")
            .and_then(Value::as_str)
            .is_some_and(|name| state.timezone.as_deref() == Some(name.trim()));
        let (timezone, source) = match &state.timezone {
            Some(zone) if from_attribute => (zone.clone(), "attribute"),
            Some(zone) => (zone.clone(), "phone"),
            None => (account_zone.name().to_owned(), "account"),
        };
        Self {
            id: contact.id.0,
            external_id: state.external_id,
            phone: state.phone,
            country: state.country,
            attributes: state.attributes,
            consent: state.consent.as_str().to_owned(),
            consent_source: contact.consent_source.map(|s| s.as_str().to_owned()),
            consent_changed_at: contact.consent_changed_at,
            timezone,
            timezone_source: source.to_owned(),
            revision: contact.revision,
            created_at: contact.created_at,
            updated_at: contact.updated_at,
            cart: None,
            consent_kept: None,
        }
    }
}

/// A contact's cart, kept by the e-commerce events.
#[derive(Serialize, ToSchema)]
pub struct CartView {
    pub items: Vec<CartItemView>,
    pub total: f64,
    pub currency: Option<String>,
    /// `open`, `checkout_started` or `ordered`.
    pub status: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct CartItemView {
    pub product_id: String,
    pub name: String,
    pub price: f64,
    pub quantity: u32,
    pub image_url: Option<String>,
    pub url: Option<String>,
}

impl From<Cart> for CartView {
    fn from(cart: Cart) -> Self {
        Self {
            total: cart.total(),
            status: tern_store::decode::json_text(&cart.status),
            currency: cart.currency,
            updated_at: cart.updated_at,
            items: cart
                .items
                .into_iter()
                .map(|i| CartItemView {
                    product_id: i.product_id,
                    name: i.name,
                    price: i.price,
                    quantity: i.quantity,
                    image_url: i.image_url,
                    url: i.url,
                })
                .collect(),
        }
    }
}

/// An upsert: the contact with this external id, else the one with this phone, else a new one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    pub external_id: Option<String>,
    /// In E.164, or national with `default_region`.
    pub phone: Option<String>,
    /// Merged into the stored attributes; `null` removes one.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Value>,
    /// `subscribed`, `unsubscribed` or `unknown`. A contact who opted out (by any source) is
    /// subscribed again only with `consent_proof`; without it the consent stays and the answer
    /// says so in `consent_kept`.
    pub consent: Option<String>,
    /// How, when and where the contact gave consent anew: recorded with the change.
    pub consent_proof: Option<ConsentProofBody>,
    /// ISO 3166 code for a phone written without its country code.
    pub default_region: Option<String>,
}

pub async fn account_zone(
    store: &dyn Store,
    account: AccountId,
) -> Result<chrono_tz::Tz, AppError> {
    Ok(store.settings(account).await?.timezone.tz())
}

fn parse_region(region: Option<&str>) -> Result<Option<Region>, AppError> {
    region
        .map(|r| r.parse::<Region>())
        .transpose()
        .map_err(|e| AppError::Invalid {
            field: "default_region".into(),
            message: e.to_string(),
        })
}

/// Proof of new consent.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentProofBody {
    /// How it was collected, e.g. "web form double opt-in".
    pub method: String,
    /// When the contact gave it (not in the future).
    pub collected_at: DateTime<Utc>,
    /// Where: the form's address, the shop, the IP address.
    pub location: String,
}

/// Creates or updates a contact; `true` when it was created.
pub async fn upsert(
    state: &AppState,
    account: &Account,
    actor: Actor,
    request: ContactRequest,
) -> AppResult<(ContactView, bool)> {
    let region = parse_region(request.default_region.as_deref())?;
    let proof = request
        .consent_proof
        .map(|p| ConsentProof::new(&p.method, p.collected_at, &p.location, Utc::now()))
        .transpose()?;
    if proof.is_some() && request.consent.is_none() {
        return Err(AppError::invalid(
            "consent_proof",
            "comes with the consent it proves: send consent too",
        ));
    }
    let mut draft = ContactDraft::parse(
        ContactInput {
            external_id: request.external_id.as_deref(),
            phone: request.phone.as_deref(),
            attributes: request.attributes,
            consent: request.consent.as_deref(),
        },
        region,
    )
    .map_err(|mut problems| AppError::from(problems.remove(0)))?;
    draft.consent_proof = proof.clone();
    let mut results = upsert_contacts(
        state.store.as_ref(),
        account.id,
        &[(draft, ConsentSource::Api)],
        Utc::now(),
    )
    .await?;
    let done = results.remove(0)?;
    let contact = state.store.contact(account.id, done.id).await?;
    let zone = account_zone(state.store.as_ref(), account.id).await?;
    if done.consent_changed {
        audit::by(
            state,
            account.id,
            actor,
            "contact.consent_changed",
            Some(contact.id.0.to_string()),
            serde_json::json!({ "consent": contact.state.consent, "proof": proof }),
        )
        .await;
    }
    let mut view = ContactView::new(contact, zone);
    if done.consent_kept {
        view.consent_kept = Some(
            "the contact (or their number) opted out: only their own START, or a request with a \
             consent_proof collected after the opt-out, subscribes them again; their consent stayed"
                .to_owned(),
        );
    }
    Ok((view, done.outcome == Outcome::Created))
}

/// A page of contacts.
#[derive(Serialize, ToSchema)]
pub struct ContactPage {
    pub contacts: Vec<ContactView>,
    /// Pass as `after` for the next page; absent on the last.
    pub next_after: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// 1 to 1000; 50 by default.
    pub limit: Option<u32>,
    /// The cursor: `next_after` of the previous page.
    pub after: Option<i64>,
    pub consent: Option<String>,
    /// ISO 3166 code.
    pub country: Option<String>,
    /// The start of a phone number (E.164) or of an external id.
    pub search: Option<String>,
}

/// Lists contacts in id order, filtered, a page at a time.
pub async fn list(
    state: &AppState,
    account: &Account,
    params: ListParams,
) -> AppResult<ContactPage> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::Invalid {
            field: "limit".into(),
            message: "must be 1 to 1000".into(),
        });
    }
    let consent = params
        .consent
        .as_deref()
        .map(|name| {
            Consent::ALL
                .into_iter()
                .find(|c| c.as_str() == name)
                .ok_or(AppError::Invalid {
                    field: "consent".into(),
                    message: "must be subscribed, unsubscribed or unknown".into(),
                })
        })
        .transpose()?;
    let query = ContactQuery {
        after: params.after.map(ContactId),
        limit: limit + 1,
        consent,
        country: params.country.map(|c| c.trim().to_ascii_uppercase()),
        search: params
            .search
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
    };
    let mut contacts = state.store.list_contacts(account.id, &query).await?;
    let more = contacts.len() > limit as usize;
    contacts.truncate(limit as usize);
    let zone = account_zone(state.store.as_ref(), account.id).await?;
    let next_after = more.then(|| contacts.last().map(|c| c.id.0)).flatten();
    Ok(ContactPage {
        contacts: contacts
            .into_iter()
            .map(|c| ContactView::new(c, zone))
            .collect(),
        next_after,
    })
}

pub fn contact_id(raw: &str) -> Result<ContactId, AppError> {
    raw.parse::<i64>()
        .map(ContactId)
        .map_err(|_| AppError::NotFound)
}

/// One contact with its cart.
pub async fn get(state: &AppState, account: &Account, id: &str) -> AppResult<ContactView> {
    let id = contact_id(id)?;
    let contact = state.store.contact(account.id, id).await?;
    let zone = account_zone(state.store.as_ref(), account.id).await?;
    let mut view = ContactView::new(contact, zone);
    view.cart = state.store.cart(account.id, id).await?.map(CartView::from);
    Ok(view)
}

/// Erases a contact with its events, cart and consent history.
pub async fn delete(state: &AppState, account: &Account, id: &str) -> AppResult<()> {
    state
        .store
        .delete_contact(account.id, contact_id(id)?)
        .await?;
    Ok(())
}

/// An event as recorded.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub name: String,
    pub message_id: Option<String>,
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        Self {
            name: e.name,
            message_id: e.message_id,
            properties: e.properties,
            occurred_at: e.occurred_at,
            received_at: e.received_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventParams {
    /// 1 to 1000; 50 by default.
    pub limit: Option<u32>,
}

/// A contact's events, newest first.
pub async fn events(
    state: &AppState,
    account: &Account,
    id: &str,
    params: EventParams,
) -> AppResult<Vec<EventView>> {
    let id = contact_id(id)?;
    state.store.contact(account.id, id).await?;
    let limit = params.limit.unwrap_or(50).clamp(1, 1000);
    let events = state.store.contact_events(account.id, id, limit).await?;
    Ok(events.into_iter().map(EventView::from).collect())
}

/// One consent change.
#[derive(Serialize, ToSchema)]
pub struct ConsentChangeView {
    pub consent: String,
    pub source: String,
    pub changed_at: DateTime<Utc>,
    /// The proof of new consent the change carried, if any.
    pub proof: Option<ConsentProofBody>,
}

impl From<ConsentChange> for ConsentChangeView {
    fn from(c: ConsentChange) -> Self {
        Self {
            consent: c.consent.as_str().to_owned(),
            source: c.source.as_str().to_owned(),
            changed_at: c.changed_at,
            proof: c.proof.map(|p| ConsentProofBody {
                method: p.method,
                collected_at: p.collected_at,
                location: p.location,
            }),
        }
    }
}

/// A contact's consent history, oldest first.
pub async fn consent(
    state: &AppState,
    account: &Account,
    id: &str,
) -> AppResult<Vec<ConsentChangeView>> {
    let history = state
        .store
        .consent_history(account.id, contact_id(id)?)
        .await?;
    Ok(history.into_iter().map(ConsentChangeView::from).collect())
}
