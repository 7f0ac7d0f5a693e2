//! Tern's rules, free of I/O: what a message costs, who may receive MMS, which media may be sent.

pub mod text;
pub mod phone;
pub mod media;
