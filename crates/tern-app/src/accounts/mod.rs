//! Accounts and their API keys: what the operator and an account's own keys may do.

pub mod admin;
pub mod keys;
pub mod signin;
pub mod users;
pub mod views;

pub use views::{AccountView, KeyView};
