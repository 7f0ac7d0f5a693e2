//! `tern media check`: whether files are JPEG, PNG or GIF images that MMS can carry.

use std::path::PathBuf;

use clap::Subcommand;
use tern_domain::media::{MediaLimits, MediaReport, Problem, check_media};

use super::{Verdict, print_json};

#[derive(Subcommand)]
pub enum MediaCommand {
    /// Check each file and print its verdict as JSON.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The most bytes a file may have once metadata is removed.
        #[arg(long, default_value_t = MediaLimits::default().max_bytes)]
        max_bytes: u64,
        /// Print JSON (the only format; accepted for scripts that ask for it).
        #[arg(long)]
        json: bool,
    },
}

impl MediaCommand {
    pub fn run(self) -> anyhow::Result<Verdict> {
        let Self::Check {
            files,
            max_bytes,
            json: _,
        } = self;
        let limits = MediaLimits {
            max_bytes,
            ..MediaLimits::default()
        };
        let reports: Vec<MediaReport> =
            files.iter().map(|path| check_file(path, &limits)).collect();
        print_json(&reports)?;
        Ok(Verdict::all(reports.iter().map(|r| r.ok)))
    }
}

fn check_file(path: &PathBuf, limits: &MediaLimits) -> MediaReport {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => check_media(&name, &bytes, limits),
        Err(error) => {
            let mut report = check_media(&name, &[], limits);
            report.errors = vec![Problem {
                code: "unreadable",
                message: format!("cannot read the file: {error}"),
            }];
            report
        }
    }
}
