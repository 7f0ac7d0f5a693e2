//! What SQLite does its own way, one item per difference from PostgreSQL. The implementations in
//! `tern-store-sql` refer to these as `crate::dialect::…`.

use sqlx::{QueryBuilder, error::DatabaseError};
use tern_store::{StoreResult, audience_sql::Dialect};
use tern_store_sql::{Column, Table};

use crate::SqliteStore;

/// The database sqlx drives.
pub(crate) type Db = sqlx::Sqlite;

/// Its bound arguments.
pub(crate) type Args = sqlx::sqlite::SqliteArguments;

/// The dialect of the SQL that `tern-store` writes (segment conditions, the outbox's fragments).
pub(crate) const DIALECT: Dialect = Dialect::Sqlite;

/// The type JSON columns hold: SQLite keeps JSON as text.
pub(crate) const JSON_TYPE: &str = "TEXT";

/// Rows per batch statement of contacts: a parameter per value, well under SQLite's 32,766.
pub(crate) const BATCH_ROWS: usize = 1000;

/// Whether `error` says that a table does not exist.
pub(crate) fn is_missing_table(error: &dyn DatabaseError) -> bool {
    error.message().contains("no such table")
}

/// Pushes `VALUES (?, …), …`: a batch of rows with a parameter per value, each positional (a
/// statement with thousands of numbered parameters takes SQLite long to prepare).
pub(crate) fn push_rows(query: &mut QueryBuilder<Db>, mut columns: Vec<Column>) {
    let rows = columns.first().map_or(0, Column::len);
    query.push_values(0..rows, |mut row, r| {
        for column in &mut columns {
            match column {
                Column::Text(values) => row.push_bind(values[r].take()),
                Column::Int(values) => row.push_bind(values[r]),
            };
        }
    });
}

/// Pushes ` IN (…)` with the ids as one JSON array.
pub(crate) fn push_in_ids(query: &mut QueryBuilder<Db>, ids: &[i64]) {
    query
        .push(" IN (SELECT value FROM json_each(")
        .push_bind(serde_json::to_string(ids).expect("numbers serialise"))
        .push("))");
}

/// Pushes ` IN (?, …)` with a parameter per key (at most `BATCH_ROWS` of them).
pub(crate) fn push_in_keys(query: &mut QueryBuilder<Db>, keys: &[String]) {
    query.push(" IN (");
    let mut list = query.separated(", ");
    for key in keys {
        list.push_bind(key);
    }
    query.push(")");
}

/// Planner statistics are refreshed on PostgreSQL only (whose batch lookups go wrong without
/// them): nothing to do here.
pub(crate) async fn analyze_if_grown(_: &SqliteStore, _: Table, _: u64) -> StoreResult<()> {
    Ok(())
}

/// Claims are already serialised: a SQLite write transaction excludes every other.
pub(crate) async fn serialise_claims(_: &mut sqlx::Transaction<'static, Db>) -> StoreResult<()> {
    Ok(())
}

/// SQLite runs inside this process: its clock is this machine's.
pub(crate) async fn database_time(
    _: &sqlx::Pool<Db>,
) -> StoreResult<chrono::DateTime<chrono::Utc>> {
    Ok(chrono::Utc::now())
}
