//! Tern's rules, free of I/O: what a message costs, who may receive MMS, which media may be sent.

pub mod access;
pub mod account;
pub mod audience;
pub mod campaign;
pub mod contact;
pub mod credential;
pub mod delivery;
pub mod domains;
pub mod goals;
pub mod ids;
pub mod media;
pub mod phone;
pub mod secret;
pub mod template;
pub mod text;
pub mod tracking;
pub mod writer;
