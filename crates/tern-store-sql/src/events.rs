/// `impl Events for $store`: events deduplicated by message id, and the carts they drive.
#[macro_export]
macro_rules! events {
    ($store:ty) => {
        use std::collections::{HashMap, HashSet};

        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use sqlx::QueryBuilder;
        use tern_domain::{
            contact::Cart,
            ids::{AccountId, ContactId},
        };
        use tern_store::{Event, Events, EventsRecorded, NewEvent, StoreResult, apply_to_carts, decode};
        use tern_store_sql::Table;

        use crate::{
            dialect::{Db, JSON_TYPE, analyze_if_grown},
            map_error,
        };

        /// Rows per multi-row statement (9 parameters each).
        const EVENT_ROWS: usize = 1000;

        /// The cart reminders these events start, restart or end, in the transaction that
        /// records them: a cart holding items waits (its delay counted from its last activity,
        /// restarted by each), once per campaign and occurrence; an order cancels what waits
        /// for the contact's carts begun before it, and the reminders queued for them; an
        /// emptied cart cancels what waits.
        async fn find_cart_triggers(
            tx: &mut sqlx::Transaction<'static, Db>,
            account: &str,
            carts: &HashMap<ContactId, Cart>,
            changed: &[ContactId],
            recorded: &[&NewEvent],
            now: i64,
        ) -> StoreResult<()> {
            if changed.is_empty() && !recorded.iter().any(|e| e.name == "Order Completed") {
                return Ok(());
            }
            let (rules,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM trigger_rules WHERE account_id = $1 AND kind = 'cart_reminder'",
            )
            .bind(account)
            .fetch_one(&mut **tx)
            .await
            .map_err(map_error)?;
            if rules == 0 {
                return Ok(());
            }
            for event in recorded.iter().filter(|e| e.name == "Order Completed") {
                let Some(contact) = event.contact_id else { continue };
                end_cart_triggers(tx, account, contact, Some(decode::millis(event.occurred_at)), "ordered", now)
                    .await?;
            }
            for contact in changed {
                let cart = &carts[contact];
                match (&cart.occurrence, &cart.started_at) {
                    (Some(key), Some(started)) if cart.abandonable() => {
                        let activity = decode::millis(cart.updated_at);
                        sqlx::query(
                            "INSERT INTO triggers (account_id, campaign_id, contact_id, trigger_key, \
                             cause, version, started_at, due_at, state, created_at, updated_at) \
                             SELECT $1, campaign_id, $2, $3, 'cart', version, $4, $5 + delay_ms, \
                             'waiting', $6, $6 FROM trigger_rules WHERE account_id = $1 \
                             AND kind = 'cart_reminder' AND (ends_at IS NULL OR ends_at > $6) \
                             ON CONFLICT (campaign_id, contact_id, trigger_key) DO UPDATE \
                             SET due_at = excluded.due_at, updated_at = excluded.updated_at \
                             WHERE triggers.state = 'waiting' AND triggers.due_at < excluded.due_at",
                        )
                        .bind(account)
                        .bind(contact.0)
                        .bind(key)
                        .bind(decode::millis(*started))
                        .bind(activity)
                        .bind(now)
                        .execute(&mut **tx)
                        .await
                        .map_err(map_error)?;
                    }
                    _ => end_cart_triggers(tx, account, *contact, None, "cart_emptied", now).await?,
                }
            }
            Ok(())
        }

        /// Cancels a contact's cart reminders with `reason`: those waiting, and those whose
        /// message is still queued (a reminder deferred by quiet hours, or settled a moment
        /// ago) — of carts begun by `before` when given. Triggers first: on PostgreSQL that
        /// waits for a settlement in progress, so that its message is seen by the next
        /// statement and cancelled too.
        async fn end_cart_triggers(
            tx: &mut sqlx::Transaction<'static, Db>,
            account: &str,
            contact: ContactId,
            before: Option<i64>,
            reason: &str,
            now: i64,
        ) -> StoreResult<()> {
            let before = before.unwrap_or(i64::MAX);
            sqlx::query(
                "UPDATE triggers SET state = 'cancelled', reason = $1, updated_at = $2 \
                 WHERE contact_id = $3 AND account_id = $4 AND cause = 'cart' \
                 AND state = 'waiting' AND started_at <= $5",
            )
            .bind(reason)
            .bind(now)
            .bind(contact.0)
            .bind(account)
            .bind(before)
            .execute(&mut **tx)
            .await
            .map_err(map_error)?;
            let cancelled: Vec<(i64,)> = sqlx::query_as(
                "UPDATE messages SET state = 'cancelled', reason = $1, updated_at = $2 \
                 WHERE state = 'queued' AND id IN (SELECT message_id FROM triggers \
                 WHERE contact_id = $3 AND account_id = $4 AND cause = 'cart' \
                 AND state = 'sent' AND started_at <= $5) RETURNING id",
            )
            .bind(reason)
            .bind(now)
            .bind(contact.0)
            .bind(account)
            .bind(before)
            .fetch_all(&mut **tx)
            .await
            .map_err(map_error)?;
            for (message,) in cancelled {
                sqlx::query(
                    "UPDATE triggers SET state = 'cancelled', reason = $1, updated_at = $2 \
                     WHERE message_id = $3 AND contact_id = $4",
                )
                .bind(reason)
                .bind(now)
                .bind(message)
                .bind(contact.0)
                .execute(&mut **tx)
                .await
                .map_err(map_error)?;
            }
            Ok(())
        }

        #[async_trait]
        impl Events for $store {
            async fn record_events(
                &self,
                account: AccountId,
                events: &[NewEvent],
                received_at: DateTime<Utc>,
            ) -> StoreResult<EventsRecorded> {
                let account_text = account.to_string();
                let received = decode::millis(received_at);
                // A message id seen twice in one call counts once, like one seen in an earlier call.
                let mut seen = HashSet::new();
                let unique: Vec<&NewEvent> = events
                    .iter()
                    .filter(|e| {
                        e.message_id
                            .as_ref()
                            .is_none_or(|m| seen.insert(m.as_str()))
                    })
                    .collect();
                let as_json = format!(" AS {JSON_TYPE})");
                let mut tx = self.pool.begin().await.map_err(map_error)?;
                let mut recorded: Vec<&NewEvent> = Vec::with_capacity(unique.len());
                for chunk in unique.chunks(EVENT_ROWS) {
                    let mut query = QueryBuilder::<Db>::new(
                        "INSERT INTO events (account_id, contact_id, anonymous_id, message_id, name, \
                         properties, occurred_at, received_at) ",
                    );
                    query.push_values(chunk, |mut row, e| {
                        row.push_bind(&account_text)
                            .push_bind(e.contact_id.map(|c| c.0))
                            .push_bind(&e.anonymous_id)
                            .push_bind(&e.message_id)
                            .push_bind(&e.name)
                            .push("CAST(")
                            .push_bind_unseparated(
                                serde_json::Value::Object(e.properties.clone()).to_string(),
                            )
                            .push_unseparated(&as_json)
                            .push_bind(decode::millis(e.occurred_at))
                            .push_bind(received);
                    });
                    query.push(" ON CONFLICT (account_id, message_id) DO NOTHING RETURNING message_id");
                    let inserted: Vec<(Option<String>,)> = query
                        .build_query_as()
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(map_error)?;
                    let inserted: HashSet<String> = inserted.into_iter().filter_map(|(m,)| m).collect();
                    recorded.extend(
                        chunk
                            .iter()
                            .filter(|e| e.message_id.as_ref().is_none_or(|m| inserted.contains(m))),
                    );
                }

                let contacts: Vec<i64> = recorded
                    .iter()
                    .filter(|e| tern_domain::contact::is_cart_event(&e.name))
                    .filter_map(|e| e.contact_id.map(|c| c.0))
                    .collect::<HashSet<_>>()
                    .into_iter()
                    .collect();
                let mut carts = HashMap::new();
                for chunk in contacts.chunks(EVENT_ROWS) {
                    let mut query = QueryBuilder::<Db>::new(
                        "SELECT contact_id, cart FROM carts WHERE contact_id IN (",
                    );
                    let mut list = query.separated(", ");
                    for id in chunk {
                        list.push_bind(id);
                    }
                    query.push(")");
                    let rows: Vec<(i64, String)> = query
                        .build_query_as()
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(map_error)?;
                    for (id, cart) in rows {
                        carts.insert(ContactId(id), decode::json::<Cart>("cart", &cart)?);
                    }
                }
                let changed = apply_to_carts(&mut carts, recorded.iter().copied());
                for id in &changed {
                    let cart = &carts[id];
                    sqlx::query(
                        "INSERT INTO carts (contact_id, account_id, cart, status, total, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (contact_id) DO UPDATE SET \
                         cart = excluded.cart, status = excluded.status, total = excluded.total, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(id.0)
                    .bind(&account_text)
                    .bind(serde_json::to_string(cart).map_err(|e| tern_store::StoreError::Other(e.into()))?)
                    .bind(decode::json_text(&cart.status))
                    .bind(cart.total())
                    .bind(decode::millis(cart.updated_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                }
                find_cart_triggers(&mut tx, &account_text, &carts, &changed, &recorded, received)
                    .await?;
                tx.commit().await.map_err(map_error)?;
                analyze_if_grown(self, Table::Events, recorded.len() as u64).await?;
                Ok(EventsRecorded {
                    recorded: recorded.len() as u64,
                    duplicates: (events.len() - recorded.len()) as u64,
                    carts_changed: changed.len() as u64,
                })
            }

            async fn link_anonymous_events(
                &self,
                account: AccountId,
                anonymous_id: &str,
                contact: ContactId,
            ) -> StoreResult<u64> {
                let done = sqlx::query(
                    "UPDATE events SET contact_id = $1 WHERE account_id = $2 AND anonymous_id = $3 \
                     AND contact_id IS NULL",
                )
                .bind(contact.0)
                .bind(account.to_string())
                .bind(anonymous_id)
                .execute(&self.pool)
                .await
                .map_err(map_error)?;
                Ok(done.rows_affected())
            }

            async fn contact_events(
                &self,
                account: AccountId,
                contact: ContactId,
                limit: u32,
            ) -> StoreResult<Vec<Event>> {
                type Row = (i64, Option<i64>, Option<String>, String, String, i64, i64);
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT id, contact_id, message_id, name, CAST(properties AS TEXT), occurred_at, \
                     received_at \
                     FROM events WHERE contact_id = $1 AND account_id = $2 \
                     ORDER BY occurred_at DESC, id DESC LIMIT $3",
                )
                .bind(contact.0)
                .bind(account.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter()
                    .map(
                        |(id, contact_id, message_id, name, properties, occurred, received)| {
                            Ok(Event {
                                id,
                                contact_id: contact_id.map(ContactId),
                                message_id,
                                name,
                                properties: decode::json_object("event properties", &properties)?,
                                occurred_at: decode::time(occurred)?,
                                received_at: decode::time(received)?,
                            })
                        },
                    )
                    .collect()
            }

            async fn cart(&self, account: AccountId, contact: ContactId) -> StoreResult<Option<Cart>> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT cart FROM carts WHERE contact_id = $1 AND account_id = $2")
                        .bind(contact.0)
                        .bind(account.to_string())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(map_error)?;
                row.map(|(cart,)| decode::json("cart", &cart)).transpose()
            }
        }
    };
}
