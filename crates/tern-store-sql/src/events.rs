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
        use tern_store_sql::{Column, Table};

        use crate::{
            dialect::{BATCH_ROWS, Db, JSON_TYPE, analyze_if_grown, push_in_ids, push_rows},
            map_error,
        };

        /// Rows per multi-row statement (9 parameters each).
        const EVENT_ROWS: usize = 1000;

        /// The cart reminders these events start, restart or end, in the transaction that
        /// records them, a few statements per call whatever its size: a cart holding items
        /// waits (its delay counted from its last activity, restarted by each), once per
        /// campaign and occurrence — one already past its lateness budget is written skipped
        /// (`too_late`) at once; an order cancels what waits for the contact's carts begun
        /// before it, and the reminders queued for them; an emptied cart cancels them too.
        async fn find_cart_triggers(
            tx: &mut sqlx::Transaction<'static, Db>,
            account: &str,
            carts: &HashMap<ContactId, Cart>,
            changed: &[ContactId],
            recorded: &[&NewEvent],
            now: i64,
        ) -> StoreResult<()> {
            // An order ends the carts begun by the latest order's time.
            let mut orders: HashMap<ContactId, i64> = HashMap::new();
            for event in recorded.iter().filter(|e| e.name == "Order Completed") {
                if let Some(contact) = event.contact_id {
                    let at = decode::millis(event.occurred_at);
                    let latest = orders.entry(contact).or_insert(at);
                    *latest = (*latest).max(at);
                }
            }
            if changed.is_empty() && orders.is_empty() {
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
            let orders: Vec<(ContactId, i64)> = orders.into_iter().collect();
            end_cart_triggers(tx, account, &orders, "ordered", now).await?;
            let mut emptied = Vec::new();
            let mut waiting = Vec::new();
            for contact in changed {
                let cart = &carts[contact];
                match (&cart.occurrence, &cart.started_at) {
                    (Some(key), Some(started)) if cart.abandonable() => waiting.push((
                        *contact,
                        key.clone(),
                        decode::millis(*started),
                        decode::millis(cart.updated_at),
                    )),
                    _ => emptied.push((*contact, i64::MAX)),
                }
            }
            end_cart_triggers(tx, account, &emptied, "cart_emptied", now).await?;
            for chunk in waiting.chunks(BATCH_ROWS) {
                let mut query = QueryBuilder::<Db>::new("WITH u(c, k, s, a) AS (");
                push_rows(
                    &mut query,
                    vec![
                        Column::Int(chunk.iter().map(|w| Some(w.0.0)).collect()),
                        Column::Text(chunk.iter().map(|w| Some(w.1.clone())).collect()),
                        Column::Int(chunk.iter().map(|w| Some(w.2)).collect()),
                        Column::Int(chunk.iter().map(|w| Some(w.3)).collect()),
                    ],
                );
                query
                    .push(
                        ") INSERT INTO triggers (account_id, campaign_id, contact_id, trigger_key, \
                         cause, version, started_at, due_at, state, reason, created_at, updated_at) \
                         SELECT r.account_id, r.campaign_id, u.c, u.k, 'cart', r.version, u.s, \
                         u.a + r.delay_ms, \
                         CASE WHEN u.a + r.delay_ms + r.lateness_ms <= ",
                    )
                    .push_bind(now)
                    .push(
                        " THEN 'skipped' ELSE 'waiting' END, \
                         CASE WHEN u.a + r.delay_ms + r.lateness_ms <= ",
                    )
                    .push_bind(now)
                    .push(" THEN 'too_late' END, ")
                    .push_bind(now)
                    .push(", ")
                    .push_bind(now)
                    .push(" FROM u JOIN trigger_rules r ON r.account_id = ")
                    .push_bind(account.to_owned())
                    .push(" AND r.kind = 'cart_reminder' WHERE r.ends_at IS NULL OR r.ends_at > ")
                    .push_bind(now)
                    .push(
                        " ON CONFLICT (campaign_id, contact_id, trigger_key) DO UPDATE \
                         SET due_at = excluded.due_at, updated_at = excluded.updated_at \
                         WHERE triggers.state = 'waiting' AND triggers.due_at < excluded.due_at",
                    );
                query.build().execute(&mut **tx).await.map_err(map_error)?;
            }
            Ok(())
        }

        /// Cancels the cart reminders of these contacts with `reason`: those waiting, and those
        /// whose message is still queued (a reminder deferred by quiet hours, or settled a
        /// moment ago) — of carts begun by each contact's bound. Triggers first: on PostgreSQL
        /// that waits for a settlement in progress, so that its message is seen by the next
        /// statement and cancelled too.
        async fn end_cart_triggers(
            tx: &mut sqlx::Transaction<'static, Db>,
            account: &str,
            contacts: &[(ContactId, i64)],
            reason: &str,
            now: i64,
        ) -> StoreResult<()> {
            let rows = |chunk: &[(ContactId, i64)]| {
                vec![
                    Column::Int(chunk.iter().map(|(c, _)| Some(c.0)).collect()),
                    Column::Int(chunk.iter().map(|(_, before)| Some(*before)).collect()),
                ]
            };
            for chunk in contacts.chunks(BATCH_ROWS) {
                let mut query = QueryBuilder::<Db>::new("WITH u(c, b) AS (");
                push_rows(&mut query, rows(chunk));
                query
                    .push(") UPDATE triggers SET state = 'cancelled', reason = ")
                    .push_bind(reason.to_owned())
                    .push(", updated_at = ")
                    .push_bind(now)
                    .push(
                        " FROM u WHERE triggers.contact_id = u.c AND triggers.cause = 'cart' \
                         AND triggers.state = 'waiting' AND triggers.started_at <= u.b \
                         AND triggers.account_id = ",
                    )
                    .push_bind(account.to_owned());
                query.build().execute(&mut **tx).await.map_err(map_error)?;
                let mut query = QueryBuilder::<Db>::new("WITH u(c, b) AS (");
                push_rows(&mut query, rows(chunk));
                query
                    .push(") UPDATE messages SET state = 'cancelled', reason = ")
                    .push_bind(reason.to_owned())
                    .push(", updated_at = ")
                    .push_bind(now)
                    .push(
                        " WHERE state = 'queued' AND id IN (SELECT t.message_id FROM triggers t \
                         JOIN u ON t.contact_id = u.c WHERE t.cause = 'cart' AND t.state = 'sent' \
                         AND t.started_at <= u.b AND t.account_id = ",
                    )
                    .push_bind(account.to_owned())
                    .push(") RETURNING id");
                let cancelled: Vec<(i64,)> = query
                    .build_query_as()
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(map_error)?;
                if cancelled.is_empty() {
                    continue;
                }
                let ids: Vec<i64> = cancelled.into_iter().map(|(id,)| id).collect();
                let mut query = QueryBuilder::<Db>::new("UPDATE triggers SET state = 'cancelled', reason = ");
                query
                    .push_bind(reason.to_owned())
                    .push(", updated_at = ")
                    .push_bind(now)
                    .push(" WHERE message_id");
                push_in_ids(&mut query, &ids);
                query.build().execute(&mut **tx).await.map_err(map_error)?;
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
