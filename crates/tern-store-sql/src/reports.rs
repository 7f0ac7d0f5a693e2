/// `impl Reports for $store`: the raw facts a campaign's report is computed from.
#[macro_export]
macro_rules! reports {
    ($store:ty) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use sqlx::{AssertSqlSafe, QueryBuilder};
        use tern_domain::ids::{AccountId, CampaignId, ContactId};
        use tern_store::{
            Billed, GoalEvent, HitRecord, NewHit, RecipientRecord, RecipientsQuery, ReportTotals,
            Reports, StatusRecord, StoreResult, TimelineCounts, TouchRecord, decode,
        };
        use tern_store_sql::Column;

        use crate::{
            dialect::{BATCH_ROWS, Db, push_in_ids, push_rows},
            map_error,
        };

        /// A message's touch: delivered, else sent, else (held out) when it would have been.
        const TOUCH: &str = "COALESCE(m.delivered_at, m.sent_at, m.due_at)";
        /// When a message went (or, held out, would have gone): no click or receipt is earlier.
        const WENT: &str = "COALESCE(m.sent_at, m.due_at)";
        /// The messages that touch their recipient: sent, or held out.
        const TOUCHING: &str = "m.test = 0 AND (m.state = 'sent' \
            OR (m.state = 'skipped' AND m.reason = 'holdout'))";

        const HIT_COLUMNS: &str = "h.id, h.message_id, h.clicked_at, h.head, h.user_agent, \
            h.accept_language, h.address, m.delivered_at";

        type HitRow = (i64, Option<i64>, i64, i64, Option<String>, i64, Option<String>, Option<i64>);

        fn hit_record(row: HitRow) -> StoreResult<HitRecord> {
            let (id, message, at, head, agent, language, address, delivered) = row;
            Ok(HitRecord {
                id,
                message_id: message,
                at: decode::time(at)?,
                head: head != 0,
                user_agent: agent,
                accept_language: language != 0,
                address,
                delivered_at: delivered.map(decode::time).transpose()?,
            })
        }

        type RecipientRow = (
            i64,
            Option<i64>,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
            i64,
            Option<i64>,
            Option<i64>,
        );

        fn recipient_record(row: RecipientRow) -> StoreResult<RecipientRecord> {
            let (id, contact, to, state, reason, status, code, due, sent, delivered) = row;
            Ok(RecipientRecord {
                message_id: id,
                contact_id: contact.map(ContactId),
                to,
                state: decode::unit_enum("message state", &state)?,
                reason,
                provider_status: status
                    .map(|s| decode::unit_enum("provider status", &s))
                    .transpose()?,
                error_code: code.map(|c| c as u32),
                due_at: decode::time(due)?,
                sent_at: sent.map(decode::time).transpose()?,
                delivered_at: delivered.map(decode::time).transpose()?,
            })
        }

        #[async_trait]
        impl Reports for $store {
            async fn link_target(&self, code: &str) -> StoreResult<String> {
                let (url,): (String,) = sqlx::query_as("SELECT url FROM links WHERE code = $1")
                    .bind(code)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_error)?;
                Ok(url)
            }

            async fn record_hits(&self, hits: &[NewHit]) -> StoreResult<()> {
                if hits.is_empty() {
                    return Ok(());
                }
                let mut tx = self.pool.begin().await.map_err(map_error)?;
                for chunk in hits.chunks(BATCH_ROWS) {
                    let mut query = QueryBuilder::<Db>::new("WITH u(code, at, head, agent, lang, address) AS (");
                    push_rows(
                        &mut query,
                        vec![
                            Column::Text(chunk.iter().map(|h| Some(h.code.clone())).collect()),
                            Column::Int(chunk.iter().map(|h| Some(decode::millis(h.at))).collect()),
                            Column::Int(chunk.iter().map(|h| Some(i64::from(h.head))).collect()),
                            Column::Text(chunk.iter().map(|h| h.user_agent.clone()).collect()),
                            Column::Int(
                                chunk.iter().map(|h| Some(i64::from(h.accept_language))).collect(),
                            ),
                            Column::Text(chunk.iter().map(|h| h.address.clone()).collect()),
                        ],
                    );
                    query.push(
                        ") INSERT INTO clicks (code, campaign_id, message_id, clicked_at, \
                         user_agent, head, accept_language, address) \
                         SELECT u.code, l.campaign_id, l.message_id, u.at, u.agent, u.head, \
                         u.lang, u.address FROM u JOIN links l ON l.code = u.code",
                    );
                    query.build().execute(&mut *tx).await.map_err(map_error)?;
                }
                tx.commit().await.map_err(map_error)
            }

            async fn campaign_hits(
                &self,
                account: AccountId,
                campaign: CampaignId,
            ) -> StoreResult<Vec<HitRecord>> {
                let rows: Vec<HitRow> = sqlx::query_as(AssertSqlSafe(format!(
                    "SELECT {HIT_COLUMNS} FROM clicks h JOIN messages m ON m.id = h.message_id \
                     AND m.test = 0 WHERE h.campaign_id = $1 AND h.campaign_id IN \
                     (SELECT id FROM campaigns WHERE account_id = $2) ORDER BY h.clicked_at, h.id"
                )))
                .bind(campaign.to_string())
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter().map(hit_record).collect()
            }

            async fn hits_near(
                &self,
                account: AccountId,
                hits: &[HitRecord],
                around: chrono::Duration,
            ) -> StoreResult<Vec<HitRecord>> {
                // Per address, each hit's moment widened by `around`, overlapping ranges merged:
                // an address seen a year apart is read around each time, not in between.
                let around = around.num_milliseconds();
                let mut moments: Vec<(&str, i64)> = hits
                    .iter()
                    .filter_map(|h| Some((h.address.as_deref()?, decode::millis(h.at))))
                    .collect();
                moments.sort_unstable();
                let mut spans: Vec<(&str, (i64, i64))> = Vec::new();
                for (address, at) in moments {
                    match spans.last_mut() {
                        Some((last, span)) if *last == address && at - around <= span.1 => {
                            span.1 = at + around;
                        }
                        _ => spans.push((address, (at - around, at + around))),
                    }
                }
                let mut near = Vec::new();
                for chunk in spans.chunks(BATCH_ROWS) {
                    let mut query = QueryBuilder::<Db>::new("WITH u(address, low, high) AS (");
                    push_rows(
                        &mut query,
                        vec![
                            Column::Text(chunk.iter().map(|(a, _)| Some((*a).to_owned())).collect()),
                            Column::Int(chunk.iter().map(|(_, s)| Some(s.0)).collect()),
                            Column::Int(chunk.iter().map(|(_, s)| Some(s.1)).collect()),
                        ],
                    );
                    query.push(format!(
                        ") SELECT {HIT_COLUMNS} FROM u JOIN clicks h ON h.address = u.address \
                         AND h.clicked_at >= u.low AND h.clicked_at <= u.high \
                         JOIN campaigns c ON c.id = h.campaign_id AND c.account_id = "
                    ));
                    query
                        .push_bind(account.to_string())
                        .push(" LEFT JOIN messages m ON m.id = h.message_id");
                    let rows: Vec<HitRow> =
                        query.build_query_as().fetch_all(&self.pool).await.map_err(map_error)?;
                    for row in rows {
                        near.push(hit_record(row)?);
                    }
                }
                Ok(near)
            }

            async fn message_hits(
                &self,
                account: AccountId,
                messages: &[i64],
            ) -> StoreResult<Vec<HitRecord>> {
                let mut hits = Vec::new();
                for chunk in messages.chunks(BATCH_ROWS) {
                    let mut query = QueryBuilder::<Db>::new(format!(
                        "SELECT {HIT_COLUMNS} FROM clicks h JOIN messages m ON m.id = h.message_id \
                         WHERE m.account_id = "
                    ));
                    query.push_bind(account.to_string()).push(" AND h.message_id");
                    push_in_ids(&mut query, chunk);
                    query.push(" ORDER BY h.clicked_at, h.id");
                    let rows: Vec<HitRow> =
                        query.build_query_as().fetch_all(&self.pool).await.map_err(map_error)?;
                    for row in rows {
                        hits.push(hit_record(row)?);
                    }
                }
                Ok(hits)
            }

            async fn goal_events(
                &self,
                account: AccountId,
                campaign: CampaignId,
                name: &str,
                window: chrono::Duration,
            ) -> StoreResult<Vec<GoalEvent>> {
                // From the goal's events (by name and time: the events_goal index), each asked
                // whether one of the campaign's messages to its contact holds it in its window
                // from the delivery, or from one of its clicks (which the caller judges human).
                let rows: Vec<(i64, i64, String, i64, String)> =
                    sqlx::query_as(AssertSqlSafe(format!(
                        "SELECT e.id, e.contact_id, e.name, e.occurred_at, \
                         CAST(e.properties AS TEXT) FROM events e \
                         WHERE e.account_id = $1 AND e.name = $2 AND e.contact_id IS NOT NULL \
                         AND e.occurred_at >= (SELECT MIN({WENT}) FROM messages m \
                           WHERE m.campaign_id = $3 AND {TOUCHING}) \
                         AND EXISTS (SELECT 1 FROM messages m WHERE m.campaign_id = $3 \
                           AND m.contact_id = e.contact_id AND {TOUCHING} \
                           AND ((e.occurred_at >= {TOUCH} AND e.occurred_at <= {TOUCH} + $4) \
                           OR EXISTS (SELECT 1 FROM clicks h WHERE h.message_id = m.id \
                             AND e.occurred_at >= h.clicked_at \
                             AND e.occurred_at <= h.clicked_at + $4))) \
                         ORDER BY e.occurred_at, e.id"
                    )))
                    .bind(account.to_string())
                    .bind(name)
                    .bind(campaign.to_string())
                    .bind(window.num_milliseconds())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_error)?;
                rows.into_iter()
                    .map(|(id, contact, name, at, properties)| {
                        Ok(GoalEvent {
                            id,
                            contact_id: ContactId(contact),
                            name,
                            at: decode::time(at)?,
                            properties: decode::json_object("event properties", &properties)?,
                        })
                    })
                    .collect()
            }

            async fn contact_touches(
                &self,
                account: AccountId,
                contacts: &[ContactId],
                since: DateTime<Utc>,
                until: DateTime<Utc>,
            ) -> StoreResult<Vec<TouchRecord>> {
                let ids: Vec<i64> = contacts.iter().map(|c| c.0).collect();
                let mut touches = Vec::new();
                for chunk in ids.chunks(BATCH_ROWS) {
                    let mut query = QueryBuilder::<Db>::new(format!(
                        "SELECT m.id, m.campaign_id, m.contact_id, {TOUCH}, m.state FROM messages m \
                         WHERE {TOUCHING} AND m.account_id = "
                    ));
                    query.push_bind(account.to_string()).push(" AND m.contact_id");
                    push_in_ids(&mut query, chunk);
                    // Went by `until`, and went since `since` or was clicked since: a click
                    // opens a window of its own, however long after its message.
                    let since = decode::millis(since);
                    query
                        .push(format!(" AND {WENT} <= "))
                        .push_bind(decode::millis(until))
                        .push(format!(" AND ({WENT} >= "))
                        .push_bind(since)
                        .push(" OR EXISTS (SELECT 1 FROM clicks h WHERE h.message_id = m.id AND h.clicked_at >= ")
                        .push_bind(since)
                        .push("))");
                    let rows: Vec<(i64, String, i64, i64, String)> =
                        query.build_query_as().fetch_all(&self.pool).await.map_err(map_error)?;
                    for (id, campaign, contact, at, state) in rows {
                        touches.push(TouchRecord {
                            message_id: id,
                            campaign_id: decode::uuid("campaign id", &campaign)?,
                            contact_id: ContactId(contact),
                            at: decode::time(at)?,
                            holdout: state == "skipped",
                        });
                    }
                }
                Ok(touches)
            }

            async fn recipients(
                &self,
                account: AccountId,
                campaign: CampaignId,
                q: &RecipientsQuery,
            ) -> StoreResult<Vec<RecipientRecord>> {
                let mut query = QueryBuilder::<Db>::new(
                    "SELECT id, contact_id, to_phone, state, reason, provider_status, error_code, \
                     due_at, sent_at, delivered_at FROM messages WHERE test = 0 AND campaign_id = ",
                );
                query
                    .push_bind(campaign.to_string())
                    .push(" AND account_id = ")
                    .push_bind(account.to_string());
                if let Some(after) = q.after {
                    query.push(" AND id > ").push_bind(after);
                }
                if let Some(state) = q.state {
                    query.push(" AND state = ").push_bind(decode::json_text(&state));
                }
                if let Some(reason) = &q.reason {
                    query.push(" AND reason = ").push_bind(reason.clone());
                }
                if let Some(only) = &q.only {
                    // A campaign's converted messages: as many as its conversions.
                    query.push(" AND id");
                    push_in_ids(&mut query, only);
                }
                query.push(" ORDER BY id LIMIT ").push_bind(i64::from(q.limit));
                let rows: Vec<RecipientRow> =
                    query.build_query_as().fetch_all(&self.pool).await.map_err(map_error)?;
                rows.into_iter().map(recipient_record).collect()
            }

            async fn message_statuses(
                &self,
                account: AccountId,
                messages: &[i64],
            ) -> StoreResult<Vec<StatusRecord>> {
                let mut statuses = Vec::new();
                for chunk in messages.chunks(BATCH_ROWS) {
                    let mut query = QueryBuilder::<Db>::new(
                        "SELECT s.message_id, s.status, s.error_code, s.at FROM message_statuses s \
                         JOIN messages m ON m.id = s.message_id WHERE m.account_id = ",
                    );
                    query.push_bind(account.to_string()).push(" AND s.message_id");
                    push_in_ids(&mut query, chunk);
                    query.push(" ORDER BY s.message_id, s.at");
                    let rows: Vec<(i64, String, Option<i64>, i64)> =
                        query.build_query_as().fetch_all(&self.pool).await.map_err(map_error)?;
                    for (message, status, code, at) in rows {
                        statuses.push(StatusRecord {
                            message_id: message,
                            status: decode::unit_enum("provider status", &status)?,
                            error_code: code.map(|c| c as u32),
                            at: decode::time(at)?,
                        });
                    }
                }
                Ok(statuses)
            }

            async fn report_totals(
                &self,
                account: AccountId,
                campaign: CampaignId,
            ) -> StoreResult<ReportTotals> {
                // One pass over the sent messages: what each sender billed, and the span.
                let billed: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
                    "SELECT sender, CAST(CASE WHEN media = '[]' THEN 0 ELSE 1 END AS BIGINT), \
                     CAST(SUM(CASE WHEN media = '[]' THEN units ELSE 1 END) AS BIGINT), \
                     MIN(sent_at), MAX(COALESCE(delivered_at, sent_at)) \
                     FROM messages WHERE campaign_id = $1 AND account_id = $2 AND test = 0 \
                     AND state = 'sent' GROUP BY 1, 2 ORDER BY 1, 2",
                )
                .bind(campaign.to_string())
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                let first = billed.iter().map(|b| b.3).min();
                let last = billed.iter().map(|b| b.4).max();
                // From the opt-outs (few) to the campaign's message of each (its unique key).
                let (opt_outs,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(DISTINCT m.contact_id) FROM consent_changes cc \
                     JOIN messages m ON m.campaign_id = $1 AND m.contact_id = cc.contact_id \
                     AND m.account_id = $2 AND m.test = 0 AND m.state = 'sent' \
                     AND cc.changed_at >= m.sent_at WHERE cc.consent = 'unsubscribed'",
                )
                .bind(campaign.to_string())
                .bind(account.to_string())
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                Ok(ReportTotals {
                    opt_outs: opt_outs as u64,
                    billed: billed
                        .into_iter()
                        .map(|(sender, mms, units, _, _)| Billed {
                            sender,
                            mms: mms != 0,
                            units: units as u64,
                        })
                        .collect(),
                    first_sent: first.map(decode::time).transpose()?,
                    last_touch: last.map(decode::time).transpose()?,
                })
            }

            async fn timeline(
                &self,
                account: AccountId,
                campaign: CampaignId,
                start: DateTime<Utc>,
                width: chrono::Duration,
            ) -> StoreResult<TimelineCounts> {
                let width = width.num_milliseconds().max(1);
                let mut buckets: std::collections::BTreeMap<u32, (u64, u64)> = Default::default();
                // One pass: the sent bucket and the delivered bucket of each message, counted
                // by pairs (at most the chart's points squared).
                let rows: Vec<(Option<i64>, Option<i64>, i64)> = sqlx::query_as(
                    "SELECT CASE WHEN sent_at >= $3 THEN (sent_at - $3) / $4 END, \
                     CASE WHEN delivered_at >= $3 THEN (delivered_at - $3) / $4 END, COUNT(*) \
                     FROM messages WHERE campaign_id = $1 AND account_id = $2 AND test = 0 \
                     AND state = 'sent' GROUP BY 1, 2",
                )
                .bind(campaign.to_string())
                .bind(account.to_string())
                .bind(decode::millis(start))
                .bind(width)
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                for (sent, delivered, count) in rows {
                    if let Some(bucket) = sent {
                        buckets.entry(bucket as u32).or_default().0 += count as u64;
                    }
                    if let Some(bucket) = delivered {
                        buckets.entry(bucket as u32).or_default().1 += count as u64;
                    }
                }
                Ok(buckets.into_iter().map(|(b, (s, d))| (b, s, d)).collect())
            }
        }
    };
}
