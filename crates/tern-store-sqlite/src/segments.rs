use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Sqlite, query::QueryScalar, sqlite::SqliteArguments};
use tern_domain::{
    audience::Condition,
    ids::{AccountId, ContactId, SegmentId},
};
use tern_store::{
    SegmentRecord, Segments, StoreError, StoreResult,
    audience_sql::{Arg, Dialect, compile},
    decode,
};

use crate::{SqliteStore, map_error};

type Row = (String, String, String, String, i64, i64);

fn record(row: Row) -> StoreResult<SegmentRecord> {
    let (id, account_id, name, definition, created_at, updated_at) = row;
    decode::segment(&id, &account_id, name, &definition, created_at, updated_at)
}

fn bind_args<'q, O>(
    mut query: QueryScalar<'q, Sqlite, O, SqliteArguments>,
    args: Vec<Arg>,
) -> QueryScalar<'q, Sqlite, O, SqliteArguments> {
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
impl Segments for SqliteStore {
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
        let compiled = compile(condition, Dialect::Sqlite, now, 2);
        let sql = format!(
            "SELECT COUNT(*) FROM contacts c WHERE c.account_id = $1 AND {}",
            compiled.sql
        );
        let query = // Only placeholders and numbers of the compiler's own are spliced in.
        sqlx::query_scalar(AssertSqlSafe(sql)).bind(account.to_string());
        let count: i64 = bind_args(query, compiled.args)
            .fetch_one(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(count as u64)
    }

    async fn matching_contacts(
        &self,
        account: AccountId,
        condition: &Condition,
        now: DateTime<Utc>,
        after: Option<ContactId>,
        limit: u32,
    ) -> StoreResult<Vec<ContactId>> {
        let compiled = compile(condition, Dialect::Sqlite, now, 4);
        let sql = format!(
            "SELECT c.id FROM contacts c WHERE c.account_id = $1 AND c.id > $2 AND {} \
             ORDER BY c.id LIMIT $3",
            compiled.sql
        );
        let query = // Only placeholders and numbers of the compiler's own are spliced in.
        sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(account.to_string())
            .bind(after.map_or(0, |id| id.0))
            .bind(i64::from(limit));
        let ids: Vec<i64> = bind_args(query, compiled.args)
            .fetch_all(&self.pool)
            .await
            .map_err(map_error)?;
        Ok(ids.into_iter().map(ContactId).collect())
    }
}
