//! The PostgreSQL store on the real server: the conformance stories, and its schema against
//! SQLite's. One test binary.

mod conformance;
mod schema;
