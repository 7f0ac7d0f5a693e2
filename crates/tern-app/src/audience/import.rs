//! CSV imports: columns mapped to contact fields (the rest become attributes), rows parsed on a
//! blocking thread while the previous batch is written, bad rows reported by line and reason,
//! progress saved where every node (and the CLI's progress bar) can read it. Importing the same
//! file twice changes nothing: every row is an upsert whose values are already stored.

use std::{collections::HashMap, io::Read, sync::Arc, time::Instant};

use chrono::Utc;
use serde_json::{Map, Value};
use tern_domain::{
    contact::{ConsentSource, ContactDraft, ContactInput},
    phone::Region,
};
use tern_store::{ImportRecord, ImportStatus, MAX_REPORTED_ROWS, RejectedRow, Store};

use super::{Outcome, upsert_contacts};

/// Rows per write: large enough to amortise a transaction, small enough to report often.
const BATCH_ROWS: usize = 2000;

/// What a CSV column fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    ExternalId,
    Phone,
    Consent,
    Attribute(String),
    Ignore,
}

impl Field {
    /// Reads a mapping target: `phone`, `external_id`, `consent`, `ignore`, or an attribute name.
    pub fn parse(target: &str) -> Result<Self, String> {
        let name = normalise(target);
        Ok(match name.as_str() {
            "" => return Err("a column must map to a field name".to_owned()),
            "phone" => Self::Phone,
            "external_id" => Self::ExternalId,
            "consent" => Self::Consent,
            "ignore" => Self::Ignore,
            _ => Self::Attribute(name),
        })
    }

    /// The field a header names when no mapping is given.
    fn guess(header: &str) -> Self {
        match normalise(header).as_str() {
            "phone" | "phone_number" | "mobile" | "mobile_number" | "mobile_phone" | "cell"
            | "msisdn" | "sms" => Self::Phone,
            "external_id" | "id" | "user_id" | "userid" | "customer_id" | "contact_id" => {
                Self::ExternalId
            }
            "consent" | "sms_consent" | "subscribed" | "sms_subscribed" | "opt_in"
            | "sms_opt_in" => Self::Consent,
            "" => Self::Ignore,
            other => Self::Attribute(other.to_owned()),
        }
    }
}

fn normalise(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

/// How to read a file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Header → field, overriding the guesses.
    pub mapping: HashMap<String, Field>,
    /// For numbers written without `+` and a country code.
    pub default_region: Option<Region>,
}

/// A CSV cell as an attribute: whole and decimal numbers and true/false keep their type;
/// numbers with a leading zero (postcodes, ids) stay text.
fn cell_value(cell: &str) -> Value {
    let plain_number = |s: &str| {
        let digits = s.strip_prefix('-').unwrap_or(s);
        !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && digits.bytes().filter(|&b| b == b'.').count() <= 1
            && !digits.starts_with('.')
            && !digits.ends_with('.')
            && !(digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0."))
    };
    match cell {
        "true" | "TRUE" | "True" => Value::Bool(true),
        "false" | "FALSE" | "False" => Value::Bool(false),
        s if plain_number(s) => s
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| s.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| Value::from(s)),
        s => Value::from(s),
    }
}

/// A parsed row: its line, and its draft or why it was refused.
type Row = (u64, Result<ContactDraft, Vec<RejectedRow>>);

/// Parses rows on a blocking thread and hands them over in batches, with the bytes read so far.
fn parse_rows<R: Read + Send + 'static>(
    reader: R,
    options: ImportOptions,
) -> Result<tokio::sync::mpsc::Receiver<(Vec<Row>, u64)>, String> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| format!("the file's first line is not a CSV header: {e}"))?
        .clone();
    let fields: Vec<Field> = headers
        .iter()
        .map(|h| {
            options
                .mapping
                .get(h)
                .or_else(|| options.mapping.get(&normalise(h)))
                .cloned()
                .unwrap_or_else(|| Field::guess(h))
        })
        .collect();
    for unique in [Field::Phone, Field::ExternalId, Field::Consent] {
        let columns: Vec<&str> = headers
            .iter()
            .zip(&fields)
            .filter(|(_, f)| **f == unique)
            .map(|(h, _)| h)
            .collect();
        if columns.len() > 1 {
            return Err(format!(
                "columns {} all map to {unique:?}: map all but one elsewhere",
                columns.join(", ")
            ));
        }
    }
    if !fields
        .iter()
        .any(|f| matches!(f, Field::Phone | Field::ExternalId))
    {
        return Err(format!(
            "no column holds a phone number or an external id (columns: {}); name one \
             'phone' or 'external_id', or map it",
            headers.iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        let mut record = csv::StringRecord::new();
        loop {
            let line = csv.position().line();
            match csv.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => batch.push((line, draft_of(&record, &fields, &options))),
                Err(e) => batch.push((
                    line,
                    Err(vec![RejectedRow {
                        line,
                        field: String::new(),
                        message: format!("not readable as CSV: {e}"),
                    }]),
                )),
            }
            if batch.len() == BATCH_ROWS {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
                if sender.blocking_send((full, csv.position().byte())).is_err() {
                    return;
                }
            }
        }
        let _ = sender.blocking_send((batch, csv.position().byte()));
    });
    Ok(receiver)
}

