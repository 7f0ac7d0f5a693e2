//! Tern's HTTP surface: the JSON API under `/api/v1` with its OpenAPI description, Twilio's
//! webhooks, public media and links, the operations endpoints, and the panel's routes, sharing
//! one [`AppState`]. Handlers read the request, call a use case of `tern-app` and answer;
//! [`ApiError`] maps the use cases' errors to statuses once.

pub(crate) mod api;
pub mod demo;
mod error;
mod extract;
mod nul;
mod ops;
mod public;
mod router;
mod webhooks;

pub use api::openapi;
pub use error::ApiError;
pub use router::router;
pub use tern_app::AppState;
