//! A launched campaign's figures, counted one way for the listing, the progress and the
//! campaign page: README's "Campaign figures" says what each one counts.

use std::collections::{BTreeMap, HashMap};

use tern_domain::{
    delivery::outcome::{ProviderStatus, explain},
    ids::{AccountId, CampaignId},
};
use tern_store::{CampaignCounts, MessageState, Store, StoreResult};

/// Where a campaign's messages (tests aside) are. Every message is in exactly one of queued,
/// sending, sent, failed, cancelled and skipped; delivered and undelivered are parts of sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignFigures {
    /// Messages written to the outbox so far, skipped ones included: the audience once
    /// `audience_written`.
    pub total: u64,
    pub audience_written: bool,
    pub queued: u64,
    pub sending: u64,
    /// Accepted by the provider, whatever the carrier reported afterwards.
    pub sent: u64,
    pub delivered: u64,
    pub undelivered: u64,
    /// Refused by the provider, or given up by Tern: never accepted.
    pub failed: u64,
    pub cancelled: u64,
    pub skipped: u64,
    pub skipped_by_reason: BTreeMap<String, u64>,
    pub failed_by_reason: BTreeMap<String, u64>,
    /// Undelivered by the carrier's error code (`none` when it gave none).
    pub undelivered_by_reason: BTreeMap<String, u64>,
    /// Failed by the provider's error code (`none` when it gave none: Tern gave up).
    pub failed_by_code: BTreeMap<String, u64>,
}

impl CampaignFigures {
    /// Sent, still without the carrier's word (no status yet, or one that is not final).
    pub fn awaiting_status(&self) -> u64 {
        self.sent - self.delivered - self.undelivered
    }
}

/// How the carrier's word on a sent message is counted.
enum Carrier {
    Delivered,
    Undelivered,
    Awaiting,
}

fn carrier(status: Option<ProviderStatus>) -> Carrier {
    match status {
        Some(ProviderStatus::Delivered | ProviderStatus::Read) => Carrier::Delivered,
        // `failed` after the provider accepted the message is a report on a sent message too;
        // `canceled` is final and nothing was delivered.
        Some(ProviderStatus::Undelivered | ProviderStatus::Failed | ProviderStatus::Canceled) => {
            Carrier::Undelivered
        }
        _ => Carrier::Awaiting,
    }
}

/// Sums the store's counts into each campaign's figures; a campaign with nothing written yet
/// gets zeros (and `audience_written` as the store says).
pub fn figures(counts: CampaignCounts) -> HashMap<CampaignId, CampaignFigures> {
    let mut by_campaign: HashMap<CampaignId, CampaignFigures> = HashMap::new();
    for campaign in counts.written {
        by_campaign.entry(campaign).or_default().audience_written = true;
    }
    for row in counts.messages {
        let f = by_campaign.entry(row.campaign).or_default();
        let n = row.count;
        let reason = || row.reason.clone().unwrap_or_default();
        f.total += n;
        match row.state {
            MessageState::Queued => f.queued += n,
            MessageState::Sending => f.sending += n,
            MessageState::Cancelled => f.cancelled += n,
            MessageState::Skipped => {
                f.skipped += n;
                *f.skipped_by_reason.entry(reason()).or_default() += n;
            }
            MessageState::Failed => {
                f.failed += n;
                *f.failed_by_reason.entry(reason()).or_default() += n;
                let code = row.error_code.map_or("none".into(), |c| c.to_string());
                *f.failed_by_code.entry(code).or_default() += n;
            }
            MessageState::Sent => {
                f.sent += n;
                match carrier(row.provider_status) {
                    Carrier::Delivered => f.delivered += n,
                    Carrier::Awaiting => {}
                    Carrier::Undelivered => {
                        f.undelivered += n;
                        let code = row.error_code.map_or("none".into(), |c| c.to_string());
                        *f.undelivered_by_reason.entry(code).or_default() += n;
                    }
                }
            }
        }
    }
    by_campaign
}

/// The figures of these campaigns of the account, without the by-reason lists when
/// `by_reason` is false (they are then empty).
pub async fn load(
    store: &dyn Store,
    account: AccountId,
    campaigns: &[CampaignId],
    by_reason: bool,
) -> StoreResult<HashMap<CampaignId, CampaignFigures>> {
    if campaigns.is_empty() {
        return Ok(HashMap::new());
    }
    let counts = store.campaign_counts(account, campaigns, by_reason).await?;
    Ok(figures(counts))
}

/// The carrier's error codes among `undelivered_by_reason`, in a marketer's words.
pub fn explained(undelivered_by_reason: &BTreeMap<String, u64>) -> BTreeMap<String, String> {
    undelivered_by_reason
        .keys()
        .map(|code| {
            let words = code
                .parse()
                .map_or("the carrier gave no error code", explain);
            (code.clone(), words.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use tern_store::MessageCount;

    use super::*;

    fn campaign() -> CampaignId {
        CampaignId::from_random([7; 16])
    }

    fn count(state: MessageState, status: Option<ProviderStatus>, n: u64) -> MessageCount {
        MessageCount {
            campaign: campaign(),
            state,
            provider_status: status,
            reason: None,
            error_code: None,
            count: n,
        }
    }

    #[test]
    fn undelivered_is_sent_and_never_failed_and_an_unknown_status_awaits() {
        let counts = CampaignCounts {
            messages: vec![
                count(MessageState::Sent, Some(ProviderStatus::Delivered), 4),
                MessageCount {
                    error_code: Some(30003),
                    ..count(MessageState::Sent, Some(ProviderStatus::Undelivered), 2)
                },
                count(MessageState::Sent, Some(ProviderStatus::Other), 1),
                count(MessageState::Sent, None, 1),
                MessageCount {
                    reason: Some("invalid_number".into()),
                    ..count(MessageState::Failed, None, 3)
                },
            ],
            written: vec![],
        };
        let f = figures(counts).remove(&campaign()).unwrap();
        assert_eq!((f.sent, f.delivered, f.undelivered, f.failed), (8, 4, 2, 3));
        assert_eq!(f.awaiting_status(), 2);
        assert_eq!(f.total, 11);
        assert!(!f.audience_written);
        assert_eq!(
            f.failed_by_reason,
            BTreeMap::from([("invalid_number".into(), 3)])
        );
        assert_eq!(
            f.undelivered_by_reason,
            BTreeMap::from([("30003".into(), 2)])
        );
        assert!(explained(&f.undelivered_by_reason)["30003"].contains("out of reach"));
    }
}
