//! Campaign records and their change history.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use tern_domain::{
    campaign::{CampaignStatus, CampaignType, Channel},
    ids::{AccountId, CampaignId, MediaId, SegmentId},
};

use crate::StoreResult;

/// A campaign with its steps as saved (drafts, checked when read).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CampaignRecord {
    pub id: CampaignId,
    pub account_id: AccountId,
    pub name: String,
    pub kind: CampaignType,
    pub channel: Channel,
    pub status: CampaignStatus,
    /// Step name → its saved content.
    pub steps: Map<String, Value>,
    pub archived_at: Option<DateTime<Utc>>,
    /// Who created it and who changed it last (an API key's or a user's id).
    pub created_by: String,
    pub updated_by: String,
    /// Grows by one with each save; a save names the revision it was made from.
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One entry of a campaign's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CampaignChange {
    /// `created`, `renamed`, `channel`, `archived`, or `step:<name>`.
    pub what: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// How a listing is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CampaignSort {
    #[default]
    UpdatedDesc,
    CreatedDesc,
    Name,
}

/// What a campaign listing asks for.
#[derive(Debug, Clone, Default)]
pub struct CampaignQuery {
    pub status: Option<CampaignStatus>,
    pub kind: Option<CampaignType>,
    pub channel: Option<Channel>,
    /// Part of the name, any case.
    pub search: Option<String>,
    /// Archived campaigns instead of the others.
    pub archived: bool,
    pub sort: CampaignSort,
    pub limit: u32,
    pub offset: u32,
}

/// The segments a campaign's Segments step names (included or excluded), as saved.
pub fn step_segments(campaign: &CampaignRecord) -> Vec<String> {
    let Some(step) = campaign.steps.get("segments") else {
        return Vec::new();
    };
    ["include", "exclude"]
        .iter()
        .filter_map(|side| step.get(side).and_then(Value::as_array))
        .flatten()
        .filter_map(|id| id.as_str().map(str::to_owned))
        .collect()
}

/// Campaigns.
#[async_trait]
pub trait Campaigns: Send + Sync {
    /// Stores a new campaign with its first history entry.
    async fn create_campaign(
        &self,
        campaign: &CampaignRecord,
        change: &CampaignChange,
    ) -> StoreResult<()>;
    async fn campaign(&self, account: AccountId, id: CampaignId) -> StoreResult<CampaignRecord>;
    /// The account's campaigns that may still send (not completed, cancelled or archived) whose
    /// design holds this media item.
    async fn campaigns_using_media(
        &self,
        account: AccountId,
        media: MediaId,
    ) -> StoreResult<Vec<CampaignRecord>>;
    /// The account's campaigns that may still send (not completed, cancelled or archived) whose
    /// Segments step includes or excludes this segment.
    async fn campaigns_using_segment(
        &self,
        account: AccountId,
        segment: SegmentId,
    ) -> StoreResult<Vec<CampaignRecord>>;
    async fn list_campaigns(
        &self,
        account: AccountId,
        query: &CampaignQuery,
    ) -> StoreResult<Vec<CampaignRecord>>;
    /// Replaces the campaign saved at `campaign.revision - 1` and records the change, in one
    /// transaction; a campaign saved meanwhile is a conflict.
    async fn save_campaign(
        &self,
        campaign: &CampaignRecord,
        change: &CampaignChange,
    ) -> StoreResult<()>;
    /// Oldest first.
    async fn campaign_changes(
        &self,
        account: AccountId,
        id: CampaignId,
    ) -> StoreResult<Vec<CampaignChange>>;
}

/// The media ids a campaign's saved design names (its draft, valid or not).
pub fn design_media(campaign: &CampaignRecord) -> Vec<MediaId> {
    campaign
        .steps
        .get("design")
        .and_then(|d| d.get("media"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The `LIKE` pattern matching names that contain `search`, escaped with `\`.
pub fn name_pattern(search: &str) -> String {
    let escaped = search
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The `ORDER BY` of a listing.
pub fn order_by(sort: CampaignSort) -> &'static str {
    match sort {
        CampaignSort::UpdatedDesc => "updated_at DESC, id",
        CampaignSort::CreatedDesc => "created_at DESC, id",
        CampaignSort::Name => "lower(name), id",
    }
}
