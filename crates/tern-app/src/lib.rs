//! Tern's use cases: what the JSON API, the panel, the CLI and the workers do to an account's
//! records, written once over the store and the rules core. Nothing here knows HTTP: callers
//! pass typed input and map [`AppError`] to their own answers.

pub mod accounts;
mod actor;
pub mod audience;
pub mod audit;
pub mod blobs;
pub mod campaigns;
mod clock;
mod error;
pub mod hits;
pub mod media;
pub mod operator;
pub mod settings;
mod state;
pub mod writer;

pub use actor::Actor;
pub use clock::Clock;
pub use error::{AiFailure, AppError, AppResult, InternalCause};
pub use state::AppState;

/// `N` random bytes from the operating system.
pub fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes
}

/// Installs rustls' ring provider for outgoing HTTPS (S3 and Twilio). reqwest is built without
/// one so that no C-heavy default is compiled; calling this again is harmless.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Whether two secrets are equal, in a time that depends only on their length.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}
