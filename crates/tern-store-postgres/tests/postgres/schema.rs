//! Both backends' migrations make the same schema. Each set is applied to a fresh database of
//! its own (a SQLite file; a scratch PostgreSQL database when `TERN_TEST_POSTGRES_URL` names a
//! server), each catalogue is read back in one vocabulary, and the two must be equal: tables,
//! columns (type, nullability, generated keys), primary keys, unique constraints, indexes (with
//! their predicates) and foreign keys.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{Connection, PgConnection, SqliteConnection};
use tern_store::Health;
use tern_store_postgres::{PostgresStore, create_scratch_database};
use tern_store_sqlite::SqliteStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Column types in one vocabulary: SQLite's storage classes, which is as finely as SQLite tells
/// types apart. PostgreSQL's booleans are 0/1 integers on SQLite, and its `jsonb` is JSON text.
const TYPES: &[(Backend, &str, &str)] = &[
    (Backend::Sqlite, "INTEGER", "integer"),
    (Backend::Sqlite, "TEXT", "text"),
    (Backend::Sqlite, "REAL", "real"),
    (Backend::Postgres, "bigint", "integer"),
    (Backend::Postgres, "boolean", "integer"),
    (Backend::Postgres, "text", "text"),
    (Backend::Postgres, "jsonb", "text"),
    (Backend::Postgres, "double precision", "real"),
];

/// Tables of sqlx's own bookkeeping, not of the migrations.
const NOT_COMPARED: &[&str] = &["_sqlx_migrations"];

#[tokio::test]
async fn schema_of_both_backends_is_the_same() {
    let Ok(admin_url) = std::env::var("TERN_TEST_POSTGRES_URL") else {
        eprintln!("backend not configured: schema_of_both_backends_is_the_same skipped");
        return;
    };

    let sqlite = describe(&sqlite_tables().await);
    let postgres = describe(&postgres_tables(&admin_url).await);

    assert!(
        sqlite.contains("table contacts") && postgres.contains("table contacts"),
        "both catalogues were read"
    );
    let only_sqlite: Vec<&String> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<&String> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "the migration sets disagree\n\nonly on SQLite:\n  {}\n\nonly on PostgreSQL:\n  {}\n",
        lines(&only_sqlite),
        lines(&only_postgres),
    );
}

/// One table as both catalogues can tell it.
#[derive(Debug, Default)]
struct Table {
    /// Name, type in [`TYPES`]' vocabulary, NOT NULL, generated (an auto-assigned key).
    columns: Vec<(String, String, bool, bool)>,
    primary_key: Vec<String>,
    /// Unique constraints by their columns: SQLite does not keep a table constraint's name.
    unique: Vec<Vec<String>>,
    /// `CREATE [UNIQUE] INDEX`es.
    indexes: Vec<Index>,
    foreign_keys: Vec<ForeignKey>,
}

#[derive(Debug)]
struct Index {
    name: String,
    unique: bool,
    columns: Vec<String>,
    /// A partial index's condition, normalised (see [`predicate`]).
    predicate: Option<String>,
}

#[derive(Debug)]
struct ForeignKey {
    columns: Vec<String>,
    table: String,
    to: Vec<String>,
    on_delete: String,
}

/// The tables as facts, one line each, so that two schemas compare as sets and a difference
/// reads as the lines one side lacks.
fn describe(tables: &BTreeMap<String, Table>) -> BTreeSet<String> {
    let mut facts = BTreeSet::new();
    for (name, table) in tables {
        facts.insert(format!("table {name}"));
        for (column, ty, not_null, generated) in &table.columns {
            let null = if *not_null { "not null" } else { "null" };
            let generated = if *generated { " generated" } else { "" };
            facts.insert(format!("{name}.{column} {ty} {null}{generated}"));
        }
        facts.insert(format!(
            "{name} primary key ({})",
            table.primary_key.join(", ")
        ));
        for columns in &table.unique {
            facts.insert(format!("{name} unique ({})", columns.join(", ")));
        }
        let integer_key = match &table.primary_key[..] {
            [key] => table
                .columns
                .iter()
                .any(|(c, ty, ..)| c == key && ty == "integer")
                .then_some(key),
            _ => None,
        };
        for index in &table.indexes {
            let mut columns = index.columns.clone();
            // SQLite ends every index with the rowid (an integer primary key is that rowid), so
            // there `(a)` and `(a, id)` are one index: PostgreSQL spells it `(a, id)`.
            if !index.unique && columns.len() > 1 && columns.last() == integer_key {
                columns.pop();
            }
            let unique = if index.unique {
                "unique index"
            } else {
                "index"
            };
            let predicate = index
                .predicate
                .as_ref()
                .map_or(String::new(), |p| format!(" where {p}"));
            facts.insert(format!(
                "{name} {unique} {} ({}){predicate}",
                index.name,
                columns.join(", ")
            ));
        }
        for key in &table.foreign_keys {
            facts.insert(format!(
                "{name} foreign key ({}) references {} ({}) on delete {}",
                key.columns.join(", "),
                key.table,
                key.to.join(", "),
                key.on_delete
            ));
        }
    }
    facts
}

