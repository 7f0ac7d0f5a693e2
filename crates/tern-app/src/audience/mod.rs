//! The audience: contacts (upsert, list, profile), segments, CSV imports and Segment calls.

pub mod contacts;
pub mod import;
pub mod imports;
pub mod ingest;
pub mod profile;
pub mod segments;
mod signals;
mod upsert;

pub use profile::{ContactMessageView, ContactProfile, TimelineEntry, contact_profile};
pub use signals::store_signal;
pub use upsert::{Outcome, Upserted, upsert_all, upsert_contacts};
