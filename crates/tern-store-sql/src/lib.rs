//! Tern's storage, written once for SQLite and PostgreSQL. Each macro expands to a capability's
//! implementation in the backend crate that invokes it, given the store type; paths such as
//! `crate::map_error` and `crate::dialect::…` resolve in that crate.
//!
//! Where the two databases differ, the SQL here names the difference and the backend's `dialect`
//! module answers it, one item per difference:
//!
//! - `Db`, `Args`: sqlx's database and argument types;
//! - `DIALECT`: the dialect of the SQL that `tern-store` writes (segment conditions, the
//!   outbox's locking and batch sizes);
//! - `JSON_TYPE`: the type JSON columns hold, as written in `CAST(… AS JSON_TYPE)`;
//! - `BATCH_ROWS`, `push_rows`, `push_in_ids`, `push_in_keys`: how a batch travels (one
//!   parameter per value, or one array per column);
//! - `is_missing_table`: how the database says a table does not exist;
//! - `analyze_if_grown`: whether a write refreshes the planner's statistics.
//!
//! Reading JSON back is portable SQL (`CAST(… AS TEXT)`), as are bound values tested for NULL.

// `crate::` is meant: each expansion uses its own backend's items.
#![allow(clippy::crate_in_macro_def)]

mod accounts;
mod audit;
mod campaigns;
mod contacts;
mod events;
mod health;
mod imports;
mod keys;
mod media;
mod outbox;
mod reports;
mod segments;
mod sessions;
mod settings;
mod triggers;
mod users;

/// One column of a batch of rows, in row order. A backend's `push_rows` binds it as its dialect
/// binds batches.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// A `text` column.
    Text(Vec<Option<String>>),
    /// A `bigint` column.
    Int(Vec<Option<i64>>),
}

impl Column {
    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            Self::Text(values) => values.len(),
            Self::Int(values) => values.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A table whose planner statistics a backend may refresh as the store's writes grow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `contacts`.
    Contacts,
    /// `events`.
    Events,
}

impl Table {
    /// The table's name in SQL.
    pub fn name(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Events => "events",
        }
    }
}
