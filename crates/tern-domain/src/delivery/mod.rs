//! The rules of delivery that hold whatever sends: Twilio's request signatures, consent
//! keywords in inbound messages, what a provider's answers mean (statuses that only move
//! forward, error codes mapped to retry, reconcile or refuse), and quiet hours in the
//! recipient's local time.

pub mod keywords;
pub mod outcome;
pub mod quiet_hours;
pub mod signature;
