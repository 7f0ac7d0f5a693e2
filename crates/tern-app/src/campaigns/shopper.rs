//! "Simulate a shopper", for trying an active Cart Reminder on the sandbox provider: two new
//! subscribed contacts fill a cart each, through the same ingestion as Segment's calls, with event times set in the past
//! so that the first's reminder falls due at once; the second orders, which cancels theirs.

use chrono::{Duration, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::json;
use tern_domain::{
    campaign::{CampaignStatus, CampaignType},
    tracking::{CallKind, read_call},
};
use tern_store::Account;

use super::views::campaign_id;
use crate::{
    Actor, AppError, AppResult, AppState,
    audience::{
        contacts::{ContactRequest, upsert},
        ingest::ingest,
    },
    random,
};

/// What the simulation did.
#[derive(Serialize)]
pub struct Simulated {
    /// The shopper whose reminder falls due now.
    pub reminded: i64,
    /// The shopper who ordered, whose reminder is cancelled.
    pub ordered: i64,
}

/// Runs the simulation for an active (or paused) Cart Reminder of the account.
pub async fn simulate_shopper(
    state: &AppState,
    account: &Account,
    actor: Actor,
    id: &str,
) -> AppResult<Simulated> {
    let campaign = state.store.campaign(account.id, campaign_id(id)?).await?;
    if campaign.kind != CampaignType::CartReminder
        || !matches!(
            campaign.status,
            CampaignStatus::Active | CampaignStatus::Paused
        )
    {
        return Err(AppError::Conflict(
            "a shopper is simulated for an active Cart Reminder only".into(),
        ));
    }
    // Its shoppers have made-up numbers: only the sandbox may "send" to them.
    if state.store.settings(account.id).await?.twilio.is_some() {
        return Err(AppError::Conflict(
            "a shopper is simulated only on the sandbox provider: this account sends through Twilio"
                .into(),
        ));
    }
    let rule = state.store.trigger_rule(account.id, campaign.id).await?;
    let now = Utc::now();
    // The cart's last activity a minute more than the delay ago: due a minute ago.
    let last = now - rule.delay - Duration::minutes(1);
    let time = |at: chrono::DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Millis, true);
    let run = hex::encode(random::<4>());
    let mut shoppers = Vec::new();
    for n in 0..2u8 {
        let phone = free_fictional_number(state, account).await?;
        let request = ContactRequest {
            external_id: Some(format!("demo-shopper-{run}-{n}")),
            phone: Some(phone),
            attributes: Some(json!({
                "first_name": if n == 0 { "Robin" } else { "Sam" },
                "simulated_shopper": true,
            })),
            consent: Some("subscribed".into()),
            consent_proof: None,
            default_region: None,
        };
        let (contact, _) = upsert(state, account, actor, request).await?;
        shoppers.push((contact.id, format!("demo-shopper-{run}-{n}")));
    }
    let mut calls = Vec::new();
    for (n, (_, user)) in shoppers.iter().enumerate() {
        let product = json!({"product_id": format!("demo-{n}"), "name": "Canvas sneakers",
            "price": 59.0, "quantity": 1, "currency": "USD", "cart_id": format!("sim-{run}-{n}")});
        // The first cart's reminder is due already; the second's not yet, so that its order
        // (next) cancels it before any worker could send it.
        let last = if n == 0 {
            last
        } else {
            now - Duration::minutes(1)
        };
        calls.push(
            json!({"type": "track", "userId": user, "event": "Product Added",
            "properties": product, "timestamp": time(last - Duration::minutes(5))}),
        );
        calls.push(
            json!({"type": "track", "userId": user, "event": "Cart Viewed",
            "properties": {"products": [product], "cart_id": format!("sim-{run}-{n}")},
            "timestamp": time(last)}),
        );
    }
    let ordered = &shoppers[1].1;
    let order = json!({"type": "track", "userId": ordered, "event": "Order Completed",
        "properties": {"total": 59.0, "currency": "USD"}, "timestamp": time(now)});
    let mut read = Vec::new();
    for call in &calls {
        read.push(read_call(Some(CallKind::Track), call, now, None).map_err(AppError::Internal)?);
    }
    ingest(state.store.as_ref(), account.id, &read, false, now)
        .await?
        .map_err(|(_, e)| AppError::Internal(e.message))?;
    // The order arrives after the carts were recorded, as a shop's would.
    let order = read_call(Some(CallKind::Track), &order, now, None).map_err(AppError::Internal)?;
    ingest(state.store.as_ref(), account.id, &[order], false, now)
        .await?
        .map_err(|(_, e)| AppError::Internal(e.message))?;
    Ok(Simulated {
        reminded: shoppers[0].0,
        ordered: shoppers[1].0,
    })
}

/// A number of the range reserved for fiction (+1 415 555-0100 to -0199) no contact of the
/// account has: a simulated shopper never takes over a real contact, nor reaches a real phone.
async fn free_fictional_number(state: &AppState, account: &Account) -> AppResult<String> {
    for _ in 0..20 {
        let phone = format!("+1415555{:04}", 100 + random::<1>()[0] % 100);
        let taken = state
            .store
            .contacts_by_keys(account.id, &[], std::slice::from_ref(&phone))
            .await?;
        if taken.is_empty() {
            return Ok(phone);
        }
    }
    Err(AppError::Conflict(
        "no fictional number is free for another simulated shopper: delete earlier ones \
         (attribute simulated_shopper) and try again"
            .into(),
    ))
}
