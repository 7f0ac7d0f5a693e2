//! What a launch fixes: the campaign as launched and everything its messages are made from —
//! its segments' definitions, the settings (senders, footer, time zone), the attribute names,
//! the media and the MMS permission. The run keeps it, and the audience is written from it
//! alone: editing a segment, the footer or the senders after launch, or deleting a segment,
//! changes nothing of what a launched campaign sends.

use std::collections::HashMap;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tern_domain::{campaign::mms_refusal, template::Vocabulary};
use tern_store::{Account, AccountSettings, CampaignRecord, MediaItem, SegmentRecord};

use super::checks::StepContext;
use crate::AppError;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LaunchSnapshot {
    pub campaign: CampaignRecord,
    pub settings: AccountSettings,
    pub segments: Vec<SegmentRecord>,
    pub attributes: Vec<String>,
    pub cart: bool,
    pub media: Vec<MediaItem>,
    pub mms_enabled: bool,
}

impl LaunchSnapshot {
    /// What `context` and `campaign` hold at launch.
    pub fn taken(context: &StepContext, campaign: &CampaignRecord) -> Self {
        Self {
            campaign: campaign.clone(),
            settings: context.settings.clone(),
            segments: context.segments.clone(),
            attributes: context.vocabulary.attributes.iter().cloned().collect(),
            cart: context.vocabulary.cart,
            media: context.media.values().cloned().collect(),
            mms_enabled: context.account.mms_enabled,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a snapshot serialises")
    }

    pub fn from_json(value: &serde_json::Value) -> Result<Self, AppError> {
        serde_json::from_value(value.clone())
            .map_err(|e| AppError::Internal(format!("a run's launch snapshot is unreadable: {e}")))
    }

    /// The checks' context as it was at launch, for `account` (whose other fields do not
    /// shape messages), with public addresses under `public_url`.
    pub fn context(self, account: &Account, public_url: &str) -> (StepContext, CampaignRecord) {
        let mut account = account.clone();
        account.mms_enabled = self.mms_enabled;
        let mms_refusal = mms_refusal(
            self.mms_enabled,
            self.settings.senders.iter().map(|s| s.country.as_str()),
        );
        let context = StepContext {
            account,
            settings: self.settings,
            segments: self.segments,
            vocabulary: Vocabulary {
                attributes: self.attributes.into_iter().collect(),
                cart: self.cart,
            },
            media: self
                .media
                .into_iter()
                .map(|m| (m.id, m))
                .collect::<HashMap<_, _>>(),
            mms_refusal,
            public_url: public_url.to_owned(),
            now: Utc::now(),
        };
        (context, self.campaign)
    }
}
