//! What a provider's answers mean for a message: Twilio's statuses ranked so a message only moves
//! forward, and its error codes mapped to what Tern does next, each with an explanation a
//! marketer can read in the report.

use serde::{Deserialize, Serialize};

/// A message's status at the provider, in Twilio's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderStatus {
    Accepted,
    Scheduled,
    Queued,
    Sending,
    Sent,
    Delivered,
    Undelivered,
    Failed,
    Read,
    Canceled,
    PartiallyDelivered,
    /// A status this version does not know (inbound `received`, or one Twilio adds): it never
    /// replaces a known one.
    #[serde(other)]
    Other,
}

impl ProviderStatus {
    /// How far along the message is; a callback of a lower or equal rank changes nothing.
    pub fn rank(self) -> u8 {
        match self {
            Self::Other => 0,
            Self::Accepted | Self::Scheduled | Self::Queued => 1,
            Self::Sending => 2,
            Self::Sent => 3,
            Self::PartiallyDelivered => 4,
            Self::Delivered | Self::Undelivered | Self::Failed | Self::Canceled => 5,
            Self::Read => 6,
        }
    }

    /// Whether nothing more will happen to the message (but `read` after `delivered`).
    pub fn is_final(self) -> bool {
        self.rank() >= 5
    }

    /// The status after a callback reporting `next`: it only moves forward, and a final
    /// status stays (a `read` may follow `delivered`).
    pub fn advance(self, next: ProviderStatus) -> ProviderStatus {
        let forward = next.rank() > self.rank();
        let final_kept = self.is_final() && !(self == Self::Delivered && next == Self::Read);
        if forward && !final_kept { next } else { self }
    }
}

/// What to do after the provider answered a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Next {
    /// It never reached the provider: try again later, with backoff.
    Retry,
    /// It may have been accepted: look it up at the provider before anything else.
    Reconcile,
    /// Refused for this recipient: final.
    Refused(Refusal),
    /// Refused for the whole account (credentials, suspension): stop sending and say so.
    StopAccount,
}

/// Why a recipient's message was refused for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    Failed,
    InvalidNumber,
    /// The recipient opted out at the carrier (the contact is unsubscribed).
    Unsubscribed,
    NotSmsCapable,
}

/// What to do after a send answered with HTTP `status` and, for refusals, Twilio's `code`.
/// `status` is `None` when no answer came (a timeout after the request left).
pub fn after_send(status: Option<u16>, code: Option<u32>) -> Next {
    match (status, code) {
        (None, _) => Next::Reconcile,
        (Some(429), _) | (_, Some(20429 | 21611)) => Next::Retry,
        (Some(s), _) if s >= 500 => Next::Reconcile,
        (Some(401 | 403), _) | (_, Some(20003)) => Next::StopAccount,
        (_, Some(21211)) => Next::Refused(Refusal::InvalidNumber),
        (_, Some(21610)) => Next::Refused(Refusal::Unsubscribed),
        (_, Some(21614)) => Next::Refused(Refusal::NotSmsCapable),
        (Some(_), _) => Next::Refused(Refusal::Failed),
    }
}

/// A Twilio error code in words, for the report.
pub fn explain(code: u32) -> &'static str {
    match code {
        20003 => "Twilio refused the account's credentials, or the account is suspended",
        20429 => "too many requests to Twilio at once",
        21211 => "the phone number is not valid",
        21408 => "the account may not send to this country (Twilio's geographic permissions)",
        21606 => "the sender cannot message this destination",
        21610 => "the recipient replied STOP: they are unsubscribed at the carrier",
        21611 => "the sender's queue at Twilio is full",
        21612 => "Twilio cannot route from this sender to this number",
        21614 => "the number cannot receive SMS (a landline, or not a mobile number)",
        21617 => "the text is longer than Twilio's 1,600 characters",
        21620 => "a picture's address is not one Twilio can fetch",
        21623 => "more than 10 pictures",
        30001 => "the sender's queue overflowed",
        30002 => "the Twilio account is suspended",
        30003 => "the phone is off or out of reach",
        30004 => "the recipient blocked the message (blocklist, STOP or do-not-disturb)",
        30005 => "the number is unknown or no longer exists",
        30006 => "a landline, or a carrier that cannot be reached",
        30007 => "the carrier filtered the message as spam or against its policy",
        30008 => "the carrier gave no reason",
        30019 => "the message is larger than the carrier allows",
        30034 => "the US number is not registered for A2P 10DLC",
        30036 => "the message waited in Twilio's queue longer than its validity period",
        _ => "Twilio reported an error (see its error code reference)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProviderStatus::*;

    #[test]
    fn a_status_only_moves_forward_and_finals_stay() {
        assert_eq!(Queued.advance(Sent), Sent);
        assert_eq!(
            Sent.advance(Queued),
            Sent,
            "a late callback changes nothing"
        );
        assert_eq!(Sent.advance(Sent), Sent);
        assert_eq!(Sent.advance(Delivered), Delivered);
        assert_eq!(Delivered.advance(Undelivered), Delivered);
        assert_eq!(Undelivered.advance(Delivered), Undelivered);
        assert_eq!(Delivered.advance(Read), Read);
        assert_eq!(Failed.advance(Read), Failed);
        assert_eq!(Accepted.advance(Failed), Failed);
        assert_eq!(Sent.advance(Other), Sent);
        assert_eq!(
            serde_json::from_str::<ProviderStatus>("\"receiving\"").unwrap(),
            Other
        );
    }

    #[test]
    fn sends_that_never_arrived_retry_and_doubtful_ones_reconcile() {
        assert_eq!(after_send(Some(429), Some(20429)), Next::Retry);
        assert_eq!(after_send(Some(400), Some(21611)), Next::Retry);
        assert_eq!(after_send(Some(500), Some(20500)), Next::Reconcile);
        assert_eq!(after_send(Some(503), None), Next::Reconcile);
        assert_eq!(after_send(None, None), Next::Reconcile);
        assert_eq!(after_send(Some(401), Some(20003)), Next::StopAccount);
    }

    #[test]
    fn refusals_are_final_with_their_reason() {
        assert_eq!(
            after_send(Some(400), Some(21211)),
            Next::Refused(Refusal::InvalidNumber)
        );
        assert_eq!(
            after_send(Some(400), Some(21610)),
            Next::Refused(Refusal::Unsubscribed)
        );
        assert_eq!(
            after_send(Some(400), Some(21614)),
            Next::Refused(Refusal::NotSmsCapable)
        );
        assert_eq!(
            after_send(Some(400), Some(21612)),
            Next::Refused(Refusal::Failed)
        );
        assert!(explain(30003).contains("out of reach"));
        assert!(explain(99999).contains("error code"));
    }
}
