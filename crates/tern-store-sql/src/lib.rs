//! Storage code that is the same SQL on SQLite and PostgreSQL, written once. Each macro expands
//! to a capability's implementation in the backend crate that invokes it, given the store and
//! sqlx's database type; paths such as `crate::map_error` resolve in that crate. Code whose SQL
//! differs between the backends (contacts, events) stays in each backend.

// `crate::` is meant: each expansion uses its own backend's `map_error`.
#![allow(clippy::crate_in_macro_def)]

/// `impl Campaigns for $store`.
#[macro_export]
macro_rules! campaigns {
    ($store:ty, $db:ty) => {
        use async_trait::async_trait;
        use sqlx::{FromRow, QueryBuilder};
        use tern_domain::ids::{AccountId, CampaignId, MediaId};
        use tern_store::{
            CampaignChange, CampaignQuery, CampaignRecord, Campaigns, StoreError, StoreResult, decode,
            name_pattern, order_by,
        };

        use crate::map_error;

        #[derive(FromRow)]
        struct CampaignRow {
            id: String,
            account_id: String,
            name: String,
            kind: String,
            channel: String,
            status: String,
            steps: String,
            archived_at: Option<i64>,
            created_by: String,
            updated_by: String,
            revision: i64,
            created_at: i64,
            updated_at: i64,
        }

        impl CampaignRow {
            fn into_record(self) -> StoreResult<CampaignRecord> {
                decode::campaign(decode::CampaignColumns {
                    id: self.id,
                    account_id: self.account_id,
                    name: self.name,
                    kind: self.kind,
                    channel: self.channel,
                    status: self.status,
                    steps: self.steps,
                    archived_at: self.archived_at,
                    created_by: self.created_by,
                    updated_by: self.updated_by,
                    revision: self.revision,
                    created_at: self.created_at,
                    updated_at: self.updated_at,
                })
            }
        }

        const COLUMNS: &str = "id, account_id, name, kind, channel, status, steps, archived_at, \
            created_by, updated_by, revision, created_at, updated_at";

        fn steps_json(campaign: &CampaignRecord) -> String {
            serde_json::Value::Object(campaign.steps.clone()).to_string()
        }

        #[async_trait]
        impl Campaigns for $store {
            async fn create_campaign(
                &self,
                c: &CampaignRecord,
                change: &CampaignChange,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(map_error)?;
                sqlx::query(
                    "INSERT INTO campaigns (id, account_id, name, kind, channel, status, steps, \
                     archived_at, created_by, updated_by, revision, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(c.id.to_string())
                .bind(c.account_id.to_string())
                .bind(&c.name)
                .bind(decode::json_text(&c.kind))
                .bind(decode::json_text(&c.channel))
                .bind(decode::json_text(&c.status))
                .bind(steps_json(c))
                .bind(c.archived_at.map(decode::millis))
                .bind(&c.created_by)
                .bind(&c.updated_by)
                .bind(c.revision)
                .bind(decode::millis(c.created_at))
                .bind(decode::millis(c.updated_at))
                .execute(&mut *tx)
                .await
                .map_err(map_error)?;
                record_change(&mut tx, c, change).await?;
                tx.commit().await.map_err(map_error)
            }

            async fn campaign(&self, account: AccountId, id: CampaignId) -> StoreResult<CampaignRecord> {
                let row: CampaignRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM campaigns WHERE id = $1 AND account_id = $2"
                )))
                .bind(id.to_string())
                .bind(account.to_string())
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                row.into_record()
            }

            async fn campaigns_using_media(
                &self,
                account: AccountId,
                media: MediaId,
            ) -> StoreResult<Vec<CampaignRecord>> {
                // The id's text in the steps' JSON narrows the search; the design decides.
                let rows: Vec<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM campaigns WHERE account_id = $1 AND archived_at IS NULL \
                     AND status NOT IN ('completed', 'cancelled') AND steps LIKE $2 ORDER BY name"
                )))
                .bind(account.to_string())
                .bind(format!("%{media}%"))
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                let mut using = Vec::new();
                for row in rows {
                    let campaign = row.into_record()?;
                    if tern_store::design_media(&campaign).contains(&media) {
                        using.push(campaign);
                    }
                }
                Ok(using)
            }

            async fn list_campaigns(
                &self,
                account: AccountId,
                query: &CampaignQuery,
            ) -> StoreResult<Vec<CampaignRecord>> {
                let mut sql = QueryBuilder::<$db>::new(format!(
                    "SELECT {COLUMNS} FROM campaigns WHERE account_id = "
                ));
                sql.push_bind(account.to_string());
                sql.push(if query.archived {
                    " AND archived_at IS NOT NULL"
                } else {
                    " AND archived_at IS NULL"
                });
                if let Some(status) = query.status {
                    sql.push(" AND status = ")
                        .push_bind(decode::json_text(&status));
                }
                if let Some(kind) = query.kind {
                    sql.push(" AND kind = ").push_bind(decode::json_text(&kind));
                }
                if let Some(channel) = query.channel {
                    sql.push(" AND channel = ")
                        .push_bind(decode::json_text(&channel));
                }
                if let Some(search) = &query.search {
                    sql.push(" AND lower(name) LIKE ")
                        .push_bind(name_pattern(search))
                        .push(" ESCAPE '\\'");
                }
                sql.push(format!(" ORDER BY {} LIMIT ", order_by(query.sort)))
                    .push_bind(i64::from(query.limit))
                    .push(" OFFSET ")
                    .push_bind(i64::from(query.offset));
                let rows: Vec<CampaignRow> = sql
                    .build_query_as()
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_error)?;
                rows.into_iter().map(CampaignRow::into_record).collect()
            }

            async fn save_campaign(&self, c: &CampaignRecord, change: &CampaignChange) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(map_error)?;
                let done = sqlx::query(
                    "UPDATE campaigns SET name = $1, channel = $2, status = $3, steps = $4, \
                     archived_at = $5, updated_by = $6, revision = $7, updated_at = $8 \
                     WHERE id = $9 AND account_id = $10 AND revision = $11",
                )
                .bind(&c.name)
                .bind(decode::json_text(&c.channel))
                .bind(decode::json_text(&c.status))
                .bind(steps_json(c))
                .bind(c.archived_at.map(decode::millis))
                .bind(&c.updated_by)
                .bind(c.revision)
                .bind(decode::millis(c.updated_at))
                .bind(c.id.to_string())
                .bind(c.account_id.to_string())
                .bind(c.revision - 1)
                .execute(&mut *tx)
                .await
                .map_err(map_error)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict {
                        constraint: "campaigns_revision".into(),
                    });
                }
                record_change(&mut tx, c, change).await?;
                tx.commit().await.map_err(map_error)
            }

            async fn campaign_changes(
                &self,
                account: AccountId,
                id: CampaignId,
            ) -> StoreResult<Vec<CampaignChange>> {
                self.campaign(account, id).await?;
                let rows: Vec<(String, String, i64)> = sqlx::query_as(
                    "SELECT what, changed_by, changed_at FROM campaign_changes WHERE campaign_id = $1 \
                     ORDER BY id",
                )
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter()
                    .map(|(what, by, at)| {
                        Ok(CampaignChange {
                            what,
                            by,
                            at: decode::time(at)?,
                        })
                    })
                    .collect()
            }
        }

        /// Records one entry of a campaign's history (also the outbox's launches and stops).
        pub(crate) async fn record_change(
            tx: &mut sqlx::Transaction<'_, $db>,
            c: &CampaignRecord,
            change: &CampaignChange,
        ) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO campaign_changes (campaign_id, what, changed_by, changed_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(c.id.to_string())
            .bind(&change.what)
            .bind(&change.by)
            .bind(decode::millis(change.at))
            .execute(&mut **tx)
            .await
            .map_err(map_error)?;
            Ok(())
        }
    };
}

