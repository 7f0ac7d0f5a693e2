//! Tern's rules, free of I/O: what a message costs, who may receive MMS, which media may be sent.

pub mod account;
pub mod credential;
pub mod ids;
pub mod media;
pub mod phone;
pub mod secret;
pub mod text;
