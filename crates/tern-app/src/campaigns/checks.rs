//! Each step of a campaign checked against its saved draft, with what the checks need from the
//! store: the account's segments, attribute names, media, settings and senders.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tern_domain::{
    account::InvalidSetting,
    campaign::{
        CampaignType, Step,
        design::{Design, DesignRules, MediaFacts, SHORT_CODE_LEN, check_design},
        launch::{LaunchPlan, LaunchRules, check_launch},
        mms_refusal,
        steps::{
            SegmentsStep, StepProblem, check_cart_rules, check_goals, check_segments,
            check_welcome_rules,
        },
    },
    ids::MediaId,
    template::Vocabulary,
};
use tern_store::{Account, AccountSettings, CampaignRecord, MediaItem, SegmentRecord, StoreError};

use crate::{AppError, AppState};

/// What the checks read, loaded once per request.
pub struct StepContext {
    pub account: Account,
    pub settings: AccountSettings,
    /// The account's segments (Single campaigns only).
    pub segments: Vec<SegmentRecord>,
    pub vocabulary: Vocabulary,
    /// The account's media items that the design names.
    pub media: HashMap<MediaId, MediaItem>,
    pub mms_refusal: Option<InvalidSetting>,
    pub public_url: String,
    pub now: DateTime<Utc>,
}

impl StepContext {
    pub async fn load(
        state: &AppState,
        account: &Account,
        campaign: &CampaignRecord,
    ) -> Result<Self, AppError> {
        let settings = state.store.settings(account.id).await?;
        let segments = if campaign.kind.steps().contains(&Step::Segments) {
            state.store.list_segments(account.id).await?
        } else {
            Vec::new()
        };
        let vocabulary = Vocabulary {
            attributes: state
                .store
                .attribute_names(account.id)
                .await?
                .into_iter()
                .collect(),
            cart: campaign.kind == CampaignType::CartReminder,
        };
        let mut media = HashMap::new();
        for id in tern_store::design_media(campaign) {
            match state.store.media(account.id, id).await {
                Ok(item) => {
                    media.insert(id, item);
                }
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let mms_refusal = mms_refusal(
            account.mms_enabled,
            settings.senders.iter().map(|s| s.country.as_str()),
        );
        Ok(Self {
            account: account.clone(),
            settings,
            segments,
            vocabulary,
            media,
            mms_refusal,
            public_url: state.public_url.to_string(),
            now: Utc::now(),
        })
    }

    /// A tracked link as recipients see it, for counting lengths.
    pub fn sample_link(&self) -> String {
        format!("{}/l/{}", self.public_url, "x".repeat(SHORT_CODE_LEN))
    }

    /// The public address of a media item.
    pub fn media_url(&self, item: &MediaItem) -> String {
        format!("{}/m/{}", self.public_url, item.token)
    }

    pub fn sender_countries(&self) -> Vec<&str> {
        self.settings
            .senders
            .iter()
            .map(|s| s.country.as_str())
            .collect()
    }
}

/// Every step of a campaign checked, with the parts later work needs.
pub struct Checked {
    /// The type's steps in order, each with its problems (none: complete).
    pub steps: Vec<(Step, Vec<StepProblem>)>,
    pub segments: Option<SegmentsStep>,
    /// Present whenever the body renders, even with problems (for previews).
    pub design: Option<Design>,
    pub launch: Option<LaunchPlan>,
}

impl Checked {
    pub fn ready(&self) -> bool {
        self.steps.iter().all(|(_, problems)| problems.is_empty())
    }
}

fn step_json(campaign: &CampaignRecord, step: Step) -> Value {
    campaign
        .steps
        .get(step.as_str())
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()))
}

/// Checks each of the campaign's steps.
pub fn check_steps(context: &StepContext, campaign: &CampaignRecord) -> Checked {
    let mut checked = Checked {
        steps: Vec::new(),
        segments: None,
        design: None,
        launch: None,
    };
    for &step in campaign.kind.steps() {
        let json = step_json(campaign, step);
        let problems = match (step, campaign.kind) {
            (Step::Segments, _) => {
                let known = |id| context.segments.iter().any(|s| s.id == id);
                match check_segments(&json, known) {
                    Ok(segments) => {
                        checked.segments = Some(segments);
                        Vec::new()
                    }
                    Err(problems) => problems,
                }
            }
            (Step::Rules, CampaignType::CartReminder) => {
                check_cart_rules(&json).err().unwrap_or_default()
            }
            (Step::Rules, _) => check_welcome_rules(&json).err().unwrap_or_default(),
            (Step::Goals, _) => check_goals(&json).err().unwrap_or_default(),
            (Step::Design, _) => {
                let sample_link = context.sample_link();
                let rules = DesignRules {
                    kind: campaign.kind,
                    channel: campaign.channel,
                    vocabulary: &context.vocabulary,
                    mms_refusal: context.mms_refusal.clone(),
                    footer: &context.settings.opt_out_footer,
                    sample_link: &sample_link,
                };
                let media = |id| {
                    context
                        .media
                        .get(&id)
                        .map(|item| MediaFacts { bytes: item.bytes })
                };
                let (design, problems) = check_design(&json, &rules, media);
                checked.design = design;
                problems
            }
            (Step::Launch, _) => {
                let rules = LaunchRules {
                    kind: campaign.kind,
                    timezone: context.settings.timezone,
                    now: context.now,
                    quiet_hours: context.settings.quiet_hours,
                    frequency_cap: context.settings.frequency_cap,
                    fastest_sender: context
                        .settings
                        .senders
                        .iter()
                        .map(|s| s.segments_per_second)
                        .max(),
                };
                match check_launch(&json, &rules) {
                    Ok(plan) => {
                        checked.launch = Some(plan);
                        Vec::new()
                    }
                    Err(problems) => problems,
                }
            }
        };
        let problems = if problems.is_empty() && !campaign.steps.contains_key(step.as_str()) {
            vec![not_started(step)]
        } else {
            problems
        };
        checked.steps.push((step, problems));
    }
    checked
}

/// A step whose defaults would pass is still not complete until the user saved it: a new
/// campaign must not read "Launch ✓" before anyone chose when to send.
fn not_started(step: Step) -> StepProblem {
    let message = match step {
        Step::Launch => "not saved yet: choose when to send (now or a time) and save",
        Step::Rules => "not saved yet: choose the delay and save",
        _ => "not saved yet",
    };
    StepProblem {
        field: String::new(),
        code: "not_started",
        message: message.to_owned(),
        position: None,
    }
}
