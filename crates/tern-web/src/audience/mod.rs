//! The audience's workflows, shared by the API and the CLI: upserting contacts, importing CSV
//! files, ingesting Segment calls; and a contact's profile, read by the API and the panel.

pub mod import;
pub mod ingest;
mod profile;
mod upsert;

pub use profile::{ContactMessageView, ContactProfile, TimelineEntry, contact_profile};
pub use upsert::{Outcome, Upserted, upsert_all, upsert_contacts};
