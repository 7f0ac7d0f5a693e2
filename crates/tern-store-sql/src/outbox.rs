/// `impl Outbox for $store`.
#[macro_export]
macro_rules! outbox {
    ($store:ty) => {
        use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

        use async_trait::async_trait;
        use chrono::{DateTime, Duration, Utc};
        use serde_json::{Value, json};
        use sqlx::{
            AssertSqlSafe,
            query::{Query, QueryAs},
        };
        use tern_domain::{
            campaign::CampaignStatus,
            contact::Consent,
            delivery::{
                outcome::ProviderStatus,
                pacing::{BOOKING_LEAD, Buckets, Candidate, Decision, RunPlan, decide},
            },
            ids::{AccountId, CampaignId, ContactId},
        };
        use tern_store::{
            BREAKER_FAILURES, BREAKER_OPEN_SECS, Breaker, CampaignChange, CampaignCounts,
            CampaignRecord, Campaigns, Claimed, ContactMessage, ProviderAnswers,
            MessageCount, MessageRecord, MessageState, NewMessage, Outbox, Outcome, RunRecord,
            StatusUpdate, StoreError, StoreResult, decode,
            outbox_sql::{begin_write, for_update, rows_per_statement, skip_locked, values_cte},
        };

        use crate::{
            dialect::{Args, DIALECT, Db},
            map_error,
        };

        type RunRow = (String, String, String, i64, Option<i64>, i64, i64, Option<String>);

        fn run_record(row: RunRow) -> StoreResult<RunRecord> {
            let (campaign_id, account_id, plan, send_at, cursor, materialised, started_at, snapshot) =
                row;
            Ok(RunRecord {
                campaign_id: decode::uuid("campaign id", &campaign_id)?,
                account_id: decode::uuid("account id", &account_id)?,
                plan: decode::json("run plan", &plan)?,
                send_at: decode::time(send_at)?,
                cursor: cursor.map(ContactId),
                materialised: materialised != 0,
                started_at: decode::time(started_at)?,
                snapshot: snapshot.map(|s| decode::json("run snapshot", &s)).transpose()?,
            })
        }

        const RUN_COLUMNS: &str =
            "campaign_id, account_id, plan, send_at, cursor, materialised, started_at, snapshot";

        type ClaimRow = (
            i64,
            String,
            String,
            Option<i64>,
            String,
            String,
            String,
            String,
            i64,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
        );

        const CLAIM_COLUMNS: &str = "id, account_id, campaign_id, contact_id, to_phone, sender, \
            body, media, attempts, claimed_at, lease_until, lookup_failing_since, expires_at";

        /// A claimed row; `not_before` is its claim time until the claim sets its moment.
        fn claimed(row: ClaimRow) -> StoreResult<Claimed> {
            let (
                id,
                account,
                campaign,
                contact,
                to,
                sender,
                body,
                media,
                attempts,
                at,
                lease,
                failing,
                expires,
            ) = row;
            Ok(Claimed {
                id,
                account_id: decode::uuid("account id", &account)?,
                campaign_id: decode::uuid("campaign id", &campaign)?,
                contact_id: contact.map(ContactId),
                to,
                sender,
                body,
                media: decode::json("media", &media)?,
                attempts: attempts as u32,
                claimed_at: decode::time(at)?,
                not_before: decode::time(at)?,
                lease_until: decode::time(lease)?,
                lookup_failing_since: failing.map(decode::time).transpose()?,
                expires_at: expires.map(decode::time).transpose()?,
            })
        }

        /// What a claim weighs: the pacing facts, the contact's consent now and whether the
        /// account may still send pictures.
        #[derive(sqlx::FromRow)]
        struct CandidateRow {
            id: i64,
            account_id: String,
            campaign_id: String,
            contact_id: Option<i64>,
            test: i64,
            sender: String,
            sender_rate: i64,
            units: i64,
            timezone: Option<String>,
            due_at: i64,
            media: String,
            consent: String,
            mms_enabled: i64,
            expires_at: Option<i64>,
            ordered: i64,
        }

        const CANDIDATE_SELECT: &str = "SELECT m.id, m.account_id, m.campaign_id, m.contact_id, \
            m.test, m.sender, m.sender_rate, m.units, m.timezone, m.due_at, m.media, \
            COALESCE(ct.consent, CASE WHEN m.test = 1 THEN 'subscribed' ELSE 'unknown' END) \
            AS consent, \
            CAST(CASE WHEN a.mms_enabled THEN 1 ELSE 0 END AS BIGINT) AS mms_enabled, \
            m.expires_at, \
            CAST(CASE WHEN EXISTS (SELECT 1 FROM triggers t JOIN events e \
                ON e.contact_id = t.contact_id AND e.name = 'Order Completed' \
                AND e.occurred_at >= t.started_at \
                WHERE t.message_id = m.id AND t.cause = 'cart') THEN 1 ELSE 0 END AS BIGINT) AS ordered \
            FROM messages m LEFT JOIN contacts ct ON ct.id = m.contact_id \
            JOIN accounts a ON a.id = m.account_id";

        #[derive(sqlx::FromRow)]
        struct MessageRow {
            id: i64,
            campaign_id: String,
            contact_id: Option<i64>,
            test: i64,
            to_phone: String,
            sender: String,
            body: String,
            media: String,
            state: String,
            reason: Option<String>,
            error_code: Option<i64>,
            error_message: Option<String>,
            provider_sid: Option<String>,
            provider_status: Option<String>,
            attempts: i64,
            due_at: i64,
            claimed_at: Option<i64>,
            sent_at: Option<i64>,
            updated_at: i64,
        }

        #[derive(sqlx::FromRow)]
        struct ContactMessageRow {
            campaign_name: String,
            #[sqlx(flatten)]
            message: MessageRow,
        }

        impl MessageRow {
            fn into_record(self) -> StoreResult<MessageRecord> {
                Ok(MessageRecord {
                    id: self.id,
                    campaign_id: decode::uuid("campaign id", &self.campaign_id)?,
                    contact_id: self.contact_id.map(ContactId),
                    test: self.test != 0,
                    to: self.to_phone,
                    sender: self.sender,
                    body: self.body,
                    media: decode::json("media", &self.media)?,
                    state: decode::unit_enum("message state", &self.state)?,
                    reason: self.reason,
                    error_code: self.error_code.map(|c| c as u32),
                    error_message: self.error_message,
                    provider_sid: self.provider_sid,
                    provider_status: self
                        .provider_status
                        .map(|s| decode::unit_enum("provider status", &s))
                        .transpose()?,
                    attempts: self.attempts as u32,
                    due_at: decode::time(self.due_at)?,
                    claimed_at: self.claimed_at.map(decode::time).transpose()?,
                    sent_at: self.sent_at.map(decode::time).transpose()?,
                    updated_at: decode::time(self.updated_at)?,
                })
            }
        }

        const MESSAGE_COLUMNS: &str = "id, campaign_id, contact_id, test, to_phone, sender, body, \
            media, state, reason, error_code, error_message, provider_sid, provider_status, \
            attempts, due_at, claimed_at, sent_at, updated_at";

        const NEW_MESSAGE_COLUMNS: [(&str, &str); 14] = [
            ("contact_id", "bigint"),
            ("to_phone", "text"),
            ("sender", "text"),
            ("sender_rate", "bigint"),
            ("body", "text"),
            ("media", "text"),
            ("units", "bigint"),
            ("timezone", "text"),
            ("state", "text"),
            ("reason", "text"),
            ("due_at", "bigint"),
            ("test", "bigint"),
            ("trigger_key", "text"),
            ("expires_at", "bigint"),
        ];

        fn message_json(m: &NewMessage, test: bool) -> Value {
            json!({
                "contact_id": m.contact_id.map(|c| c.0),
                "to_phone": m.to,
                "sender": m.sender,
                "sender_rate": m.sender_rate,
                "body": m.body,
                "media": serde_json::to_string(&m.media).expect("strings serialise"),
                "units": m.units,
                "timezone": m.timezone,
                "state": if m.skipped.is_some() { "skipped" } else { "queued" },
                "reason": m.skipped,
                "due_at": decode::millis(m.due_at),
                "test": i64::from(test),
                "trigger_key": m.trigger_key,
                "expires_at": m.expires_at.map(decode::millis),
            })
        }

        /// Inserts messages (a recipient already written keeps its message); returns the ids.
        pub(crate) async fn insert_messages(
            tx: &mut sqlx::Transaction<'static, Db>,
            account: AccountId,
            campaign: CampaignId,
            messages: &[NewMessage],
            test: bool,
            now: DateTime<Utc>,
        ) -> StoreResult<Vec<i64>> {
            if messages.is_empty() {
                return Ok(Vec::new());
            }
            let rows: Vec<Value> = messages.iter().map(|m| message_json(m, test)).collect();
            let names: Vec<&str> = NEW_MESSAGE_COLUMNS.iter().map(|(n, _)| *n).collect();
            let mut inserted: Vec<(i64, Option<i64>)> = Vec::new();
            for chunk in rows.chunks(rows_per_statement(DIALECT, NEW_MESSAGE_COLUMNS.len())) {
                let sql = format!(
                    "{values} INSERT INTO messages (account_id, campaign_id, attempts, updated_at, \
                     {names}) SELECT $1, $2, 0, $3, {names} FROM u WHERE true \
                     ON CONFLICT (campaign_id, contact_id, trigger_key) DO NOTHING \
                     RETURNING id, contact_id",
                    values = values_cte(&NEW_MESSAGE_COLUMNS, chunk.len(), 4),
                    names = names.join(", "),
                );
                let query = sqlx::query_as(AssertSqlSafe(sql))
                    .bind(account.to_string())
                    .bind(campaign.to_string())
                    .bind(decode::millis(now));
                let found: Vec<(i64, Option<i64>)> =
                    bind_rows_as(query, &NEW_MESSAGE_COLUMNS, chunk)
                        .fetch_all(&mut **tx)
                        .await
                        .map_err(map_error)?;
                inserted.extend(found);
            }
            // Links of the messages written now (not of a recipient written before).
            // A call writes one message per recipient, so the recipient names the message; test
            // messages (no recipient) are all written and their links name none.
            let written: HashMap<i64, i64> = inserted
                .iter()
                .filter_map(|(id, c)| c.map(|c| (c, *id)))
                .collect();
            let links: Vec<Value> = messages
                .iter()
                .filter_map(|m| match m.contact_id {
                    None => Some((m, None, None)),
                    Some(c) => written.get(&c.0).map(|id| (m, Some(c.0), Some(*id))),
                })
                .flat_map(|(m, contact, id)| {
                    m.links.iter().map(move |(code, url)| {
                        json!({ "code": code, "url": url, "contact_id": contact, "message_id": id })
                    })
                })
                .collect();
            const LINK_COLUMNS: [(&str, &str); 4] = [
                ("code", "text"),
                ("url", "text"),
                ("contact_id", "bigint"),
                ("message_id", "bigint"),
            ];
            for chunk in links.chunks(rows_per_statement(DIALECT, LINK_COLUMNS.len())) {
                let sql = format!(
                    "{} INSERT INTO links (code, account_id, campaign_id, contact_id, url, \
                     created_at, message_id) SELECT code, $1, $2, contact_id, url, $3, message_id \
                     FROM u",
                    values_cte(&LINK_COLUMNS, chunk.len(), 4)
                );
                let query = sqlx::query(AssertSqlSafe(sql))
                    .bind(account.to_string())
                    .bind(campaign.to_string())
                    .bind(decode::millis(now));
                bind_rows(query, &LINK_COLUMNS, chunk)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_error)?;
            }
            Ok(inserted.into_iter().map(|(id, _)| id).collect())
        }

        /// Ends triggered campaigns: their waiting triggers are cancelled with `reason`, and
        /// their rules go (nothing more is found for them).
        async fn end_triggers(
            tx: &mut sqlx::Transaction<'static, Db>,
            campaigns: &[String],
            reason: &str,
            now: DateTime<Utc>,
        ) -> StoreResult<()> {
            for campaign in campaigns {
                sqlx::query(
                    "UPDATE triggers SET state = 'cancelled', reason = $1, updated_at = $2 \
                     WHERE campaign_id = $3 AND state = 'waiting'",
                )
                .bind(reason)
                .bind(decode::millis(now))
                .bind(campaign)
                .execute(&mut **tx)
                .await
                .map_err(map_error)?;
                sqlx::query("DELETE FROM trigger_rules WHERE campaign_id = $1")
                    .bind(campaign)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_error)?;
            }
            Ok(())
        }

        /// Records the senders of a run's queued messages, where claims look for them.
        pub(crate) async fn add_senders(
            tx: &mut sqlx::Transaction<'static, Db>,
            campaign: CampaignId,
            messages: &[NewMessage],
        ) -> StoreResult<()> {
            let mut senders: BTreeMap<&str, u32> = BTreeMap::new();
            for m in messages.iter().filter(|m| m.skipped.is_none()) {
                let rate = senders.entry(m.sender.as_str()).or_default();
                *rate = (*rate).max(m.sender_rate);
            }
            let rows: Vec<Value> = senders
                .iter()
                .map(|(sender, rate)| json!({ "sender": sender, "rate": rate }))
                .collect();
            const COLUMNS: [(&str, &str); 2] = [("sender", "text"), ("rate", "bigint")];
            for chunk in rows.chunks(rows_per_statement(DIALECT, COLUMNS.len())) {
                let query = sqlx::query(AssertSqlSafe(format!(
                    "{} INSERT INTO run_senders (campaign_id, sender, rate) \
                     SELECT $1, sender, rate FROM u WHERE true \
                     ON CONFLICT (campaign_id, sender) DO UPDATE SET rate = excluded.rate",
                    values_cte(&COLUMNS, chunk.len(), 2)
                )))
                .bind(campaign.to_string());
                bind_rows(query, &COLUMNS, chunk)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_error)?;
            }
            Ok(())
        }

        /// Runs `statement` (with `$1` the time) over `rows` as `u(columns)`.
        async fn update_rows(
            tx: &mut sqlx::Transaction<'static, Db>,
            columns: &[(&str, &str)],
            statement: &str,
            now: DateTime<Utc>,
            rows: Vec<Value>,
        ) -> StoreResult<()> {
            for chunk in rows.chunks(rows_per_statement(DIALECT, columns.len())) {
                let sql = format!("{} {statement}", values_cte(columns, chunk.len(), 2));
                let query = sqlx::query(AssertSqlSafe(sql)).bind(decode::millis(now));
                bind_rows(query, columns, chunk)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_error)?;
            }
            Ok(())
        }

        /// Moves a campaign to `to` at the next revision, with its history entry.
        /// Saves a launched campaign's run.
        pub(crate) async fn insert_run(
            tx: &mut sqlx::Transaction<'static, Db>,
            run: &RunRecord,
        ) -> StoreResult<()> {
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO campaign_runs ({RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            )))
            .bind(run.campaign_id.to_string())
            .bind(run.account_id.to_string())
            .bind(serde_json::to_string(&run.plan).expect("a plan serialises"))
            .bind(decode::millis(run.send_at))
            .bind(run.cursor.map(|c| c.0))
            .bind(i64::from(run.materialised))
            .bind(decode::millis(run.started_at))
            .bind(run.snapshot.as_ref().map(|s| s.to_string()))
            .execute(&mut **tx)
            .await
            .map_err(map_error)?;
            Ok(())
        }

        pub(crate) async fn save_status(
            tx: &mut sqlx::Transaction<'static, Db>,
            campaign: &CampaignRecord,
            to: CampaignStatus,
            change: &CampaignChange,
        ) -> StoreResult<()> {
            let done = sqlx::query(
                "UPDATE campaigns SET status = $1, revision = revision + 1, updated_by = $2, \
                 updated_at = $3 WHERE id = $4 AND account_id = $5 AND revision = $6",
            )
            .bind(decode::json_text(&to))
            .bind(&change.by)
            .bind(decode::millis(change.at))
            .bind(campaign.id.to_string())
            .bind(campaign.account_id.to_string())
            .bind(campaign.revision)
            .execute(&mut **tx)
            .await
            .map_err(map_error)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict {
                    constraint: "campaigns_revision".into(),
                });
            }
            crate::campaigns::record_change(tx, campaign, change).await
        }

        /// The rate buckets of `names` (their next free moments), read in the claim's
        /// serialised transaction.
        async fn read_buckets(
            tx: &mut sqlx::Transaction<'static, Db>,
            names: &BTreeSet<String>,
        ) -> StoreResult<HashMap<String, i64>> {
            let rows: Vec<Value> = names.iter().map(|n| json!({ "name": n })).collect();
            const NAME: [(&str, &str); 1] = [("name", "text")];
            let mut found: Vec<(String, i64)> = Vec::new();
            for chunk in rows.chunks(rows_per_statement(DIALECT, 1)) {
                let query = sqlx::query_as(AssertSqlSafe(format!(
                    "{} SELECT name, free_at FROM rate_buckets WHERE name IN (SELECT name FROM u)",
                    values_cte(&NAME, chunk.len(), 1)
                )));
                found.extend(
                    bind_rows_as(query, &NAME, chunk)
                        .fetch_all(&mut **tx)
                        .await
                        .map_err(map_error)?,
                );
            }
            Ok(found.into_iter().collect())
        }

        /// Writes back the buckets a claim booked, in name order.
        async fn write_buckets(
            tx: &mut sqlx::Transaction<'static, Db>,
            buckets: &BTreeMap<String, i64>,
        ) -> StoreResult<()> {
            let rows: Vec<Value> = buckets
                .iter()
                .map(|(name, free_at)| json!({ "name": name, "free_at": free_at }))
                .collect();
            const COLUMNS: [(&str, &str); 2] = [("name", "text"), ("free_at", "bigint")];
            for chunk in rows.chunks(rows_per_statement(DIALECT, COLUMNS.len())) {
                let query = sqlx::query(AssertSqlSafe(format!(
                    "{} INSERT INTO rate_buckets (name, free_at) SELECT name, free_at FROM u \
                     WHERE true ON CONFLICT (name) DO UPDATE SET free_at = excluded.free_at",
                    values_cte(&COLUMNS, chunk.len(), 1)
                )));
                bind_rows(query, &COLUMNS, chunk)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_error)?;
            }
            Ok(())
        }

        /// How many marketing messages each contact got (or is being sent) since `since`.
        async fn sent_since(
            tx: &mut sqlx::Transaction<'static, Db>,
            contacts: &[i64],
            since: DateTime<Utc>,
        ) -> StoreResult<HashMap<i64, u32>> {
            let rows: Vec<Value> = contacts.iter().map(|c| json!({ "id": c })).collect();
            const ID: [(&str, &str); 1] = [("id", "bigint")];
            let mut counts: Vec<(i64, i64)> = Vec::new();
            for chunk in rows.chunks(rows_per_statement(DIALECT, 1)) {
                let query = sqlx::query_as(AssertSqlSafe(format!(
                    "{} SELECT contact_id, COUNT(*) FROM messages WHERE contact_id IN \
                     (SELECT id FROM u) AND state IN ('sent', 'sending') AND test = 0 \
                     AND COALESCE(sent_at, claimed_at) >= $1 \
                     GROUP BY contact_id",
                    values_cte(&ID, chunk.len(), 2)
                )))
                .bind(decode::millis(since));
                let found: Vec<(i64, i64)> = bind_rows_as(query, &ID, chunk)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(map_error)?;
                counts.extend(found);
            }
            Ok(counts.into_iter().map(|(c, n)| (c, n as u32)).collect())
        }

        fn bucket_key(kind: &str, name: &str) -> String {
            format!("{kind}:{name}")
        }

        /// Whether a statement of `rows` rows is worth keeping prepared: only full batches
        /// repeat; the others (tails, small claims) would fill the statement cache.
        fn repeats(columns: &[(&str, &str)], rows: &[Value]) -> bool {
            rows.len() == rows_per_statement(DIALECT, columns.len())
        }

        /// Binds each row's values in column order, typed by the column (so that a NULL has
        /// its column's type).
        fn bind_rows<'q>(
            query: Query<'q, Db, Args>,
            columns: &[(&str, &str)],
            rows: &[Value],
        ) -> Query<'q, Db, Args> {
            let mut query = query.persistent(repeats(columns, rows));
            for row in rows {
                for (name, kind) in columns {
                    query = match *kind {
                        "bigint" => query.bind(row[*name].as_i64()),
                        _ => query.bind(row[*name].as_str().map(str::to_owned)),
                    };
                }
            }
            query
        }

        fn bind_rows_as<'q, O>(
            query: QueryAs<'q, Db, O, Args>,
            columns: &[(&str, &str)],
            rows: &[Value],
        ) -> QueryAs<'q, Db, O, Args> {
            let mut query = query.persistent(repeats(columns, rows));
            for row in rows {
                for (name, kind) in columns {
                    query = match *kind {
                        "bigint" => query.bind(row[*name].as_i64()),
                        _ => query.bind(row[*name].as_str().map(str::to_owned)),
                    };
                }
            }
            query
        }

        #[async_trait]
        impl Outbox for $store {
            async fn start_run(
                &self,
                campaign: &CampaignRecord,
                change: &CampaignChange,
                run: &RunRecord,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(map_error)?;
                let before = CampaignRecord {
                    revision: campaign.revision - 1,
                    ..campaign.clone()
                };
                save_status(&mut tx, &before, campaign.status, change).await?;
                insert_run(&mut tx, run).await?;
                tx.commit().await.map_err(map_error)
            }

            async fn run(&self, account: AccountId, campaign: CampaignId) -> StoreResult<RunRecord> {
                let row: RunRow = sqlx::query_as(AssertSqlSafe(format!(
                    "SELECT {RUN_COLUMNS} FROM campaign_runs WHERE campaign_id = $1 AND account_id = $2"
                )))
                .bind(campaign.to_string())
                .bind(account.to_string())
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                run_record(row)
            }

            async fn open_runs(&self) -> StoreResult<Vec<RunRecord>> {
                let rows: Vec<RunRow> = sqlx::query_as(AssertSqlSafe(format!(
                    "SELECT {RUN_COLUMNS} FROM campaign_runs WHERE materialised = 0 AND campaign_id IN \
                     (SELECT id FROM campaigns WHERE status IN ('scheduled', 'running', 'paused')) \
                     ORDER BY started_at"
                )))
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter().map(run_record).collect()
            }

            async fn add_messages(
                &self,
                run: &RunRecord,
                messages: &[NewMessage],
                to: Option<ContactId>,
                done: bool,
            ) -> StoreResult<()> {
                let now = Utc::now();
                let mut tx = self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                // Locked against a cancel committing meanwhile: a cancelled campaign's audience
                // is written no further.
                let status: Option<(String,)> = sqlx::query_as(AssertSqlSafe(format!(
                    "SELECT status FROM campaigns WHERE id = $1{}",
                    for_update(DIALECT)
                )))
                .bind(run.campaign_id.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_error)?;
                if status.is_none_or(|(s,)| s == "cancelled") {
                    return Err(StoreError::Conflict {
                        constraint: "campaigns_status".into(),
                    });
                }
                let moved = sqlx::query(
                    "UPDATE campaign_runs SET cursor = $1, materialised = $2 \
                     WHERE campaign_id = $3 AND COALESCE(cursor, 0) = $4 AND materialised = 0",
                )
                .bind(to.map(|c| c.0))
                .bind(i64::from(done))
                .bind(run.campaign_id.to_string())
                .bind(run.cursor.map_or(0, |c| c.0))
                .execute(&mut *tx)
                .await
                .map_err(map_error)?;
                if moved.rows_affected() == 0 {
                    return Err(StoreError::Conflict {
                        constraint: "campaign_runs_cursor".into(),
                    });
                }
                insert_messages(&mut tx, run.account_id, run.campaign_id, messages, false, now).await?;
                add_senders(&mut tx, run.campaign_id, messages).await?;
                tx.commit().await.map_err(map_error)
            }

            async fn add_test_messages(
                &self,
                account: AccountId,
                campaign: CampaignId,
                messages: &[NewMessage],
                hourly_limit: u32,
            ) -> StoreResult<Vec<i64>> {
                let now = Utc::now();
                let mut tx = self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                // Counted in the writing transaction (SQLite's is immediate; PostgreSQL locks the
                // account's row), so two requests at once cannot both pass the limit.
                if DIALECT == tern_store::audience_sql::Dialect::Postgres {
                    sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
                        .bind(account.to_string())
                        .execute(&mut *tx)
                        .await
                        .map_err(map_error)?;
                }
                let (recent,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM messages WHERE account_id = $1 AND test = 1 AND due_at > $2",
                )
                .bind(account.to_string())
                .bind(decode::millis(now - Duration::hours(1)))
                .fetch_one(&mut *tx)
                .await
                .map_err(map_error)?;
                if recent as usize + messages.len() > hourly_limit as usize {
                    return Err(StoreError::Conflict {
                        constraint: "test_messages_per_hour".into(),
                    });
                }
                let ids = insert_messages(&mut tx, account, campaign, messages, true, now).await?;
                tx.commit().await.map_err(map_error)?;
                Ok(ids)
            }

            async fn claim(
                &self,
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
                limit: u32,
            ) -> StoreResult<Vec<Claimed>> {
                let asked = std::time::Instant::now();
                let mut tx = self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                // One claim at a time across nodes: buckets, caps and consent are read and
                // booked without another claim in between.
                crate::dialect::serialise_claims(&mut tx).await?;
                // Time spent waiting for the other claims passed: moments booked from before
                // it would be due already when this claim ends.
                let waited = Duration::from_std(asked.elapsed()).unwrap_or_default();
                let (now, lease_until) = if waited > Duration::milliseconds(10) {
                    (now + waited, lease_until + waited)
                } else {
                    (now, lease_until)
                };
                // Accounts whose breaker is open wait; one whose breaker just closed sends one
                // message a claim (a probe) until the provider answers again.
                let breakers: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
                    "SELECT account_id, failures, open_until FROM provider_breakers \
                     WHERE failures >= $1",
                )
                .bind(i64::from(BREAKER_FAILURES))
                .fetch_all(&mut *tx)
                .await
                .map_err(map_error)?;
                let mut blocked: HashSet<String> = HashSet::new();
                let mut probing: HashSet<String> = HashSet::new();
                for (account, _, open_until) in breakers {
                    if open_until.is_some_and(|until| until > decode::millis(now)) {
                        blocked.insert(account);
                    } else {
                        probing.insert(account);
                    }
                }
                // The senders of running campaigns, with the campaigns' plans.
                let pairs: Vec<(String, String, String, String, i64)> = sqlx::query_as(
                    "SELECT s.campaign_id, r.account_id, r.plan, s.sender, s.rate FROM run_senders s \
                     JOIN campaign_runs r ON r.campaign_id = s.campaign_id \
                     JOIN campaigns c ON c.id = s.campaign_id \
                     WHERE c.status IN ('running', 'active') ORDER BY s.sender, s.campaign_id",
                )
                .fetch_all(&mut *tx)
                .await
                .map_err(map_error)?;
                let mut plans: HashMap<String, RunPlan> = HashMap::new();
                for (campaign, _, plan, _, _) in &pairs {
                    if !plans.contains_key(campaign) {
                        plans.insert(campaign.clone(), decode::json("run plan", plan)?);
                    }
                }
                // Test messages go whatever the campaign's status; they too wait for their sender.
                let tests: Vec<CandidateRow> = sqlx::query_as(AssertSqlSafe(format!(
                    "{CANDIDATE_SELECT} WHERE m.state = 'queued' AND m.test = 1 AND m.due_at <= $1 \
                     ORDER BY m.due_at, m.id LIMIT $2"
                )))
                .bind(decode::millis(now))
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await
                .map_err(map_error)?;
                let mut names: BTreeSet<String> = BTreeSet::new();
                for (campaign, _, _, sender, _) in &pairs {
                    names.insert(bucket_key("sender", sender));
                    names.insert(bucket_key("campaign", campaign));
                }
                for row in &tests {
                    names.insert(bucket_key("sender", &row.sender));
                }
                if pairs.is_empty() && tests.is_empty() {
                    return Ok(Vec::new());
                }
                let mut buckets = Buckets::new(now + BOOKING_LEAD);
                buckets.free_at = read_buckets(&mut tx, &names).await?;
                let before = buckets.free_at.clone();
                // Due messages sender by sender, as many as the sender (and the campaign's
                // throttle) can take within the horizon: a sender without room is not read.
                let mut candidates: Vec<CandidateRow> =
                    tests.into_iter().filter(|t| !blocked.contains(&t.account_id)).collect();
                for (campaign, account, _, sender, rate) in &pairs {
                    if blocked.contains(account) {
                        continue;
                    }
                    let sender_key = bucket_key("sender", sender);
                    if !buckets.open(&sender_key) {
                        continue;
                    }
                    let mut room = limit.min(buckets.room(&sender_key, (*rate).max(1) as u32));
                    if probing.contains(account) {
                        room = room.min(1);
                    }
                    if let Some(throttle) = plans.get(campaign).and_then(|p| p.throttle) {
                        room = room.min(buckets.room(&bucket_key("campaign", campaign), throttle));
                    }
                    if room == 0 {
                        continue;
                    }
                    let found: Vec<CandidateRow> = sqlx::query_as(AssertSqlSafe(format!(
                        "{CANDIDATE_SELECT} WHERE m.campaign_id = $1 AND m.sender = $2 \
                         AND m.state = 'queued' AND m.test = 0 AND m.due_at <= $3 \
                         ORDER BY m.due_at, m.id LIMIT $4"
                    )))
                    .bind(campaign)
                    .bind(sender)
                    .bind(decode::millis(now))
                    .bind(i64::from(room))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(map_error)?;
                    candidates.extend(found);
                }
                if candidates.is_empty() {
                    return Ok(Vec::new());
                }
                candidates.sort_by_key(|c| (c.due_at, c.id));
                // What the frequency caps need, counted now that no other claim can add to it:
                // per cap length in days, so each campaign's cap counts its own window.
                let contacts: Vec<i64> = candidates
                    .iter()
                    .filter(|c| c.test == 0)
                    .filter_map(|c| c.contact_id)
                    .collect();
                let cap_days: BTreeSet<u32> =
                    plans.values().filter_map(|p| p.frequency_cap).map(|c| c.days).collect();
                let mut sent_recently: HashMap<u32, HashMap<i64, u32>> = HashMap::new();
                for days in cap_days {
                    let since = now - Duration::days(i64::from(days));
                    sent_recently.insert(days, sent_since(&mut tx, &contacts, since).await?);
                }
                let mut send: Vec<Value> = Vec::new();
                let mut moments: HashMap<i64, DateTime<Utc>> = HashMap::new();
                let mut deferred = Vec::new();
                let mut skipped = Vec::new();
                let mut probed: HashSet<&str> = HashSet::new();
                for row in &candidates {
                    if send.len() as u32 >= limit {
                        break;
                    }
                    if probing.contains(&row.account_id) && !probed.insert(&row.account_id) {
                        continue;
                    }
                    let plan = (row.test == 0).then(|| plans.get(&row.campaign_id)).flatten();
                    let sender_key = bucket_key("sender", &row.sender);
                    let campaign_key = bucket_key("campaign", &row.campaign_id);
                    let candidate = Candidate {
                        sender: &sender_key,
                        sender_rate: row.sender_rate.max(1) as u32,
                        units: row.units.max(1) as u32,
                        campaign: plan.map(|p| (campaign_key.as_str(), p)),
                        timezone: row.timezone.as_deref().and_then(|z| z.parse().ok()),
                        sent_recently: plan
                            .and_then(|p| p.frequency_cap)
                            .zip(row.contact_id)
                            .and_then(|(cap, c)| sent_recently.get(&cap.days)?.get(&c).copied())
                            .unwrap_or(0),
                        consent: row.consent.parse().unwrap_or(Consent::Unknown),
                        mms_refused: row.mms_enabled == 0 && row.media != "[]",
                        expires_at: row.expires_at.and_then(|at| decode::time(at).ok()),
                        ordered: row.ordered != 0,
                    };
                    match decide(&candidate, now, &mut buckets) {
                        Decision::Send(at) => {
                            send.push(json!({ "id": row.id }));
                            moments.insert(row.id, at);
                            // A second message to the same contact in this claim counts this one.
                            if let (Some(contact), 0) = (row.contact_id, row.test) {
                                for counts in sent_recently.values_mut() {
                                    *counts.entry(contact).or_default() += 1;
                                }
                            }
                        }
                        Decision::Defer(at) => {
                            deferred.push(json!({ "id": row.id, "due_at": decode::millis(at) }))
                        }
                        Decision::Skip(reason) => {
                            skipped.push(json!({ "id": row.id, "reason": reason }))
                        }
                        Decision::Wait => {}
                    }
                }
                const ID: [(&str, &str); 1] = [("id", "bigint")];
                update_rows(
                    &mut tx,
                    &[("id", "bigint"), ("due_at", "bigint")],
                    "UPDATE messages SET due_at = u.due_at, updated_at = $1 FROM u \
                     WHERE messages.id = u.id AND messages.state = 'queued'",
                    now,
                    deferred,
                )
                .await?;
                let ordered: Vec<Value> = skipped
                    .iter()
                    .filter(|s| s["reason"] == "ordered")
                    .map(|s| json!({ "id": s["id"] }))
                    .collect();
                update_rows(
                    &mut tx,
                    &[("id", "bigint"), ("reason", "text")],
                    "UPDATE messages SET state = 'skipped', reason = u.reason, \
                     updated_at = $1 FROM u WHERE messages.id = u.id AND messages.state = 'queued'",
                    now,
                    skipped,
                )
                .await?;
                // A reminder skipped for an order: its trigger says so too.
                update_rows(
                    &mut tx,
                    &[("id", "bigint")],
                    "UPDATE triggers SET state = 'cancelled', reason = 'ordered', updated_at = $1 \
                     FROM u WHERE triggers.message_id = u.id",
                    now,
                    ordered,
                )
                .await?;
                let mut taken = Vec::new();
                for chunk in send.chunks(rows_per_statement(DIALECT, 1)) {
                    let query = sqlx::query_as(AssertSqlSafe(format!(
                        "{} UPDATE messages SET state = 'sending', attempts = attempts + 1, \
                         lease_until = $2, claimed_at = $1, updated_at = $1, \
                         lookup_failing_since = NULL FROM u \
                         WHERE messages.id = u.id AND messages.state = 'queued' RETURNING {}",
                        values_cte(&ID, chunk.len(), 3),
                        CLAIM_COLUMNS
                            .split(", ")
                            .map(|c| format!("messages.{c}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                    .bind(decode::millis(now))
                    .bind(decode::millis(lease_until));
                    let rows: Vec<ClaimRow> = bind_rows_as(query, &ID, chunk)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(map_error)?;
                    for row in rows {
                        let mut claimed = claimed(row)?;
                        claimed.not_before = moments.get(&claimed.id).copied().unwrap_or(now);
                        taken.push(claimed);
                    }
                }
                taken.sort_by_key(|c: &Claimed| (c.not_before, c.id));
                let booked: BTreeMap<String, i64> = buckets
                    .free_at
                    .into_iter()
                    .filter(|(name, at)| before.get(name) != Some(at))
                    .collect();
                write_buckets(&mut tx, &booked).await?;
                tx.commit().await.map_err(map_error)?;
                Ok(taken)
            }

            async fn record(&self, outcomes: &[Outcome], now: DateTime<Utc>) -> StoreResult<()> {
                let mut sent = Vec::new();
                let mut requeued = Vec::new();
                let mut failed = Vec::new();
                let mut lookups = Vec::new();
                let mut released = Vec::new();
                for outcome in outcomes {
                    match outcome {
                        Outcome::Sent { id, attempts, sid, status } => sent.push(json!({
                            "id": id, "attempts": attempts, "sid": sid,
                            "status": decode::json_text(status),
                        })),
                        Outcome::Requeue { id, attempts, due_at, error } => requeued.push(json!({
                            "id": id, "attempts": attempts, "due_at": decode::millis(*due_at),
                            "error": error,
                        })),
                        Outcome::Failed { id, attempts, reason, code, message } => failed.push(json!({
                            "id": id, "attempts": attempts, "reason": reason, "code": code,
                            "message": message,
                        })),
                        Outcome::Release { id, attempts } => {
                            released.push(json!({ "id": id, "attempts": attempts }))
                        }
                        Outcome::LookupFailed { id, attempts, retry_at } => lookups.push(json!({
                            "id": id, "attempts": attempts, "retry_at": decode::millis(*retry_at),
                        })),
                    }
                }
                let sids: Vec<Value> = sent.iter().map(|s| json!({ "sid": s["sid"] })).collect();
                let mut tx = self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                // Only the attempt that claimed a message may settle it.
                let fenced = "messages.id = u.id AND messages.state = 'sending' \
                              AND messages.attempts = u.attempts";
                update_rows(
                    &mut tx,
                    &[("id", "bigint"), ("attempts", "bigint"), ("sid", "text"), ("status", "text")],
                    &format!(
                        "UPDATE messages SET state = 'sent', provider_sid = u.sid, \
                         provider_status = u.status, sent_at = $1, lease_until = NULL, \
                         updated_at = $1 FROM u WHERE {fenced}"
                    ),
                    now,
                    sent.clone(),
                )
                .await?;
                update_rows(
                    &mut tx,
                    &[("id", "bigint"), ("attempts", "bigint"), ("sid", "text"), ("status", "text")],
                    "INSERT INTO message_statuses (message_id, status, at) \
                     SELECT u.id, u.status, $1 FROM u JOIN messages m ON m.id = u.id \
                     AND m.provider_sid = u.sid WHERE u.status IS NOT NULL \
                     ON CONFLICT (message_id, status) DO NOTHING",
                    now,
                    sent,
                )
                .await?;
                update_rows(
                    &mut tx,
                    &[("id", "bigint"), ("attempts", "bigint"), ("due_at", "bigint"), ("error", "text")],
                    &format!(
                        "UPDATE messages SET state = CASE WHEN EXISTS (SELECT 1 FROM campaigns c \
                         WHERE c.id = messages.campaign_id AND c.status = 'cancelled') \
                         AND messages.test = 0 THEN 'cancelled' ELSE 'queued' END, \
                         due_at = u.due_at, error_message = u.error, lease_until = NULL, \
                         lookup_failing_since = NULL, updated_at = $1 FROM u WHERE {fenced}"
                    ),
                    now,
                    requeued,
                )
                .await?;
                update_rows(
                    &mut tx,
                    &[
                        ("id", "bigint"),
                        ("attempts", "bigint"),
                        ("reason", "text"),
                        ("code", "bigint"),
                        ("message", "text"),
                    ],
                    &format!(
                        "UPDATE messages SET state = 'failed', reason = u.reason, error_code = u.code, \
                         error_message = u.message, lease_until = NULL, updated_at = $1 FROM u \
                         WHERE {fenced}"
                    ),
                    now,
                    failed,
                )
                .await?;
                update_rows(
                    &mut tx,
                    &[("id", "bigint"), ("attempts", "bigint")],
                    &format!(
                        "UPDATE messages SET state = CASE WHEN EXISTS (SELECT 1 FROM campaigns c \
                         WHERE c.id = messages.campaign_id AND c.status = 'cancelled') \
                         AND messages.test = 0 THEN 'cancelled' ELSE 'queued' END, \
                         attempts = messages.attempts - 1, lease_until = NULL, updated_at = $1 \
                         FROM u WHERE {fenced}"
                    ),
                    now,
                    released,
                )
                .await?;
                update_rows(
                    &mut tx,
                    &[("id", "bigint"), ("attempts", "bigint"), ("retry_at", "bigint")],
                    &format!(
                        "UPDATE messages SET lease_until = u.retry_at, \
                         lookup_failing_since = COALESCE(messages.lookup_failing_since, $1), \
                         updated_at = $1 FROM u WHERE {fenced}"
                    ),
                    now,
                    lookups,
                )
                .await?;
                tx.commit().await.map_err(map_error)?;
                // Status callbacks that came before the send was recorded; read after the
                // send's commit, so that a callback stored meanwhile is seen here or sees the
                // send itself (`apply_status` looks again after storing one).
                if !sids.is_empty() {
                    let mut tx =
                        self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                    apply_early(&mut tx, &sids, now).await?;
                    tx.commit().await.map_err(map_error)?;
                }
                Ok(())
            }

            async fn database_time(&self) -> StoreResult<DateTime<Utc>> {
                crate::dialect::database_time(&self.pool).await
            }

            async fn provider_answers(
                &self,
                answers: &[ProviderAnswers],
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<AccountId>> {
                let mut opened = Vec::new();
                if answers.is_empty() {
                    return Ok(opened);
                }
                let mut tx = self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                for answer in answers {
                    let current: Option<(i64, Option<i64>)> = sqlx::query_as(AssertSqlSafe(format!(
                        "SELECT failures, open_until FROM provider_breakers WHERE account_id = $1{}",
                        for_update(DIALECT)
                    )))
                    .bind(answer.account.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_error)?;
                    if current.is_none() && answer.failed == 0 {
                        continue;
                    }
                    let (failures, open_until) = current.unwrap_or((0, None));
                    // A success means the provider answers: the count starts again after it.
                    // Past the threshold the count stays there while the breaker is open and
                    // while it probes, so one more failure opens it again.
                    let failures = if answer.succeeded > 0 {
                        i64::from(answer.failed.min(1))
                    } else {
                        failures + i64::from(answer.failed)
                    };
                    let open = open_until.is_some_and(|until| until > decode::millis(now));
                    let opens = !open && failures >= i64::from(BREAKER_FAILURES);
                    let until = decode::millis(now + Duration::seconds(BREAKER_OPEN_SECS));
                    sqlx::query(
                        "INSERT INTO provider_breakers (account_id, failures, open_until, opened) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE SET \
                         failures = excluded.failures, \
                         open_until = COALESCE(excluded.open_until, provider_breakers.open_until), \
                         opened = provider_breakers.opened + excluded.opened",
                    )
                    .bind(answer.account.to_string())
                    .bind(failures)
                    .bind(opens.then_some(until))
                    .bind(i64::from(opens))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                    if opens {
                        opened.push(answer.account);
                    }
                }
                tx.commit().await.map_err(map_error)?;
                Ok(opened)
            }

            async fn breaker(&self, account: AccountId) -> StoreResult<Option<Breaker>> {
                let row: Option<(i64, Option<i64>, i64)> = sqlx::query_as(
                    "SELECT failures, open_until, opened FROM provider_breakers WHERE account_id = $1",
                )
                .bind(account.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(map_error)?;
                row.map(|(failures, open_until, opened)| {
                    Ok(Breaker {
                        failures: failures as u32,
                        open_until: open_until.map(decode::time).transpose()?,
                        opened: opened as u32,
                    })
                })
                .transpose()
            }

            async fn known_sids(&self, sids: &[String]) -> StoreResult<Vec<String>> {
                const SID: [(&str, &str); 1] = [("sid", "text")];
                let rows: Vec<Value> = sids.iter().map(|s| json!({ "sid": s })).collect();
                let mut known = Vec::new();
                for chunk in rows.chunks(rows_per_statement(DIALECT, 1)) {
                    let query = sqlx::query_as(AssertSqlSafe(format!(
                        "{} SELECT provider_sid FROM messages WHERE provider_sid IN (SELECT sid FROM u)",
                        values_cte(&SID, chunk.len(), 1)
                    )));
                    let found: Vec<(String,)> = bind_rows_as(query, &SID, chunk)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_error)?;
                    known.extend(found.into_iter().map(|(s,)| s));
                }
                Ok(known)
            }

            async fn expired(
                &self,
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
                limit: u32,
            ) -> StoreResult<Vec<Claimed>> {
                let mut tx = self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                let rows: Vec<ClaimRow> = sqlx::query_as(AssertSqlSafe(format!(
                    "UPDATE messages SET lease_until = $2 WHERE id IN (SELECT id FROM messages \
                     WHERE state = 'sending' AND lease_until < $1 ORDER BY lease_until LIMIT $3{}) \
                     RETURNING {CLAIM_COLUMNS}",
                    skip_locked(DIALECT)
                )))
                .bind(decode::millis(now))
                .bind(decode::millis(lease_until))
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await
                .map_err(map_error)?;
                tx.commit().await.map_err(map_error)?;
                rows.into_iter().map(claimed).collect()
            }

            async fn apply_status(
                &self,
                account: AccountId,
                update: &StatusUpdate,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                let known: Option<(String,)> = sqlx::query_as(
                    "SELECT account_id FROM messages WHERE provider_sid = $1",
                )
                .bind(&update.sid)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_error)?;
                match known {
                    Some((owner,)) if owner == account.to_string() => {
                        apply_known(&mut tx, update, now).await?;
                    }
                    // Another account's message: nothing of it changes.
                    Some(_) => return Err(StoreError::NotFound),
                    // The send is not recorded yet: kept until it is.
                    None => {
                        sqlx::query(
                            "INSERT INTO early_statuses (sid, account_id, status, error_code, \
                             error_message, received_at) VALUES ($1, $2, $3, $4, $5, $6) \
                             ON CONFLICT (sid, status) DO NOTHING",
                        )
                        .bind(&update.sid)
                        .bind(account.to_string())
                        .bind(decode::json_text(&update.status))
                        .bind(update.error_code.map(i64::from))
                        .bind(&update.error_message)
                        .bind(decode::millis(now))
                        .execute(&mut *tx)
                        .await
                        .map_err(map_error)?;
                        tx.commit().await.map_err(map_error)?;
                        // The send may have been recorded meanwhile, its look for early
                        // statuses made before this one was stored: look again.
                        let mut tx =
                            self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                        apply_early(&mut tx, &[json!({ "sid": update.sid })], now).await?;
                        return tx.commit().await.map_err(map_error);
                    }
                }
                tx.commit().await.map_err(map_error)
            }

            async fn set_run_status(
                &self,
                account: AccountId,
                campaign: CampaignId,
                from: &[CampaignStatus],
                to: CampaignStatus,
                change: &CampaignChange,
            ) -> StoreResult<CampaignRecord> {
                let current = self.campaign(account, campaign).await?;
                if !from.contains(&current.status) {
                    return Err(StoreError::Conflict {
                        constraint: "campaigns_status".into(),
                    });
                }
                let mut tx = self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                if to == CampaignStatus::Cancelled {
                    // Not while a claim marks the same rows (they would lock in other orders).
                    crate::dialect::serialise_claims(&mut tx).await?;
                }
                save_status(&mut tx, &current, to, change).await?;
                if to == CampaignStatus::Cancelled {
                    // Triggers first: a settlement in progress finishes before the queued
                    // messages are cancelled, its own message with them.
                    end_triggers(&mut tx, &[campaign.to_string()], "campaign_cancelled", change.at)
                        .await?;
                    sqlx::query(
                        "UPDATE messages SET state = 'cancelled', updated_at = $1 \
                         WHERE campaign_id = $2 AND state = 'queued' AND test = 0",
                    )
                    .bind(decode::millis(change.at))
                    .bind(campaign.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                    // A reminder settled just before: its trigger follows its message.
                    sqlx::query(
                        "UPDATE triggers SET state = 'cancelled', reason = 'campaign_cancelled', \
                         updated_at = $1 WHERE campaign_id = $2 AND state = 'sent' AND message_id IN \
                         (SELECT id FROM messages WHERE campaign_id = $2 AND state = 'cancelled')",
                    )
                    .bind(decode::millis(change.at))
                    .bind(campaign.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                }
                tx.commit().await.map_err(map_error)?;
                self.campaign(account, campaign).await
            }

            async fn advance_runs(&self, now: DateTime<Utc>) -> StoreResult<Vec<CampaignId>> {
                let mut tx = self.pool.begin_with(begin_write(DIALECT)).await.map_err(map_error)?;
                let mut changed: Vec<(String,)> = sqlx::query_as(
                    "UPDATE campaigns SET status = 'running', revision = revision + 1, updated_at = $1 \
                     WHERE status = 'scheduled' AND id IN \
                     (SELECT campaign_id FROM campaign_runs WHERE send_at <= $1) RETURNING id",
                )
                .bind(decode::millis(now))
                .fetch_all(&mut *tx)
                .await
                .map_err(map_error)?;
                let completed: Vec<(String,)> = sqlx::query_as(
                    "UPDATE campaigns SET status = 'completed', revision = revision + 1, \
                     updated_at = $1 WHERE status = 'running' AND id IN \
                     (SELECT campaign_id FROM campaign_runs WHERE materialised = 1) AND NOT EXISTS \
                     (SELECT 1 FROM messages m WHERE m.campaign_id = campaigns.id \
                      AND m.state IN ('queued', 'sending') AND m.test = 0) RETURNING id",
                )
                .bind(decode::millis(now))
                .fetch_all(&mut *tx)
                .await
                .map_err(map_error)?;
                // Triggered campaigns past their end date: what waits is cancelled, and they
                // complete.
                let ended: Vec<(String,)> = sqlx::query_as(
                    "UPDATE campaigns SET status = 'completed', revision = revision + 1, \
                     updated_at = $1 WHERE status IN ('active', 'paused') AND id IN \
                     (SELECT campaign_id FROM trigger_rules WHERE ends_at <= $1) RETURNING id",
                )
                .bind(decode::millis(now))
                .fetch_all(&mut *tx)
                .await
                .map_err(map_error)?;
                let ids: Vec<String> = ended.iter().map(|(id,)| id.clone()).collect();
                end_triggers(&mut tx, &ids, "campaign_ended", now).await?;
                for id in &ids {
                    sqlx::query(
                        "UPDATE messages SET state = 'cancelled', reason = 'campaign_ended', \
                         updated_at = $1 WHERE campaign_id = $2 AND state = 'queued' AND test = 0",
                    )
                    .bind(decode::millis(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                }
                changed.extend(ended);
                // A status kept a day for a send never recorded will not find it now.
                sqlx::query("DELETE FROM early_statuses WHERE received_at < $1")
                    .bind(decode::millis(now - Duration::days(1)))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_error)?;
                tx.commit().await.map_err(map_error)?;
                changed.extend(completed);
                changed
                    .into_iter()
                    .map(|(id,)| decode::uuid("campaign id", &id))
                    .collect()
            }

            async fn campaign_counts(
                &self,
                account: AccountId,
                campaigns: &[CampaignId],
                by_reason: bool,
            ) -> StoreResult<CampaignCounts> {
                const ID: [(&str, &str); 1] = [("id", "text")];
                let (reasons, group_reasons) = if by_reason {
                    ("reason, error_code", ", reason, error_code")
                } else {
                    ("CAST(NULL AS TEXT), CAST(NULL AS BIGINT)", "")
                };
                let rows: Vec<Value> =
                    campaigns.iter().map(|c| json!({ "id": c.to_string() })).collect();
                let mut counts = CampaignCounts::default();
                for chunk in rows.chunks(rows_per_statement(DIALECT, 1)) {
                    let query = sqlx::query_as(AssertSqlSafe(format!(
                        "{} SELECT campaign_id, state, provider_status, {reasons}, COUNT(*) \
                         FROM messages WHERE campaign_id IN (SELECT id FROM u) AND test = 0 \
                         AND campaign_id IN (SELECT id FROM campaigns WHERE account_id = $1) \
                         GROUP BY campaign_id, state, provider_status{group_reasons}",
                        values_cte(&ID, chunk.len(), 2)
                    )))
                    .bind(account.to_string());
                    type Row = (String, String, Option<String>, Option<String>, Option<i64>, i64);
                    let found: Vec<Row> = bind_rows_as(query, &ID, chunk)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_error)?;
                    for (campaign, state, status, reason, code, count) in found {
                        counts.messages.push(MessageCount {
                            campaign: decode::uuid("campaign id", &campaign)?,
                            state: decode::unit_enum("message state", &state)?,
                            provider_status: status
                                .map(|s| decode::unit_enum("provider status", &s))
                                .transpose()?,
                            reason,
                            error_code: code.map(|c| c as u32),
                            count: count as u64,
                        });
                    }
                    let query = sqlx::query_as(AssertSqlSafe(format!(
                        "{} SELECT campaign_id FROM campaign_runs \
                         WHERE campaign_id IN (SELECT id FROM u) AND account_id = $1 \
                         AND materialised = 1",
                        values_cte(&ID, chunk.len(), 2)
                    )))
                    .bind(account.to_string());
                    let written: Vec<(String,)> = bind_rows_as(query, &ID, chunk)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(map_error)?;
                    for (campaign,) in written {
                        counts.written.push(decode::uuid("campaign id", &campaign)?);
                    }
                }
                Ok(counts)
            }

            async fn messages(
                &self,
                account: AccountId,
                campaign: CampaignId,
                test: bool,
                after: i64,
                limit: u32,
            ) -> StoreResult<Vec<MessageRecord>> {
                let rows: Vec<MessageRow> = sqlx::query_as(AssertSqlSafe(format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE campaign_id = $1 AND account_id = $2 \
                     AND test = $3 AND id > $4 ORDER BY id LIMIT $5"
                )))
                .bind(campaign.to_string())
                .bind(account.to_string())
                .bind(i64::from(test))
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter().map(MessageRow::into_record).collect()
            }

            async fn contact_messages(
                &self,
                account: AccountId,
                contact: ContactId,
                limit: u32,
            ) -> StoreResult<Vec<ContactMessage>> {
                let rows: Vec<ContactMessageRow> = sqlx::query_as(AssertSqlSafe(format!(
                    "SELECT {MESSAGE_COLUMNS}, (SELECT name FROM campaigns \
                     WHERE campaigns.id = messages.campaign_id) AS campaign_name FROM messages \
                     WHERE contact_id = $1 AND account_id = $2 AND test = 0 \
                     ORDER BY id DESC LIMIT $3"
                )))
                .bind(contact.0)
                .bind(account.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter()
                    .map(|row| {
                        Ok(ContactMessage {
                            campaign_name: row.campaign_name,
                            message: row.message.into_record()?,
                        })
                    })
                    .collect()
            }
        }

        /// Applies the statuses kept for these sends (`u(sid)` rows) to those recorded now,
        /// each by its own account, and drops them.
        async fn apply_early(
            tx: &mut sqlx::Transaction<'static, Db>,
            sids: &[Value],
            now: DateTime<Utc>,
        ) -> StoreResult<()> {
            const SID: [(&str, &str); 1] = [("sid", "text")];
            type Early = (String, String, Option<i64>, Option<String>);
            let mut early: Vec<Early> = Vec::new();
            for chunk in sids.chunks(rows_per_statement(DIALECT, 1)) {
                let query = sqlx::query_as(AssertSqlSafe(format!(
                    "{} SELECT e.sid, e.status, e.error_code, e.error_message FROM early_statuses e \
                     JOIN messages m ON m.provider_sid = e.sid AND m.account_id = e.account_id \
                     WHERE e.sid IN (SELECT sid FROM u)",
                    values_cte(&SID, chunk.len(), 1)
                )));
                let found: Vec<Early> = bind_rows_as(query, &SID, chunk)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(map_error)?;
                early.extend(found);
            }
            for (sid, status, error_code, error_message) in early {
                let update = StatusUpdate {
                    sid,
                    status: decode::unit_enum("provider status", &status)?,
                    error_code: error_code.map(|c| c as u32),
                    error_message,
                };
                apply_known(tx, &update, now).await?;
                sqlx::query("DELETE FROM early_statuses WHERE sid = $1")
                    .bind(&update.sid)
                    .execute(&mut **tx)
                    .await
                    .map_err(map_error)?;
            }
            Ok(())
        }

        /// Moves a recorded message's provider status forward (never back), with the error
        /// of a failed or undelivered one.
        async fn apply_known(
            tx: &mut sqlx::Transaction<'static, Db>,
            update: &StatusUpdate,
            now: DateTime<Utc>,
        ) -> StoreResult<()> {
            let current: Option<(i64, Option<String>)> = sqlx::query_as(
                "SELECT id, provider_status FROM messages WHERE provider_sid = $1",
            )
            .bind(&update.sid)
            .fetch_optional(&mut **tx)
            .await
            .map_err(map_error)?;
            let Some((id, status)) = current else {
                return Ok(());
            };
            // The history keeps every status reported, the first time it was.
            sqlx::query(
                "INSERT INTO message_statuses (message_id, status, error_code, at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (message_id, status) DO NOTHING",
            )
            .bind(id)
            .bind(decode::json_text(&update.status))
            .bind(update.error_code.map(i64::from))
            .bind(decode::millis(now))
            .execute(&mut **tx)
            .await
            .map_err(map_error)?;
            let before: ProviderStatus = match &status {
                Some(s) => decode::unit_enum("provider status", s)?,
                None => ProviderStatus::Other,
            };
            let after = before.advance(update.status);
            if after == before {
                return Ok(());
            }
            let failed = matches!(after, ProviderStatus::Failed | ProviderStatus::Undelivered);
            let delivered = matches!(after, ProviderStatus::Delivered | ProviderStatus::Read);
            sqlx::query(
                "UPDATE messages SET provider_status = $1, \
                 error_code = CASE WHEN $2 = 1 THEN $3 ELSE error_code END, \
                 error_message = CASE WHEN $2 = 1 THEN $4 ELSE error_message END, \
                 delivered_at = CASE WHEN $7 = 1 THEN COALESCE(delivered_at, $5) \
                 ELSE delivered_at END, updated_at = $5 WHERE id = $6",
            )
            .bind(decode::json_text(&after))
            .bind(i64::from(failed))
            .bind(update.error_code.map(i64::from))
            .bind(&update.error_message)
            .bind(decode::millis(now))
            .bind(id)
            .bind(i64::from(delivered))
            .execute(&mut **tx)
            .await
            .map_err(map_error)?;
            Ok(())
        }
    };
}
