/// `impl Triggers for $store`: active campaigns' rules and versions, due triggers settled once.
#[macro_export]
macro_rules! triggers {
    ($store:ty) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use tern_domain::{
            campaign::{CampaignType, trigger::TriggerState},
            delivery::pacing::RunPlan,
            ids::{AccountId, CampaignId, ContactId},
        };
        use tern_store::{
            CampaignChange, CampaignRecord, HOLDOUT, RunRecord, StoreError, StoreResult, TriggerCount,
            TriggerOutcome, TriggerRecord, TriggerRule, Triggers, decode,
            outbox_sql::begin_write,
        };

        use crate::{
            dialect::{DIALECT, Db},
            map_error,
            outbox::{add_senders, insert_messages, insert_run, save_status},
        };

        const TRIGGER_COLUMNS: &str = "t.id, t.account_id, t.campaign_id, t.contact_id, \
            t.trigger_key, t.cause, t.version, t.started_at, t.due_at, t.state, t.reason, \
            t.message_id, t.created_at, t.updated_at";

        type TriggerRow = (
            i64,
            String,
            String,
            i64,
            String,
            String,
            i64,
            i64,
            i64,
            String,
            Option<String>,
            Option<i64>,
            i64,
            i64,
        );

        fn trigger_record(row: TriggerRow) -> StoreResult<TriggerRecord> {
            let (id, account, campaign, contact, key, cause, version, started, due, state, reason,
                message, created, updated) = row;
            Ok(TriggerRecord {
                id,
                account_id: decode::uuid("account id", &account)?,
                campaign_id: decode::uuid("campaign id", &campaign)?,
                contact_id: ContactId(contact),
                key,
                cause,
                version: version as u32,
                started_at: decode::time(started)?,
                due_at: decode::time(due)?,
                state: state
                    .parse()
                    .map_err(|e: String| StoreError::Other(e.into()))?,
                reason,
                message_id: message,
                created_at: decode::time(created)?,
                updated_at: decode::time(updated)?,
            })
        }

        type RuleRow = (String, String, String, i64, i64, i64, Option<i64>, i64);

        fn rule_record(row: RuleRow) -> StoreResult<TriggerRule> {
            let (campaign, account, kind, delay, lateness, activated, ends, version) = row;
            Ok(TriggerRule {
                campaign_id: decode::uuid("campaign id", &campaign)?,
                account_id: decode::uuid("account id", &account)?,
                kind: kind
                    .parse::<CampaignType>()
                    .map_err(|e| StoreError::Other(e.message.into()))?,
                delay: chrono::Duration::milliseconds(delay),
                lateness: chrono::Duration::milliseconds(lateness),
                activated_at: decode::time(activated)?,
                ends_at: ends.map(decode::time).transpose()?,
                version: version as u32,
            })
        }

        async fn insert_version(
            tx: &mut sqlx::Transaction<'static, Db>,
            campaign: CampaignId,
            version: u32,
            snapshot: &serde_json::Value,
            now: DateTime<Utc>,
        ) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO campaign_versions (campaign_id, version, snapshot, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(campaign.to_string())
            .bind(i64::from(version))
            .bind(snapshot.to_string())
            .bind(decode::millis(now))
            .execute(&mut **tx)
            .await
            .map_err(map_error)?;
            Ok(())
        }

        #[async_trait]
        impl Triggers for $store {
            async fn activate(
                &self,
                campaign: &CampaignRecord,
                change: &CampaignChange,
                run: &RunRecord,
                rule: &TriggerRule,
                snapshot: &serde_json::Value,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                let before = CampaignRecord {
                    revision: campaign.revision - 1,
                    ..campaign.clone()
                };
                save_status(&mut tx, &before, campaign.status, change).await?;
                insert_run(&mut tx, run).await?;
                sqlx::query(
                    "INSERT INTO trigger_rules (campaign_id, account_id, kind, delay_ms, \
                     lateness_ms, activated_at, ends_at, version) \
                     VALUES ($1, $2, $3, $4, $8, $5, $6, $7)",
                )
                .bind(rule.campaign_id.to_string())
                .bind(rule.account_id.to_string())
                .bind(rule.kind.as_str())
                .bind(rule.delay.num_milliseconds())
                .bind(decode::millis(rule.activated_at))
                .bind(rule.ends_at.map(decode::millis))
                .bind(i64::from(rule.version))
                .bind(rule.lateness.num_milliseconds())
                .execute(&mut *tx)
                .await
                .map_err(map_error)?;
                insert_version(&mut tx, rule.campaign_id, rule.version, snapshot, change.at)
                    .await?;
                tx.commit().await.map_err(map_error)
            }

            async fn trigger_rule(
                &self,
                account: AccountId,
                campaign: CampaignId,
            ) -> StoreResult<TriggerRule> {
                let row: RuleRow = sqlx::query_as(
                    "SELECT campaign_id, account_id, kind, delay_ms, lateness_ms, activated_at, ends_at, version \
                     FROM trigger_rules WHERE campaign_id = $1 AND account_id = $2",
                )
                .bind(campaign.to_string())
                .bind(account.to_string())
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                rule_record(row)
            }

            async fn add_version(
                &self,
                rule: &TriggerRule,
                plan: &RunPlan,
                snapshot: &serde_json::Value,
                now: DateTime<Utc>,
            ) -> StoreResult<u32> {
                let mut tx = self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                sqlx::query("UPDATE campaign_runs SET plan = $1 WHERE campaign_id = $2 AND account_id = $3")
                    .bind(serde_json::to_string(plan).expect("a plan serialises"))
                    .bind(rule.campaign_id.to_string())
                    .bind(rule.account_id.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                let next: Option<(i64,)> = sqlx::query_as(
                    "UPDATE trigger_rules SET version = version + 1, delay_ms = $1, ends_at = $2, \
                     lateness_ms = $5 WHERE campaign_id = $3 AND account_id = $4 RETURNING version",
                )
                .bind(rule.delay.num_milliseconds())
                .bind(rule.ends_at.map(decode::millis))
                .bind(rule.campaign_id.to_string())
                .bind(rule.account_id.to_string())
                .bind(rule.lateness.num_milliseconds())
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_error)?;
                let Some((version,)) = next else {
                    return Err(StoreError::NotFound);
                };
                insert_version(&mut tx, rule.campaign_id, version as u32, snapshot, now).await?;
                tx.commit().await.map_err(map_error)?;
                Ok(version as u32)
            }

            async fn version_snapshot(
                &self,
                campaign: CampaignId,
                version: u32,
            ) -> StoreResult<serde_json::Value> {
                let (snapshot,): (String,) = sqlx::query_as(
                    "SELECT snapshot FROM campaign_versions WHERE campaign_id = $1 AND version = $2",
                )
                .bind(campaign.to_string())
                .bind(i64::from(version))
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                decode::json("campaign version", &snapshot)
            }

            async fn due_triggers(
                &self,
                now: DateTime<Utc>,
                limit: u32,
            ) -> StoreResult<Vec<TriggerRecord>> {
                let rows: Vec<TriggerRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {TRIGGER_COLUMNS} FROM triggers t JOIN campaigns c ON c.id = t.campaign_id \
                     WHERE t.state = 'waiting' AND t.due_at <= $1 AND c.status = 'active' \
                     ORDER BY t.due_at, t.id LIMIT $2"
                )))
                .bind(decode::millis(now))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter().map(trigger_record).collect()
            }

            async fn ordered_since(
                &self,
                account: AccountId,
                contact: ContactId,
                since: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let found: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM events WHERE contact_id = $1 AND name = 'Order Completed' \
                     AND occurred_at >= $2 AND account_id = $3 LIMIT 1",
                )
                .bind(contact.0)
                .bind(decode::millis(since))
                .bind(account.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_error)?;
                Ok(found.is_some())
            }

            async fn settle_trigger(
                &self,
                trigger: &TriggerRecord,
                outcome: &TriggerOutcome,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let mut tx = self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                let mut skip = match outcome {
                    TriggerOutcome::Skip(reason) => Some(reason.clone()),
                    TriggerOutcome::Send { .. } => None,
                };
                if let TriggerOutcome::Send { period_days: Some(days), .. } = outcome {
                    // Counted here, where no other settlement of this campaign's can interleave.
                    let recent: Option<(i64,)> = sqlx::query_as(
                        "SELECT id FROM messages WHERE campaign_id = $1 AND contact_id = $2 \
                         AND trigger_key <> '' AND (state IN ('queued', 'sending', 'sent') \
                         OR (state = 'skipped' AND reason = 'holdout')) \
                         AND due_at > $3 LIMIT 1",
                    )
                    .bind(trigger.campaign_id.to_string())
                    .bind(trigger.contact_id.0)
                    .bind(decode::millis(now - chrono::Duration::days(i64::from(*days))))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_error)?;
                    if recent.is_some() {
                        skip = Some("period".into());
                    }
                }
                // Only a trigger still waiting, still due when it was read (new activity moves
                // it), of a campaign still active, is settled: the first to get here wins.
                // A held-out recipient's message is written (skipped: what would have gone, and
                // when) and the trigger says why nothing went.
                let held_out = matches!(outcome, TriggerOutcome::Send { message, .. }
                    if message.skipped.as_deref() == Some(HOLDOUT));
                let state = if skip.is_some() || held_out {
                    TriggerState::Skipped
                } else {
                    TriggerState::Sent
                };
                let reason = skip.clone().or_else(|| held_out.then(|| HOLDOUT.to_owned()));
                let done = sqlx::query(
                    "UPDATE triggers SET state = $1, reason = $2, updated_at = $3 \
                     WHERE id = $4 AND state = 'waiting' AND due_at = $5 AND EXISTS \
                     (SELECT 1 FROM campaigns c WHERE c.id = triggers.campaign_id \
                      AND c.status = 'active')",
                )
                .bind(state.as_str())
                .bind(&reason)
                .bind(decode::millis(now))
                .bind(trigger.id)
                .bind(decode::millis(trigger.due_at))
                .execute(&mut *tx)
                .await
                .map_err(map_error)?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                if let (None, TriggerOutcome::Send { message, .. }) = (&skip, outcome) {
                    let messages = std::slice::from_ref(message.as_ref());
                    let ids = insert_messages(
                        &mut tx,
                        trigger.account_id,
                        trigger.campaign_id,
                        messages,
                        false,
                        now,
                    )
                    .await?;
                    add_senders(&mut tx, trigger.campaign_id, messages).await?;
                    sqlx::query("UPDATE triggers SET message_id = $1 WHERE id = $2")
                        .bind(ids.first().copied())
                        .bind(trigger.id)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_error)?;
                }
                tx.commit().await.map_err(map_error)?;
                Ok(true)
            }

            async fn campaign_triggers(
                &self,
                account: AccountId,
                campaign: CampaignId,
                after: i64,
                limit: u32,
            ) -> StoreResult<Vec<TriggerRecord>> {
                let rows: Vec<TriggerRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {TRIGGER_COLUMNS} FROM triggers t WHERE t.campaign_id = $1 \
                     AND t.account_id = $2 AND t.id > $3 ORDER BY t.id LIMIT $4"
                )))
                .bind(campaign.to_string())
                .bind(account.to_string())
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter().map(trigger_record).collect()
            }

            async fn contact_triggers(
                &self,
                account: AccountId,
                contact: ContactId,
                limit: u32,
            ) -> StoreResult<Vec<(String, TriggerRecord)>> {
                type Named = (
                    i64, String, String, i64, String, String, i64, i64, i64, String,
                    Option<String>, Option<i64>, i64, i64, String,
                );
                let rows: Vec<Named> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {TRIGGER_COLUMNS}, c.name FROM triggers t \
                     JOIN campaigns c ON c.id = t.campaign_id \
                     WHERE t.contact_id = $1 AND t.account_id = $2 ORDER BY t.id DESC LIMIT $3"
                )))
                .bind(contact.0)
                .bind(account.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter()
                    .map(|(a, b, c, d, e, f, g, h, i, j, k, l, m, n, name)| {
                        Ok((name, trigger_record((a, b, c, d, e, f, g, h, i, j, k, l, m, n))?))
                    })
                    .collect()
            }

            async fn trigger_counts(
                &self,
                account: AccountId,
                campaign: CampaignId,
            ) -> StoreResult<Vec<TriggerCount>> {
                let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(
                    "SELECT state, reason, COUNT(*) FROM triggers WHERE campaign_id = $1 \
                     AND account_id = $2 GROUP BY state, reason",
                )
                .bind(campaign.to_string())
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter()
                    .map(|(state, reason, count)| {
                        Ok(TriggerCount {
                            state: state
                                .parse()
                                .map_err(|e: String| StoreError::Other(e.into()))?,
                            reason,
                            count: count as u64,
                        })
                    })
                    .collect()
            }
        }
    };
}
