//! Delivery: the providers messages leave through. `twilio` speaks Twilio's Messaging API as its
//! OpenAPI description states it (a contract test runs it against a mock generated from that
//! description); `sandbox` behaves like Twilio without sending; `provider` is either, as the
//! dispatcher sees it.

pub mod provider;
pub mod sandbox;
pub mod twilio;
