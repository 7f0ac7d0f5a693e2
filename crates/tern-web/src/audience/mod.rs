//! The audience's workflows, shared by the API and the CLI: upserting contacts, importing CSV
//! files, ingesting Segment calls.

pub mod import;
pub mod ingest;
mod upsert;

pub use upsert::{Outcome, Upserted, upsert_all, upsert_contacts};
