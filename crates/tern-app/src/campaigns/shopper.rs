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
        let digits = u32::from_be_bytes(random::<4>()) % 10_000;
        let request = ContactRequest {
            external_id: Some(format!("demo-shopper-{run}-{n}")),
            phone: Some(format!("+1415555{digits:04}")),
            attributes: Some(json!({"first_name": if n == 0 { "Robin" } else { "Sam" }})),
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
