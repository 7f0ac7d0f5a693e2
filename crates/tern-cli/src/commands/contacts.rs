//! `tern contacts import`: the same import the API runs, with a progress bar.

use std::{collections::HashMap, path::PathBuf};

use anyhow::Context;
use chrono::Utc;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use tern_app::{
    audience::import::{Field, ImportOptions, run_import},
    operator,
};
use tern_domain::ids::ImportId;
use tern_store::{ImportRecord, ImportStatus};

use super::Verdict;
use crate::{config::Config, store};

#[derive(Subcommand)]
pub enum ContactsCommand {
    /// Import contacts from a CSV file whose first line names the columns. Columns named like
    /// phone, external_id or consent fill those fields; the others become attributes.
    Import {
        file: PathBuf,
        /// The account (id or name).
        #[arg(long)]
        account: String,
        /// Map a column to a field: `--map "Mobile=phone"`; fields are phone, external_id,
        /// consent, ignore, or an attribute name. Repeatable.
        #[arg(long = "map", value_name = "COLUMN=FIELD")]
        mappings: Vec<String>,
        /// Country (ISO 3166) of numbers written without their country code.
        #[arg(long)]
        region: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

impl ContactsCommand {
    pub async fn run(self, config: &Config) -> anyhow::Result<Verdict> {
        let Self::Import {
            file,
            account,
            mappings,
            region,
            json,
        } = self;
        let mut options = ImportOptions {
            default_region: region.map(|r| r.parse()).transpose().context("--region")?,
            mapping: HashMap::new(),
        };
        for mapping in &mappings {
            let (column, field) = mapping
                .split_once('=')
                .with_context(|| format!("--map {mapping:?}: write COLUMN=FIELD"))?;
            let field = Field::parse(field)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("--map {mapping:?}"))?;
            options.mapping.insert(column.to_owned(), field);
        }
        let reader =
            std::fs::File::open(&file).with_context(|| format!("open {}", file.display()))?;
        let bytes_total = reader.metadata().map(|m| m.len()).unwrap_or(0);
        let store = store::open_migrated(config).await?;
        let account = operator::find_account(store.as_ref(), &account).await?;
        let file_name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let id = ImportId::from_random(tern_app::random());
        let mut record = ImportRecord::started(id, account.id, file_name, bytes_total, Utc::now());
        store.create_import(&record).await?;
        let bar = ProgressBar::new(bytes_total).with_style(
            ProgressStyle::with_template(
                "{bar:40} {percent:>3}% {binary_bytes}/{binary_total_bytes} · {msg} · {eta} left",
            )
            .expect("a valid template"),
        );
        run_import(store, &mut record, reader, options, |progress| {
            bar.set_position(progress.bytes_done);
            bar.set_message(format!(
                "{} rows, {} rejected",
                progress.rows_done, progress.rejected
            ));
        })
        .await;
        bar.finish_and_clear();
        if json {
            println!("{}", serde_json::to_string_pretty(&record)?);
        } else {
            print_summary(&record);
        }
        match record.status {
            ImportStatus::Failed => anyhow::bail!(
                "import failed: {}",
                record.error.as_deref().unwrap_or("unknown reason")
            ),
            _ => Ok(Verdict::all([record.rejected == 0])),
        }
    }
}

fn print_summary(record: &ImportRecord) {
    println!(
        "{}: {} rows; {} created, {} updated, {} unchanged, {} rejected",
        record.file_name,
        record.rows_done,
        record.created,
        record.updated,
        record.unchanged,
        record.rejected
    );
    for row in &record.rejected_rows {
        println!("  line {}: {}: {}", row.line, row.field, row.message);
    }
    if record.rejected as usize > record.rejected_rows.len() {
        println!(
            "  … and {} more",
            record.rejected as usize - record.rejected_rows.len()
        );
    }
    if record.consent_kept > 0 {
        println!(
            "  {} rows asked to subscribe contacts who opted out; their consent stayed \
             (only their own START, or an API call with a proof of consent, ends an opt-out): \
             lines {:?}",
            record.consent_kept, record.consent_kept_lines
        );
    }
}
