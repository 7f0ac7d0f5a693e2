//! What PostgreSQL does its own way, one item per difference from SQLite. The implementations
//! in `tern-store-sql` refer to these as `crate::dialect::…`.

use sqlx::{QueryBuilder, error::DatabaseError};
use tern_store::{StoreResult, audience_sql::Dialect};
use tern_store_sql::{Column, Table};

use crate::PostgresStore;

/// The database sqlx drives.
pub(crate) type Db = sqlx::Postgres;

/// Its bound arguments.
pub(crate) type Args = sqlx::postgres::PgArguments;

/// The dialect of the SQL that `tern-store` writes (segment conditions, the outbox's fragments).
pub(crate) const DIALECT: Dialect = Dialect::Postgres;

/// The type JSON columns hold.
pub(crate) const JSON_TYPE: &str = "JSONB";

/// Rows per batch statement of contacts (columns travel as arrays, so parameters do not bound
/// it).
pub(crate) const BATCH_ROWS: usize = 2000;

/// Whether `error` says that a table does not exist (`undefined_table`).
pub(crate) fn is_missing_table(error: &dyn DatabaseError) -> bool {
    error.code().as_deref() == Some("42P01")
}

/// Pushes `SELECT * FROM UNNEST($1::text[], …)`: a batch of rows with one array parameter per
/// column, whatever the number of rows.
pub(crate) fn push_rows(query: &mut QueryBuilder<Db>, columns: Vec<Column>) {
    query.push("SELECT * FROM UNNEST(");
    let mut list = query.separated(", ");
    for column in columns {
        match column {
            Column::Text(values) => list.push_bind(values).push_unseparated("::text[]"),
            Column::Int(values) => list.push_bind(values).push_unseparated("::bigint[]"),
        };
    }
    query.push(")");
}

/// Pushes ` = ANY($n)` with the ids as one array.
pub(crate) fn push_in_ids(query: &mut QueryBuilder<Db>, ids: &[i64]) {
    query.push(" = ANY(").push_bind(ids.to_vec()).push(")");
}

/// Pushes ` = ANY($n)` with the keys as one array.
pub(crate) fn push_in_keys(query: &mut QueryBuilder<Db>, keys: &[String]) {
    query.push(" = ANY(").push_bind(keys.to_vec()).push(")");
}

/// Refreshes `table`'s planner statistics if this node's writes doubled it since the last time
/// (see `Growth`).
pub(crate) async fn analyze_if_grown(
    store: &PostgresStore,
    table: Table,
    rows: u64,
) -> StoreResult<()> {
    let growth = match table {
        Table::Contacts => &store.contacts_growth,
        Table::Events => &store.events_growth,
    };
    if growth.grew(rows) {
        sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {}", table.name())))
            .execute(&store.pool)
            .await
            .map_err(crate::map_error)?;
    }
    Ok(())
}

/// Serialises claims across nodes for the rest of the transaction: a transaction-scoped
/// advisory lock (the key is arbitrary, the same on every node).
pub(crate) async fn serialise_claims(tx: &mut sqlx::Transaction<'static, Db>) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(7336182001)")
        .execute(&mut **tx)
        .await
        .map_err(crate::map_error)?;
    Ok(())
}

/// The database server's clock: every node judges leases and rate limits by it.
pub(crate) async fn database_time(
    pool: &sqlx::Pool<Db>,
) -> StoreResult<chrono::DateTime<chrono::Utc>> {
    let (micros,): (i64,) =
        sqlx::query_as("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)")
            .fetch_one(pool)
            .await
            .map_err(crate::map_error)?;
    chrono::DateTime::from_timestamp_micros(micros).ok_or_else(|| {
        tern_store::StoreError::Other(format!("the database's clock says {micros}").into())
    })
}
