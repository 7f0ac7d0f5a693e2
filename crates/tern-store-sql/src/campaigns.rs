/// `impl Campaigns for $store`.
#[macro_export]
macro_rules! campaigns {
    ($store:ty) => {
        use async_trait::async_trait;
        use sqlx::{FromRow, QueryBuilder};
        use tern_domain::ids::{AccountId, CampaignId, MediaId, SegmentId};
        use tern_store::{
            CampaignChange, CampaignQuery, CampaignRecord, Campaigns, StoreError, StoreResult, decode,
            name_pattern, order_by,
        };

        use crate::{dialect::Db, map_error};

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

        /// The account's campaigns that may still send (not completed, cancelled or archived)
        /// whose steps name `id` and that `uses` says really use it: the id's text in the
        /// steps' JSON narrows the search, the steps decide.
        async fn live_mentioning(
            store: &$store,
            account: AccountId,
            id: &str,
            uses: impl Fn(&CampaignRecord) -> bool,
        ) -> StoreResult<Vec<CampaignRecord>> {
            let rows: Vec<CampaignRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM campaigns WHERE account_id = $1 AND archived_at IS NULL \
                 AND status NOT IN ('completed', 'cancelled') AND steps LIKE $2 ORDER BY name"
            )))
            .bind(account.to_string())
            .bind(format!("%{id}%"))
            .fetch_all(&store.pool)
            .await
            .map_err(map_error)?;
            let mut using = Vec::new();
            for row in rows {
                let campaign = row.into_record()?;
                if uses(&campaign) {
                    using.push(campaign);
                }
            }
            Ok(using)
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
                live_mentioning(self, account, &media.to_string(), |campaign| {
                    tern_store::design_media(campaign).contains(&media)
                })
                .await
            }

            async fn campaigns_using_segment(
                &self,
                account: AccountId,
                segment: SegmentId,
            ) -> StoreResult<Vec<CampaignRecord>> {
                let id = segment.to_string();
                live_mentioning(self, account, &id, |campaign| {
                    tern_store::step_segments(campaign).contains(&id)
                })
                .await
            }

            async fn list_campaigns(
                &self,
                account: AccountId,
                query: &CampaignQuery,
            ) -> StoreResult<Vec<CampaignRecord>> {
                let mut sql = QueryBuilder::<Db>::new(format!(
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
            tx: &mut sqlx::Transaction<'_, Db>,
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