/// `impl Imports for $store`.
#[macro_export]
macro_rules! imports {
    ($store:ty) => {
        use async_trait::async_trait;
        use sqlx::FromRow;
        use tern_domain::ids::{AccountId, ImportId};
        use tern_store::{ImportRecord, Imports, StoreError, StoreResult, decode};

        use crate::map_error;

        #[derive(FromRow)]
        struct ImportRow {
            id: String,
            account_id: String,
            file_name: String,
            status: String,
            bytes_total: i64,
            bytes_done: i64,
            rows_done: i64,
            created: i64,
            updated: i64,
            unchanged: i64,
            rejected: i64,
            rejected_rows: String,
            error: Option<String>,
            created_at: i64,
            finished_at: Option<i64>,
        }

        impl ImportRow {
            fn into_record(self) -> StoreResult<ImportRecord> {
                decode::import(decode::ImportColumns {
                    id: self.id,
                    account_id: self.account_id,
                    file_name: self.file_name,
                    status: self.status,
                    bytes_total: self.bytes_total,
                    bytes_done: self.bytes_done,
                    rows_done: self.rows_done,
                    created: self.created,
                    updated: self.updated,
                    unchanged: self.unchanged,
                    rejected: self.rejected,
                    rejected_rows: self.rejected_rows,
                    error: self.error,
                    created_at: self.created_at,
                    finished_at: self.finished_at,
                })
            }
        }

        #[async_trait]
        impl Imports for $store {
            async fn create_import(&self, import: &ImportRecord) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO imports (id, account_id, file_name, status, bytes_total, bytes_done, \
                     rows_done, created, updated, unchanged, rejected, rejected_rows, error, created_at, \
                     finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(import.id.to_string())
                .bind(import.account_id.to_string())
                .bind(&import.file_name)
                .bind(decode::import_status(import.status))
                .bind(import.bytes_total as i64)
                .bind(import.bytes_done as i64)
                .bind(import.rows_done as i64)
                .bind(import.created as i64)
                .bind(import.updated as i64)
                .bind(import.unchanged as i64)
                .bind(import.rejected as i64)
                .bind(serde_json::to_string(&import.rejected_rows).unwrap_or_else(|_| "[]".into()))
                .bind(&import.error)
                .bind(decode::millis(import.created_at))
                .bind(import.finished_at.map(decode::millis))
                .execute(&self.pool)
                .await
                .map_err(map_error)?;
                Ok(())
            }

            async fn save_import(&self, import: &ImportRecord) -> StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE imports SET status = $1, bytes_total = $2, bytes_done = $3, rows_done = $4, \
                     created = $5, updated = $6, unchanged = $7, rejected = $8, rejected_rows = $9, \
                     error = $10, finished_at = $11 WHERE id = $12 AND account_id = $13",
                )
                .bind(decode::import_status(import.status))
                .bind(import.bytes_total as i64)
                .bind(import.bytes_done as i64)
                .bind(import.rows_done as i64)
                .bind(import.created as i64)
                .bind(import.updated as i64)
                .bind(import.unchanged as i64)
                .bind(import.rejected as i64)
                .bind(serde_json::to_string(&import.rejected_rows).unwrap_or_else(|_| "[]".into()))
                .bind(&import.error)
                .bind(import.finished_at.map(decode::millis))
                .bind(import.id.to_string())
                .bind(import.account_id.to_string())
                .execute(&self.pool)
                .await
                .map_err(map_error)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn import(&self, account: AccountId, id: ImportId) -> StoreResult<ImportRecord> {
                let row: ImportRow =
                    sqlx::query_as("SELECT * FROM imports WHERE id = $1 AND account_id = $2")
                        .bind(id.to_string())
                        .bind(account.to_string())
                        .fetch_one(&self.pool)
                        .await
                        .map_err(map_error)?;
                row.into_record()
            }

            async fn list_imports(&self, account: AccountId) -> StoreResult<Vec<ImportRecord>> {
                let rows: Vec<ImportRow> = sqlx::query_as(
                    "SELECT * FROM imports WHERE account_id = $1 ORDER BY created_at DESC LIMIT 100",
                )
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter().map(ImportRow::into_record).collect()
            }
        }
    };
}

