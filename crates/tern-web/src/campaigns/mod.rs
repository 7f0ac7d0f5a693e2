//! What the campaign API computes beyond storing drafts: each step checked with what it needs
//! from the store, the audience with its estimate and worst case, and previews.

pub mod audience;
pub mod checks;
pub mod figures;
pub mod preview;

pub use checks::{Checked, StepContext, check_steps};
