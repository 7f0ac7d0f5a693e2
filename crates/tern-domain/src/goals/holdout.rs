//! Holdouts: the contacts a campaign leaves out on purpose, so that its lift can be measured.

use sha2::{Digest, Sha256};

use crate::ids::CampaignId;

/// The largest share of an audience a campaign may hold out.
pub const MAX_HOLDOUT_PERCENT: u8 = 50;

/// Whether `contact` is held out of `campaign` at `percent` (0–50, larger is taken as 50): a
/// SHA-256 of the campaign's id and the contact's id, so the same contact is held out of the
/// same campaign every time (a resumed send agrees with the first) and differently across
/// campaigns (nobody is held out of everything).
pub fn held_out(campaign: CampaignId, contact: i64, percent: u8) -> bool {
    let percent = percent.min(MAX_HOLDOUT_PERCENT);
    let hash = Sha256::new()
        .chain_update(campaign.as_uuid().as_bytes())
        .chain_update(contact.to_be_bytes())
        .finalize();
    let head: [u8; 8] = hash[..8].try_into().expect("a SHA-256 has 32 bytes");
    u64::from_be_bytes(head) % 10_000 < u64::from(percent) * 100
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTACTS: i64 = 100_000;

    fn share(campaign: CampaignId, percent: u8) -> f64 {
        let held = (0..CONTACTS)
            .filter(|&c| held_out(campaign, c, percent))
            .count();
        held as f64 / CONTACTS as f64
    }

    #[test]
    fn nobody_is_held_out_at_zero_percent() {
        let campaign = CampaignId::from_random([1; 16]);
        assert!((0..1000).all(|c| !held_out(campaign, c, 0)));
    }

    #[test]
    fn a_contact_is_held_out_the_same_way_every_time() {
        let campaign = CampaignId::from_random([2; 16]);
        let first: Vec<bool> = (0..1000).map(|c| held_out(campaign, c, 20)).collect();
        let again: Vec<bool> = (0..1000).map(|c| held_out(campaign, c, 20)).collect();
        assert_eq!(first, again);
    }

    #[test]
    fn the_share_held_out_is_the_percent() {
        let campaign = CampaignId::from_random([3; 16]);
        assert!((share(campaign, 10) - 0.1).abs() < 0.006);
        assert!((share(campaign, 50) - 0.5).abs() < 0.01);
        assert_eq!(share(campaign, 90), share(campaign, 50));
    }

    #[test]
    fn two_campaigns_hold_out_different_contacts() {
        let (a, b) = (
            CampaignId::from_random([4; 16]),
            CampaignId::from_random([5; 16]),
        );
        let differ = (0..10_000)
            .filter(|&c| held_out(a, c, 10) != held_out(b, c, 10))
            .count();
        // Independent 10 % draws disagree on about 18 % of contacts.
        assert!(differ > 1000, "{differ}");
    }
}
