//! The `tern` binary from outside: one test binary (each links the whole program, so one link
//! instead of one per file).

mod ai_writer;
mod common;
mod demo;
mod exactly_once;
mod first_start;
mod operator;
mod scripts;
mod triggers_killed;
mod two_nodes;
