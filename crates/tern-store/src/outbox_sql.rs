//! SQL fragments the outbox needs in both dialects. A batch travels as bound rows of a `VALUES`
//! list named `u`, so that a batch is one statement (SQLite re-parses JSON per value read, which
//! made JSON arrays the bottleneck), in statements of a few hundred parameters.

use crate::audience_sql::Dialect;

/// `WITH u(columns) AS (VALUES ($first, …), …)` for `rows` rows: bind each row's values in
/// column order after the statement's first `first - 1` parameters.
pub fn values_cte(columns: &[(&str, &str)], rows: usize, first: usize) -> String {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let width = columns.len();
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            let params: Vec<String> = (0..width)
                .map(|c| format!("${}", first + r * width + c))
                .collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!(
        "WITH u({}) AS (VALUES {})",
        names.join(", "),
        tuples.join(", ")
    )
}

/// Rows of `columns` values per statement. SQLite (through sqlx) looks each named parameter up
/// in a list as long as the statement's parameters, so a statement's cost grows with their
/// square: a few hundred per statement is where it stays cheap. PostgreSQL takes thousands
/// (each statement is a round trip).
pub fn rows_per_statement(dialect: Dialect, columns: usize) -> usize {
    let parameters = match dialect {
        Dialect::Sqlite => 480,
        Dialect::Postgres => 12_000,
    };
    (parameters / columns.max(1)).max(1)
}

/// Locks the rows a claim reads, where the database has row locks; other claimers skip them.
pub fn skip_locked(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    }
}

/// Locks rows read for update (PostgreSQL); SQLite's write transaction already excludes others.
pub fn for_update(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => " FOR UPDATE",
        Dialect::Sqlite => "",
    }
}

/// Starts a transaction that will write: SQLite takes the write lock at once, so that a
/// transaction that read first cannot fail when it comes to write.
pub fn begin_write(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "BEGIN",
        Dialect::Sqlite => "BEGIN IMMEDIATE",
    }
}
