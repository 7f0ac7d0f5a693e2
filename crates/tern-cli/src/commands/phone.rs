//! `tern phone parse`: E.164 form, country and MMS eligibility of phone numbers.

use clap::Subcommand;
use tern_domain::phone::{PhoneReport, Region};

use super::{Verdict, print_json};

#[derive(Subcommand)]
pub enum PhoneCommand {
    /// Parse each number and print its verdict as JSON.
    Parse {
        #[arg(required = true)]
        numbers: Vec<String>,
        /// The region (ISO 3166 code) of numbers written without + and a country code.
        #[arg(long)]
        region: Option<Region>,
        /// Print JSON (the only format; accepted for scripts that ask for it).
        #[arg(long)]
        json: bool,
    },
}

impl PhoneCommand {
    pub fn run(self) -> anyhow::Result<Verdict> {
        let Self::Parse {
            numbers,
            region,
            json: _,
        } = self;
        let reports: Vec<PhoneReport> = numbers
            .iter()
            .map(|n| PhoneReport::new(n, region))
            .collect();
        print_json(&reports)?;
        Ok(Verdict::all(reports.iter().map(|r| r.ok)))
    }
}
