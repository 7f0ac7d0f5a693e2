//! The rules of delivery that hold whatever sends: Twilio's request signatures, consent
//! keywords in inbound messages, what a provider's answers mean (statuses that only move
//! forward, error codes mapped to retry, reconcile or refuse), and quiet hours in the
//! recipient's local time, and
//! what a dispatcher may send now (`pacing`: rate windows, throttle, cap, backoff).

pub mod keywords;
pub mod outcome;
pub mod pacing;
pub mod quiet_hours;
pub mod signature;