fn draft_of(
    record: &csv::StringRecord,
    fields: &[Field],
    options: &ImportOptions,
) -> Result<ContactDraft, Vec<RejectedRow>> {
    let line = record.position().map_or(0, |p| p.line());
    let mut input = ContactInput::default();
    let mut attributes = Map::new();
    for (cell, field) in record.iter().zip(fields) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        match field {
            Field::ExternalId => input.external_id = Some(cell),
            Field::Phone => input.phone = Some(cell),
            Field::Consent => input.consent = Some(cell),
            Field::Attribute(name) => {
                attributes.insert(name.clone(), cell_value(cell));
            }
            Field::Ignore => {}
        }
    }
    input.attributes = Some(Value::Object(attributes));
    ContactDraft::parse(input, options.default_region).map_err(|problems| {
        problems
            .into_iter()
            .map(|p| RejectedRow {
                line,
                field: p.field,
                message: p.message,
            })
            .collect()
    })
}

fn reject(record: &mut ImportRecord, rows: impl IntoIterator<Item = RejectedRow>) {
    record.rejected += 1;
    for row in rows {
        if record.rejected_rows.len() < MAX_REPORTED_ROWS {
            record.rejected_rows.push(row);
        }
    }
}

/// Runs an import whose record the caller created; `record` holds the progress, saved to the
/// store at most twice a second and at the end. `on_progress` sees every batch (the CLI's bar).
pub async fn run_import<R: Read + Send + 'static>(
    store: Arc<dyn Store>,
    record: &mut ImportRecord,
    reader: R,
    options: ImportOptions,
    mut on_progress: impl FnMut(&ImportRecord),
) {
    let outcome = import_rows(&store, record, reader, options, &mut on_progress).await;
    record.finished_at = Some(Utc::now());
    match outcome {
        Ok(()) => {
            record.status = ImportStatus::Completed;
            record.bytes_done = record.bytes_done.max(record.bytes_total);
        }
        Err(message) => {
            record.status = ImportStatus::Failed;
            record.error = Some(message);
        }
    }
    if let Err(e) = store.save_import(record).await {
        tracing::error!(error = %e, import = %record.id, "the import's result could not be saved");
    }
    on_progress(record);
}

async fn import_rows<R: Read + Send + 'static>(
    store: &Arc<dyn Store>,
    record: &mut ImportRecord,
    reader: R,
    options: ImportOptions,
    on_progress: &mut impl FnMut(&ImportRecord),
) -> Result<(), String> {
    let mut batches = parse_rows(reader, options)?;
    let mut saved = Instant::now();
    while let Some((rows, bytes_done)) = batches.recv().await {
        let mut drafts = Vec::with_capacity(rows.len());
        let mut lines = Vec::with_capacity(rows.len());
        for (line, row) in rows {
            record.rows_done += 1;
            match row {
                Ok(draft) => {
                    drafts.push((draft, ConsentSource::Import));
                    lines.push(line);
                }
                Err(rejected) => reject(record, rejected),
            }
        }
        let results = upsert_contacts(store.as_ref(), record.account_id, &drafts, Utc::now())
            .await
            .map_err(|e| format!("the store failed: {e}"))?;
        for (line, result) in lines.into_iter().zip(results) {
            match result {
                Ok(done) => {
                    match done.outcome {
                        Outcome::Created => record.created += 1,
                        Outcome::Updated => record.updated += 1,
                        Outcome::Unchanged => record.unchanged += 1,
                    }
                    if done.consent_kept {
                        record.consent_kept += 1;
                        if record.consent_kept_lines.len() < MAX_REPORTED_ROWS {
                            record.consent_kept_lines.push(line);
                        }
                    }
                }
                Err(problem) => reject(
                    record,
                    [RejectedRow {
                        line,
                        field: problem.field,
                        message: problem.message,
                    }],
                ),
            }
        }
        record.bytes_done = bytes_done;
        on_progress(record);
        if saved.elapsed().as_millis() >= 500 {
            store
                .save_import(record)
                .await
                .map_err(|e| format!("the store failed: {e}"))?;
            saved = Instant::now();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_numbers_and_booleans_but_not_leading_zeros() {
        assert_eq!(cell_value("42"), Value::from(42));
        assert_eq!(cell_value("-3.5"), Value::from(-3.5));
        assert_eq!(cell_value("0.5"), Value::from(0.5));
        assert_eq!(cell_value("0"), Value::from(0));
        assert_eq!(cell_value("02134"), Value::from("02134"));
        assert_eq!(cell_value("true"), Value::Bool(true));
        assert_eq!(cell_value("1.2.3"), Value::from("1.2.3"));
        assert_eq!(cell_value("Ada"), Value::from("Ada"));
    }

    #[test]
    fn headers_are_guessed_and_mappings_read() {
        assert_eq!(Field::guess("Mobile Number"), Field::Phone);
        assert_eq!(Field::guess("\u{feff}Customer-ID"), Field::ExternalId);
        assert_eq!(Field::guess("SMS Opt-In"), Field::Consent);
        assert_eq!(
            Field::guess("First Name"),
            Field::Attribute("first_name".into())
        );
        assert_eq!(Field::parse("ignore"), Ok(Field::Ignore));
        assert!(Field::parse(" ").is_err());
    }
}
