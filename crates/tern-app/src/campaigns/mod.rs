//! Campaigns: drafts and their steps, each step checked with what it needs from the store, the
//! audience with its estimate and worst case, previews, launch and the run's controls, progress,
//! and the message each recipient gets.

pub mod attribution;
pub mod audience;
pub mod checks;
pub mod drafts;
pub mod figures;
pub mod preview;
pub mod product_picture;
pub mod recipient;
pub mod recipients;
pub mod report;
pub mod review;
pub mod run;
pub mod shopper;
pub mod snapshot;
pub mod suggestions;
pub mod triggers;
pub mod views;

pub use checks::{Checked, StepContext, check_steps};
