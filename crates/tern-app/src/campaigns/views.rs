//! What several campaign use cases answer with: a campaign, its steps and their problems, its
//! figures and messages as reports show them; and the ids and fields they all read.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tern_domain::{
    account::InvalidSetting,
    campaign::{Channel, steps::StepProblem},
    ids::CampaignId,
    template::Position,
};
use tern_store::{CampaignRecord, MessageRecord};
use utoipa::ToSchema;

use super::figures::CampaignFigures;
use crate::AppError;

/// A campaign as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct CampaignView {
    pub id: String,
    pub name: String,
    /// `single`, `cart_reminder` or `welcome`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `sms` or `mms`.
    pub channel: String,
    /// `draft`, `scheduled`, `active`, `running`, `paused`, `completed` or `cancelled`.
    pub status: String,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub updated_by: String,
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Headline figures of a launched campaign, in listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
}

impl From<&CampaignRecord> for CampaignView {
    fn from(c: &CampaignRecord) -> Self {
        Self {
            id: c.id.to_string(),
            name: c.name.clone(),
            kind: c.kind.as_str().to_owned(),
            channel: tern_store::decode::json_text(&c.channel),
            status: tern_store::decode::json_text(&c.status),
            archived_at: c.archived_at,
            created_by: c.created_by.clone(),
            updated_by: c.updated_by.clone(),
            revision: c.revision,
            created_at: c.created_at,
            updated_at: c.updated_at,
            figures: None,
        }
    }
}

/// One step of the wizard and where the user stands on it.
#[derive(Serialize, ToSchema)]
pub struct StepView {
    /// `segments`, `rules`, `design`, `goals` or `launch`.
    pub step: String,
    pub complete: bool,
    /// What is missing or wrong; empty when complete.
    pub problems: Vec<StepProblemView>,
    /// The saved draft, if any.
    #[schema(value_type = Option<Object>)]
    pub content: Option<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct StepProblemView {
    /// The field at fault, e.g. `include[1]` or `body`; empty for the step as a whole.
    pub field: String,
    pub code: String,
    pub message: String,
    /// For template problems: `line` and `column` (from 1, in characters) and `index` (UTF-16
    /// units from the start, as a browser's text field counts).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub position: Option<Position>,
}

impl From<StepProblem> for StepProblemView {
    fn from(p: StepProblem) -> Self {
        Self {
            field: p.field,
            code: p.code.to_owned(),
            message: p.message,
            position: p.position,
        }
    }
}

/// Campaigns as a refusal names them: `"Name" (id)`, comma-separated.
pub fn named(campaigns: &[tern_store::CampaignRecord]) -> String {
    campaigns
        .iter()
        .map(|c| format!("{:?} ({})", c.name, c.id))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn campaign_id(raw: &str) -> Result<CampaignId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// A launched campaign's messages at a glance (test messages aside), counted as its progress
/// counts them.
#[derive(Serialize, ToSchema, Default, Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// Messages written to the outbox so far, skipped ones included: the whole audience once
    /// `audience_written`.
    pub total: u64,
    /// Whether the whole audience is in the outbox yet.
    pub audience_written: bool,
    /// Not sent yet: queued, or with the provider awaiting its answer.
    pub pending: u64,
    /// Accepted by the provider: delivered, undelivered, and those awaiting the carrier's report.
    pub sent: u64,
    /// Reported delivered by the carrier.
    pub delivered: u64,
    /// Accepted, then reported undelivered by the carrier.
    pub undelivered: u64,
    /// Refused by the provider, or given up by Tern (never accepted).
    pub failed: u64,
    pub cancelled: u64,
    /// Never attempted (no consent, unsubscribed, no sender, over the frequency cap, …).
    pub skipped: u64,
}

impl From<&CampaignFigures> for Figures {
    fn from(f: &CampaignFigures) -> Self {
        Self {
            total: f.total,
            audience_written: f.audience_written,
            pending: f.queued + f.sending,
            sent: f.sent,
            delivered: f.delivered,
            undelivered: f.undelivered,
            failed: f.failed,
            cancelled: f.cancelled,
            skipped: f.skipped,
        }
    }
}

/// One message as reports show it.
#[derive(Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub to: String,
    pub from: String,
    pub body: String,
    pub media: Vec<String>,
    /// `queued`, `sending`, `sent`, `failed`, `skipped` or `cancelled`.
    pub state: String,
    /// The provider's status once sent (`queued`, `sent`, `delivered`, `undelivered`, …).
    pub provider_status: Option<String>,
    pub provider_sid: Option<String>,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    pub error_code: Option<u32>,
    /// In a marketer's words.
    pub error_message: Option<String>,
    pub attempts: u32,
    pub due_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl From<MessageRecord> for MessageView {
    fn from(m: MessageRecord) -> Self {
        Self {
            id: m.id,
            contact_id: m.contact_id.map(|c| c.0),
            to: m.to,
            from: m.sender,
            body: m.body,
            media: m.media,
            state: tern_store::decode::json_text(&m.state),
            provider_status: m.provider_status.map(|s| tern_store::decode::json_text(&s)),
            provider_sid: m.provider_sid,
            reason: m.reason,
            error_code: m.error_code,
            error_message: m.error_message,
            attempts: m.attempts,
            due_at: m.due_at,
            sent_at: m.sent_at,
            updated_at: m.updated_at,
        }
    }
}

/// A Design step may carry the channel (`sms` or `mms`): it is the campaign's, not the step's.
pub fn take_channel(design: &mut Value) -> Result<Option<Channel>, AppError> {
    let Some(value) = design.as_object_mut().and_then(|d| d.remove("channel")) else {
        return Ok(None);
    };
    serde_json::from_value(value)
        .map(Some)
        .map_err(|_| InvalidSetting::new("channel", "sms or mms").into())
}

/// Puts an unsaved Design step (as `PUT …/steps/design` takes it) in place of the saved one, for
/// a preview or drafts written for what the editor holds.
pub fn with_unsaved_design(
    campaign: &mut tern_store::CampaignRecord,
    design: Option<Value>,
) -> Result<(), AppError> {
    let Some(mut design) = design else {
        return Ok(());
    };
    if !design.is_object() {
        return Err(InvalidSetting::new("design", "the Design step is a JSON object").into());
    }
    if let Some(channel) = take_channel(&mut design)? {
        campaign.channel = channel;
    }
    campaign.steps.insert(
        tern_domain::campaign::Step::Design.as_str().to_owned(),
        design,
    );
    Ok(())
}
