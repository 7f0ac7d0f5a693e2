//! Segments: saved condition trees, validated node by node, counted and sampled in the database.

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tern_domain::{audience::Condition, ids::SegmentId};
use tern_store::{Account, SegmentRecord, StoreError};
use utoipa::{IntoParams, ToSchema};

use super::contacts::{ContactView, account_zone};
use crate::{AppError, AppResult, AppState, random};

/// Longest segment name.
const MAX_NAME: usize = 100;

/// A saved segment.
#[derive(Serialize, ToSchema)]
pub struct SegmentView {
    pub id: String,
    pub name: String,
    /// The condition tree.
    #[schema(value_type = Object)]
    pub definition: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SegmentRecord> for SegmentView {
    fn from(s: SegmentRecord) -> Self {
        Self {
            id: s.id.to_string(),
            name: s.name,
            definition: s.definition,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A segment to save. The definition is a condition tree: `{"and"|"or": [...]}`, `{"not": {...}}`,
/// `{"attribute", "op", "value"}` (op `=`, `!=`, `<`, `>`, `contains`, `exists`),
/// `{"consent": [...]}`, `{"country": [...]}`, `{"event", "where", "at_least", "at_most",
/// "within_days"}`, `{"not_performed", "where", "within_days"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentRequest {
    pub name: String,
    #[schema(value_type = Object)]
    pub definition: Value,
}

fn checked(request: &SegmentRequest) -> Result<(String, Condition), AppError> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(AppError::Invalid {
            field: "name".into(),
            message: format!("must be 1 to {MAX_NAME} characters"),
        });
    }
    let condition = Condition::parse(&request.definition).map_err(AppError::DefinitionRejected)?;
    Ok((name.to_owned(), condition))
}

fn name_taken(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict { .. } => AppError::Conflict("a segment of this name exists".into()),
        other => other.into(),
    }
}

/// Saves a new segment.
pub async fn create(
    state: &AppState,
    account: &Account,
    request: SegmentRequest,
) -> AppResult<SegmentView> {
    let (name, _) = checked(&request)?;
    let now = Utc::now();
    let record = SegmentRecord {
        id: SegmentId::from_random(random()),
        account_id: account.id,
        name,
        definition: request.definition,
        created_at: now,
        updated_at: now,
    };
    let saved = state
        .store
        .create_segment(record)
        .await
        .map_err(name_taken)?;
    Ok(saved.into())
}

/// The account's segments by name.
pub async fn list(state: &AppState, account: &Account) -> AppResult<Vec<SegmentView>> {
    let segments = state.store.list_segments(account.id).await?;
    Ok(segments.into_iter().map(SegmentView::from).collect())
}

fn segment_id(raw: &str) -> Result<SegmentId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// One segment.
pub async fn get(state: &AppState, account: &Account, id: &str) -> AppResult<SegmentView> {
    Ok(state
        .store
        .segment(account.id, segment_id(id)?)
        .await?
        .into())
}

/// A change of a segment: its name, its definition, or both.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentChange {
    pub name: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub definition: Option<Value>,
}

/// Renames a segment or replaces its definition.
pub async fn update(
    state: &AppState,
    account: &Account,
    id: &str,
    change: SegmentChange,
) -> AppResult<SegmentView> {
    let current = state.store.segment(account.id, segment_id(id)?).await?;
    let request = SegmentRequest {
        name: change.name.unwrap_or(current.name.clone()),
        definition: change.definition.unwrap_or(current.definition.clone()),
    };
    let (name, _) = checked(&request)?;
    let record = SegmentRecord {
        name,
        definition: request.definition,
        updated_at: Utc::now(),
        ..current
    };
    Ok(state
        .store
        .update_segment(record)
        .await
        .map_err(name_taken)?
        .into())
}

/// Deletes a segment that no campaign which may still send (not completed, cancelled or
/// archived) names; else the answer names those campaigns. (A launched campaign sends from its
/// launch's snapshot either way; this keeps drafts and the history readable.)
pub async fn delete(state: &AppState, account: &Account, id: &str) -> AppResult<()> {
    let id = segment_id(id)?;
    let using = state.store.campaigns_using_segment(account.id, id).await?;
    if !using.is_empty() {
        return Err(AppError::Conflict(format!(
            "this segment is used by {}: remove it from their Segments step, or complete, cancel or archive them first",
            crate::campaigns::views::named(&using)
        )));
    }
    state.store.delete_segment(account.id, id).await?;
    Ok(())
}

/// A segment's live size and a few of its members.
#[derive(Serialize, ToSchema)]
pub struct AudienceView {
    /// Contacts matching now.
    pub count: u64,
    /// The first matching contacts, by id.
    pub sample: Vec<ContactView>,
    /// How long counting took in the database.
    pub count_ms: u64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SampleParams {
    /// Members to return, 0 to 100; 10 by default.
    pub sample: Option<u32>,
}

async fn audience(
    state: &AppState,
    account: tern_domain::ids::AccountId,
    condition: &Condition,
    sample: u32,
) -> Result<AudienceView, AppError> {
    let now = Utc::now();
    let started = Instant::now();
    let count = state.store.count_matching(account, condition, now).await?;
    let count_ms = started.elapsed().as_millis() as u64;
    let ids = if sample == 0 {
        Vec::new()
    } else {
        state
            .store
            .matching_contacts(account, condition, now, None, sample.min(100))
            .await?
    };
    let zone = account_zone(state.store.as_ref(), account).await?;
    let mut members = Vec::with_capacity(ids.len());
    for id in ids {
        members.push(ContactView::new(
            state.store.contact(account, id).await?,
            zone,
        ));
    }
    Ok(AudienceView {
        count,
        sample: members,
        count_ms,
    })
}

/// A saved segment's live count and sample members.
pub async fn segment_audience(
    state: &AppState,
    account: &Account,
    id: &str,
    params: SampleParams,
) -> AppResult<AudienceView> {
    let segment = state.store.segment(account.id, segment_id(id)?).await?;
    let condition = Condition::parse(&segment.definition).map_err(AppError::DefinitionRejected)?;
    audience(state, account.id, &condition, params.sample.unwrap_or(10)).await
}

/// A definition to try before saving it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[schema(value_type = Object)]
    pub definition: Value,
    /// Members to return, 0 to 100; 10 by default.
    pub sample: Option<u32>,
}

/// Counts and samples an unsaved definition (the builder's live count).
pub async fn preview(
    state: &AppState,
    account: &Account,
    request: PreviewRequest,
) -> AppResult<AudienceView> {
    let condition = Condition::parse(&request.definition).map_err(AppError::DefinitionRejected)?;
    audience(state, account.id, &condition, request.sample.unwrap_or(10)).await
}
