/// `impl Segments for $store`: conditions compiled in the backend's dialect and evaluated in
/// the database.
#[macro_export]
macro_rules! segments {
    ($store:ty) => {
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
            audience_sql::{Arg, compile, member_json, member_key},
            decode,
        };

        use crate::{
            dialect::{Args, DIALECT, Db},
            map_error,
        };

        type Row = (String, String, String, String, i64, i64);

        fn record(row: Row) -> StoreResult<SegmentRecord> {
            let (id, account_id, name, definition, created_at, updated_at) = row;
            decode::segment(&id, &account_id, name, &definition, created_at, updated_at)
        }

        fn bind_args<'q, O>(
            mut query: QueryAs<'q, Db, O, Args>,
            args: Vec<Arg>,
        ) -> QueryAs<'q, Db, O, Args> {
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
                let compiled = compile(condition, DIALECT, now, 2);
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
                let compiled = compile(condition, DIALECT, now, 2);
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
                let compiled = compile(condition, DIALECT, now, 3);
                let member = member_json(DIALECT, "$2");
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
                        .bind(member_key(DIALECT, name));
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
                let compiled = compile(condition, DIALECT, now, 4);
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
