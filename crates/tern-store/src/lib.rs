//! Tern's storage: the traits the rest of the code depends on, the records they hold, and the
//! conformance stories that every backend must pass.

mod audience;
pub mod audience_sql;
mod campaigns;
pub mod conformance;
pub mod decode;
mod error;
mod model;
mod outbox;
pub mod outbox_sql;
mod reports;
mod traits;
mod triggers;

pub use audience::*;
pub use campaigns::*;
pub use error::StoreError;
pub use model::*;
pub use outbox::*;
pub use reports::*;
pub use traits::*;
pub use triggers::*;