/// `impl Segments for $store`; `$args` is the database's argument type and `$dialect` the
/// segment compiler's dialect.
#[macro_export]
macro_rules! segments {
    ($store:ty, $db:ty, $args:ty, $dialect:expr) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use sqlx::{AssertSqlSafe, query::QueryAs};
        use tern_domain::{
            audience::Condition,
            ids::{AccountId, ContactId, SegmentId},
        };
        use serde_json::{Map, Value};
        use tern_domain::campaign::estimate::AudienceGroup;
        use tern_store::{
            SegmentRecord, Segments, StoreError, StoreResult,
            audience_sql::{Arg, Dialect, compile, member_json, member_key},
            decode,
        };

        use crate::map_error;

        type Row = (String, String, String, String, i64, i64);

        fn record(row: Row) -> StoreResult<SegmentRecord> {
            let (id, account_id, name, definition, created_at, updated_at) = row;
            decode::segment(&id, &account_id, name, &definition, created_at, updated_at)
        }

        fn bind_args<'q, O>(
            mut query: QueryAs<'q, $db, O, $args>,
            args: Vec<Arg>,
        ) -> QueryAs<'q, $db, O, $args> {
            for arg in args {
                query = match arg {
                    Arg::Text(s) => query.bind(s),
                    Arg::Int(n) => query.bind(n),
                    Arg::Real(x) => query.bind(x),
                };
            }
            query
        }

        #[async_trait]
        impl Segments for $store {
            async fn create_segment(&self, segment: SegmentRecord) -> StoreResult<SegmentRecord> {
                sqlx::query(
                    "INSERT INTO segments (id, account_id, name, definition, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(segment.id.to_string())
                .bind(segment.account_id.to_string())
                .bind(&segment.name)
                .bind(segment.definition.to_string())
                .bind(decode::millis(segment.created_at))
                .bind(decode::millis(segment.updated_at))
                .execute(&self.pool)
                .await
                .map_err(map_error)?;
                Ok(segment)
            }

            async fn segment(&self, account: AccountId, id: SegmentId) -> StoreResult<SegmentRecord> {
                let row: Row = sqlx::query_as(
                    "SELECT id, account_id, name, definition, created_at, updated_at FROM segments \
                     WHERE id = $1 AND account_id = $2",
                )
                .bind(id.to_string())
                .bind(account.to_string())
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                record(row)
            }

            async fn list_segments(&self, account: AccountId) -> StoreResult<Vec<SegmentRecord>> {
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT id, account_id, name, definition, created_at, updated_at FROM segments \
                     WHERE account_id = $1 ORDER BY name",
                )
                .bind(account.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_error)?;
                rows.into_iter().map(record).collect()
            }

            async fn update_segment(&self, segment: SegmentRecord) -> StoreResult<SegmentRecord> {
                let row: Row = sqlx::query_as(
                    "UPDATE segments SET name = $1, definition = $2, updated_at = $3 \
                     WHERE id = $4 AND account_id = $5 \
                     RETURNING id, account_id, name, definition, created_at, updated_at",
                )
                .bind(&segment.name)
                .bind(segment.definition.to_string())
                .bind(decode::millis(segment.updated_at))
                .bind(segment.id.to_string())
                .bind(segment.account_id.to_string())
                .fetch_one(&self.pool)
                .await
                .map_err(map_error)?;
                record(row)
            }

            async fn delete_segment(&self, account: AccountId, id: SegmentId) -> StoreResult<()> {
                let done = sqlx::query("DELETE FROM segments WHERE id = $1 AND account_id = $2")
                    .bind(id.to_string())
                    .bind(account.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err(map_error)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn count_matching(
                &self,
                account: AccountId,
                condition: &Condition,
                now: DateTime<Utc>,
            ) -> StoreResult<u64> {
                let compiled = compile(condition, $dialect, now, 2);
                let sql = format!(
                    "SELECT COUNT(*) FROM contacts c WHERE c.account_id = $1 AND {}",
                    compiled.sql
                );
                let query = // Only placeholders and numbers of the compiler's own are spliced in.
                sqlx::query_as(AssertSqlSafe(sql)).bind(account.to_string());
                let (count,): (i64,) = bind_args(query, compiled.args)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_error)?;
                Ok(count as u64)
            }

            async fn audience_groups(
                &self,
                account: AccountId,
                condition: &Condition,
                now: DateTime<Utc>,
            ) -> StoreResult<Vec<AudienceGroup>> {
                let compiled = compile(condition, $dialect, now, 2);
                let sql = format!(
                    "SELECT c.country, CASE WHEN c.phone IS NULL THEN 0 ELSE 1 END, c.consent, \
                     COUNT(*) FROM contacts c WHERE c.account_id = $1 AND {} GROUP BY 1, 2, 3",
                    compiled.sql
                );
                let query = // Only placeholders and numbers of the compiler's own are spliced in.
                sqlx::query_as(AssertSqlSafe(sql)).bind(account.to_string());
                let rows: Vec<(Option<String>, i32, String, i64)> = bind_args(query, compiled.args)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_error)?;
                rows.into_iter()
                    .map(|(country, phone, consent, count)| {
                        Ok(AudienceGroup {
                            country,
                            has_phone: phone == 1,
                            consent: decode::unit_enum("consent", &consent)?,
                            count: count as u64,
                        })
                    })
                    .collect()
            }

            async fn longest_values(
                &self,
                account: AccountId,
                condition: &Condition,
                names: &[String],
                now: DateTime<Utc>,
            ) -> StoreResult<Map<String, Value>> {
                let compiled = compile(condition, $dialect, now, 3);
                let member = member_json($dialect, "$2");
                let sql = format!(
                    "SELECT {member} FROM contacts c WHERE c.account_id = $1 AND {member} IS NOT NULL \
                     AND {} ORDER BY length({member}) DESC LIMIT 1",
                    compiled.sql
                );
                let mut longest = Map::new();
                for name in names {
                    let query = // Only placeholders and numbers of the compiler's own are spliced in.
                    sqlx::query_as(AssertSqlSafe(sql.clone()))
                        .bind(account.to_string())
                        .bind(member_key($dialect, name));
                    let found: Option<(String,)> = bind_args(query, compiled.args.clone())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(map_error)?;
                    if let Some((json,)) = found {
                        longest.insert(name.clone(), decode::json("attribute", &json)?);
                    }
                }
                Ok(longest)
            }

            async fn matching_contacts(
                &self,
                account: AccountId,
                condition: &Condition,
                now: DateTime<Utc>,
                after: Option<ContactId>,
                limit: u32,
            ) -> StoreResult<Vec<ContactId>> {
                let compiled = compile(condition, $dialect, now, 4);
                let sql = format!(
                    "SELECT c.id FROM contacts c WHERE c.account_id = $1 AND c.id > $2 AND {} \
                     ORDER BY c.id LIMIT $3",
                    compiled.sql
                );
                let query = // Only placeholders and numbers of the compiler's own are spliced in.
                sqlx::query_as(AssertSqlSafe(sql))
                    .bind(account.to_string())
                    .bind(after.map_or(0, |id| id.0))
                    .bind(i64::from(limit));
                let ids: Vec<(i64,)> = bind_args(query, compiled.args)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_error)?;
                Ok(ids.into_iter().map(|(id,)| ContactId(id)).collect())
            }
        }
    };
}

mod outbox;
mod sessions;
