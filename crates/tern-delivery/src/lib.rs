//! Delivery: the providers messages leave through. `twilio` speaks Twilio's Messaging API as its
//! OpenAPI description states it (a contract test runs it against a mock generated from that
//! description). The outbox and the dispatcher that drive it come next.

pub mod twilio;
