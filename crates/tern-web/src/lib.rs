//! Tern's HTTP surface: the JSON API under `/api/v1`, the operations endpoints, and (later) the
//! panel, sharing one [`AppState`].

mod api;
mod app;
mod error;
mod extract;
mod ops;
pub mod operator;
mod state;

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