fn common_type(backend: Backend, native: &str) -> String {
    TYPES
        .iter()
        .find(|(b, t, _)| *b == backend && t.eq_ignore_ascii_case(native))
        .map_or_else(
            || format!("{native} (not in TYPES for {backend:?})"),
            |(_, _, common)| (*common).to_owned(),
        )
}

/// A partial index's condition without case, parentheses, casts of literals or runs of spaces:
/// PostgreSQL prints `(contact_id IS NULL)` for SQLite's `contact_id IS NULL`, and
/// `'queued'::text` for `'queued'`.
fn predicate(condition: &str) -> String {
    condition
        .to_lowercase()
        .replace("'::text", "'")
        .replace(['(', ')', ';'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn lines(facts: &[&String]) -> String {
    if facts.is_empty() {
        return "(nothing)".into();
    }
    facts
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// SQLite's migrations applied to a fresh file, read back from its catalogue.
async fn sqlite_tables() -> BTreeMap<String, Table> {
    let path = std::env::temp_dir().join(format!("tern-schema-{}.db", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}", path.display());
    SqliteStore::connect(&url)
        .await
        .expect("open SQLite")
        .migrate()
        .await
        .expect("migrate SQLite");
    let mut db = SqliteConnection::connect(&url)
        .await
        .expect("open SQLite again");
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&mut db)
    .await
    .expect("read SQLite's tables");
    let mut tables = BTreeMap::new();
    for name in names
        .into_iter()
        .filter(|n| !NOT_COMPARED.contains(&n.as_str()))
    {
        let table = sqlite_table(&mut db, &name).await;
        tables.insert(name, table);
    }
    tables
}

async fn sqlite_table(db: &mut SqliteConnection, name: &str) -> Table {
    let columns: Vec<(String, String, bool, i64)> = sqlx::query_as(
        "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
    )
    .bind(name)
    .fetch_all(&mut *db)
    .await
    .expect("read SQLite's columns");
    let mut key: Vec<(i64, String)> = columns
        .iter()
        .filter(|(.., pk)| *pk > 0)
        .map(|(column, .., pk)| (*pk, column.clone()))
        .collect();
    key.sort();
    let rowid = match &key[..] {
        [(_, only)] => columns
            .iter()
            .any(|(c, ty, ..)| c == only && ty.eq_ignore_ascii_case("INTEGER")),
        _ => false,
    };
    let mut table = Table {
        // A primary key is NOT NULL on PostgreSQL. SQLite lets one that is not its rowid hold
        // NULL (kept for old files); the store never writes one.
        columns: columns
            .iter()
            .map(|(column, ty, not_null, pk)| {
                let generated = rowid && *pk > 0;
                (
                    column.clone(),
                    common_type(Backend::Sqlite, ty),
                    *not_null || *pk > 0,
                    generated,
                )
            })
            .collect(),
        primary_key: key.into_iter().map(|(_, c)| c).collect(),
        ..Table::default()
    };
    let indexes: Vec<(String, bool, String)> =
        sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1)")
            .bind(name)
            .fetch_all(&mut *db)
            .await
            .expect("read SQLite's indexes");
    for (index, unique, origin) in indexes {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&index)
                .fetch_all(&mut *db)
                .await
                .expect("read an index's columns");
        match origin.as_str() {
            "pk" => {}
            "u" => table.unique.push(columns),
            _ => {
                let sql: String =
                    sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = $1")
                        .bind(&index)
                        .fetch_one(&mut *db)
                        .await
                        .expect("read an index's statement");
                let lower = sql.to_lowercase();
                table.indexes.push(Index {
                    name: index,
                    unique,
                    columns,
                    predicate: lower.find(" where ").map(|at| predicate(&lower[at + 7..])),
                });
            }
        }
    }
    let keys: Vec<(i64, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list($1) \
         ORDER BY id, seq",
    )
    .bind(name)
    .fetch_all(&mut *db)
    .await
    .expect("read SQLite's foreign keys");
    let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
    for (id, other, from, to, on_delete) in keys {
        let key = by_id.entry(id).or_insert_with(|| ForeignKey {
            columns: Vec::new(),
            table: other,
            to: Vec::new(),
            on_delete: on_delete.to_lowercase(),
        });
        key.columns.push(from);
        key.to
            .push(to.expect("foreign keys name the columns they reference"));
    }
    table.foreign_keys = by_id.into_values().collect();
    // A rowid key that references another row (`carts.contact_id`) would be numbered by SQLite
    // if written NULL, but it is always written: PostgreSQL rightly does not generate it.
    for (column, _, _, generated) in &mut table.columns {
        if table
            .foreign_keys
            .iter()
            .any(|k| k.columns == [column.as_str()])
        {
            *generated = false;
        }
    }
    table
}

/// PostgreSQL's migrations applied to a scratch database, read back from its catalogue.
async fn postgres_tables(admin_url: &str) -> BTreeMap<String, Table> {
    let url = create_scratch_database(admin_url)
        .await
        .expect("create a scratch database");
    PostgresStore::connect(&url)
        .await
        .expect("connect to PostgreSQL")
        .migrate()
        .await
        .expect("migrate PostgreSQL");
    let mut db = PgConnection::connect(&url)
        .await
        .expect("connect to PostgreSQL again");
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();

    let columns: Vec<(String, String, String, bool, bool)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, \
         c.is_nullable = 'NO', c.is_identity = 'YES' \
         FROM information_schema.columns c JOIN information_schema.tables t \
         ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&mut db)
    .await
    .expect("read PostgreSQL's columns");
    for (table, column, ty, not_null, generated) in columns {
        let ty = common_type(Backend::Postgres, &ty);
        tables
            .entry(table)
            .or_default()
            .columns
            .push((column, ty, not_null, generated));
    }

    let indexes: Vec<PgIndex> = sqlx::query_as(
        "SELECT t.relname::text AS table_name, i.relname::text AS name, \
         x.indisunique AS is_unique, x.indisprimary AS is_primary, \
         EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid \
                 AND k.contype = 'u') AS is_constraint, \
         pg_get_expr(x.indpred, x.indrelid) AS condition, \
         ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY \
               AS k(attnum, n) JOIN pg_attribute a \
               ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.n) AS columns \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace s ON s.oid = t.relnamespace \
         WHERE s.nspname = current_schema()",
    )
    .fetch_all(&mut db)
    .await
    .expect("read PostgreSQL's indexes");
    for index in indexes {
        let Some(table) = tables.get_mut(&index.table_name) else {
            continue;
        };
        if index.is_primary {
            table.primary_key = index.columns;
        } else if index.is_constraint {
            table.unique.push(index.columns);
        } else {
            table.indexes.push(Index {
                name: index.name,
                unique: index.is_unique,
                columns: index.columns,
                predicate: index.condition.as_deref().map(predicate),
            });
        }
    }

    let keys: Vec<PgForeignKey> = sqlx::query_as(
        "SELECT t.relname::text AS table_name, f.relname::text AS other, \
         ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS c(attnum, n) \
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = c.attnum \
               ORDER BY c.n) AS columns, \
         ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS c(attnum, n) \
               JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = c.attnum \
               ORDER BY c.n) AS referenced, \
         CASE k.confdeltype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' \
              WHEN 'd' THEN 'set default' WHEN 'r' THEN 'restrict' ELSE 'no action' END AS on_delete \
         FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid \
         JOIN pg_class f ON f.oid = k.confrelid JOIN pg_namespace s ON s.oid = t.relnamespace \
         WHERE k.contype = 'f' AND s.nspname = current_schema()",
    )
    .fetch_all(&mut db)
    .await
    .expect("read PostgreSQL's foreign keys");
    for key in keys {
        if let Some(table) = tables.get_mut(&key.table_name) {
            table.foreign_keys.push(ForeignKey {
                columns: key.columns,
                table: key.other,
                to: key.referenced,
                on_delete: key.on_delete,
            });
        }
    }
    for name in NOT_COMPARED {
        tables.remove(*name);
    }
    tables
}

#[derive(sqlx::FromRow)]
struct PgIndex {
    table_name: String,
    name: String,
    is_unique: bool,
    is_primary: bool,
    /// Whether the index is a unique constraint's.
    is_constraint: bool,
    condition: Option<String>,
    columns: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct PgForeignKey {
    table_name: String,
    other: String,
    columns: Vec<String>,
    referenced: Vec<String>,
    on_delete: String,
}
