//! Tern's HTTP surface: the JSON API under `/api/v1`, the operations endpoints, and (later) the
//! panel, sharing one [`AppState`].

pub(crate) mod api;
mod app;
pub mod audience;
pub mod blobs;
pub mod campaigns;
pub mod demo;
mod error;
mod extract;
pub mod operator;
mod ops;
mod panel;
mod public;
pub mod sending;
mod session;
mod state;
pub mod webhooks;

pub use api::openapi;
pub use app::router;
pub use error::ApiError;
pub use state::AppState;

/// `N` random bytes from the operating system.
pub fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes
}

/// Installs rustls' ring provider for outgoing HTTPS (S3, and later Twilio). reqwest is built
/// without one so that no C-heavy default is compiled; calling this again is harmless.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
