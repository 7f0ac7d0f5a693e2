//! SQL fragments the outbox needs in both dialects. Batches travel as one JSON array bound to
//! one placeholder and are read back as rows, so that a batch of any size is one statement.

use crate::audience_sql::Dialect;

/// A row source named `u` reading `placeholder` (a JSON array of objects) as the typed
/// `columns` (`bigint` or `text`).
pub fn json_rows(dialect: Dialect, placeholder: &str, columns: &[(&str, &str)]) -> String {
    match dialect {
        Dialect::Postgres => {
            let typed: Vec<String> = columns.iter().map(|(n, t)| format!("{n} {t}")).collect();
            format!(
                "jsonb_to_recordset({placeholder}::jsonb) AS u({})",
                typed.join(", ")
            )
        }
        Dialect::Sqlite => {
            let fields: Vec<String> = columns
                .iter()
                .map(|(n, _)| format!("json_extract(value, '$.{n}') AS {n}"))
                .collect();
            format!(
                "(SELECT {} FROM json_each({placeholder})) AS u",
                fields.join(", ")
            )
        }
    }
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
