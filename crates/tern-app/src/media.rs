//! The media library: upload (checked, cleaned, stored once per account), fit, list, get, delete.

use std::sync::{Arc, LazyLock};

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tern_domain::{
    ids::MediaId,
    media::{FitError, MediaLimits, check_media, fit_media},
};
use tern_store::{Account, MediaItem};
use tokio::sync::Semaphore;
use utoipa::ToSchema;

use crate::{Actor, AppError, AppResult, AppState, blobs, random};

/// The largest upload read, in bytes: far over the MMS limit, so that large files can be fitted.
pub const MAX_UPLOAD_BYTES: usize = 20 << 20;

/// A media item as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct MediaView {
    pub id: String,
    /// The public address Twilio fetches (no authentication; unguessable).
    pub url: String,
    pub format: String,
    pub mime: String,
    /// Size as stored and sent, metadata removed.
    pub bytes: u64,
    /// Size as uploaded.
    pub original_bytes: u64,
    pub width: u32,
    pub height: u32,
    pub frames: u32,
    pub file_name: String,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    /// What the check noticed without refusing (metadata removed, misleading extension).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A fitted version of an upload, not stored: upload `data_base64` to accept it.
#[derive(Serialize, ToSchema)]
pub struct FittedView {
    /// False when the file met the limits already (it is returned cleaned).
    pub changed: bool,
    pub format: String,
    pub mime: String,
    pub bytes: u64,
    pub original_bytes: u64,
    pub width: u32,
    pub height: u32,
    pub frames: u32,
    pub data_base64: String,
}

/// Checks an uploaded image and stores its cleaned copy: refused with every broken rule named.
/// The answer says whether it is new (`false`: the account had the same image already).
pub async fn upload(
    state: &AppState,
    account: &Account,
    by: Actor,
    name: String,
    bytes: Vec<u8>,
) -> AppResult<(MediaView, bool)> {
    let (item, warnings, created) = keep(state, account, by.key(), name, bytes).await?;
    Ok((view(state, item, warnings), created))
}

/// Checks an image and stores its cleaned copy once per account, like an upload; `by` is the
/// key that uploaded it (none for a product picture Tern fetched). Returns the item, the
/// check's warnings and whether it is new.
pub async fn keep(
    state: &AppState,
    account: &Account,
    by: Option<tern_domain::ids::ApiKeyId>,
    name: String,
    bytes: Vec<u8>,
) -> AppResult<(MediaItem, Vec<String>, bool)> {
    let checked_name = name.clone();
    let mut report =
        on_media_pool(move || check_media(&checked_name, &bytes, &MediaLimits::default())).await?;
    // The check hands over the cleaned bytes only for an accepted file.
    let Some(cleaned) = report.cleaned.take() else {
        return Err(AppError::MediaRejected(report.errors));
    };
    let format = report.format.expect("an accepted file has a format");
    let sha256 = hex::encode(Sha256::digest(&cleaned));
    blobs::put(&*state.blobs, account.id, &sha256, cleaned).await?;
    let item = MediaItem {
        id: MediaId::from_random(random()),
        account_id: account.id,
        sha256,
        token: hex::encode(random::<16>()),
        format,
        bytes: report.clean_bytes.unwrap_or(report.bytes),
        original_bytes: report.bytes,
        width: report.width.unwrap_or_default(),
        height: report.height.unwrap_or_default(),
        frames: report.frames.unwrap_or(1),
        file_name: name,
        uploaded_by: by,
        created_at: Utc::now(),
    };
    let (item, created) = state.store.create_media(item).await?;
    let warnings = report.warnings.into_iter().map(|w| w.message).collect();
    Ok((item, warnings, created))
}

/// Offers a version of the image that meets the limits; stores nothing.
pub async fn fit(name: String, bytes: Vec<u8>) -> AppResult<FittedView> {
    let limits = MediaLimits::default();
    let original_bytes = bytes.len() as u64;
    let (report, bytes) =
        on_media_pool(move || (check_media(&name, &bytes, &limits), bytes)).await?;
    if let (true, Some(cleaned)) = (report.ok, report.cleaned) {
        let format = report.format.expect("an accepted file has a format");
        return Ok(FittedView {
            changed: false,
            format: format.as_str().into(),
            mime: format.mime().into(),
            bytes: cleaned.len() as u64,
            original_bytes,
            width: report.width.unwrap_or_default(),
            height: report.height.unwrap_or_default(),
            frames: report.frames.unwrap_or(1),
            data_base64: STANDARD.encode(cleaned),
        });
    }
    let fitted = on_media_pool(move || fit_media(&bytes, &limits))
        .await?
        .map_err(|e| {
            let code = match e {
                FitError::NotAnImage => "unsupported_format",
                FitError::Damaged(_) => "corrupt",
                FitError::TooManyPixels { .. } => "dimensions_too_large",
                FitError::CannotFit(_) => "cannot_fit",
            };
            AppError::MediaRejected(vec![tern_domain::media::Problem {
                code,
                message: e.to_string(),
            }])
        })?;
    Ok(FittedView {
        changed: true,
        format: fitted.format.as_str().into(),
        mime: fitted.format.mime().into(),
        bytes: fitted.bytes.len() as u64,
        original_bytes,
        width: fitted.width,
        height: fitted.height,
        frames: fitted.frames,
        data_base64: STANDARD.encode(fitted.bytes),
    })
}

/// The account's media, newest first.
pub async fn list(state: &AppState, account: &Account) -> AppResult<Vec<MediaView>> {
    let items = state.store.list_media(account.id).await?;
    Ok(items
        .into_iter()
        .map(|i| view(state, i, Vec::new()))
        .collect())
}

/// One media item.
pub async fn get(state: &AppState, account: &Account, media_id: &str) -> AppResult<MediaView> {
    let id: MediaId = media_id.parse().map_err(|_| AppError::NotFound)?;
    Ok(view(
        state,
        state.store.media(account.id, id).await?,
        Vec::new(),
    ))
}

/// Deletes a media item; its public address stops answering. An item that a campaign which may
/// still send (not completed, cancelled or archived) uses is kept, and the answer names them.
pub async fn delete(state: &AppState, account: &Account, media_id: &str) -> AppResult<MediaView> {
    let id: MediaId = media_id.parse().map_err(|_| AppError::NotFound)?;
    let using = state.store.campaigns_using_media(account.id, id).await?;
    if !using.is_empty() {
        return Err(AppError::Conflict(format!(
            "this picture is in the design of {}: remove it there, or complete, cancel or archive the campaign first",
            crate::campaigns::views::named(&using)
        )));
    }
    let item = state.store.delete_media(account.id, id).await?;
    blobs::delete(&*state.blobs, account.id, &item.sha256).await?;
    Ok(view(state, item, Vec::new()))
}

/// Checks and fits run on the blocking threads, at most [`MEDIA_WORKERS`] at once, so that
/// large images neither stall the async threads nor take every core. The work holds its permit
/// until it ends, even when the request that asked for it is gone.
async fn on_media_pool<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> AppResult<T> {
    static POOL: LazyLock<Arc<Semaphore>> =
        LazyLock::new(|| Arc::new(Semaphore::new(MEDIA_WORKERS)));
    let permit = Arc::clone(&POOL)
        .acquire_owned()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .map_err(|e| AppError::Internal(format!("media check: {e}")))
}

/// How many media checks or fits run at once.
pub const MEDIA_WORKERS: usize = 2;

fn view(state: &AppState, item: MediaItem, warnings: Vec<String>) -> MediaView {
    MediaView {
        id: item.id.to_string(),
        url: format!("{}/m/{}", state.public_url, item.token),
        format: item.format.as_str().into(),
        mime: item.format.mime().into(),
        bytes: item.bytes,
        original_bytes: item.original_bytes,
        width: item.width,
        height: item.height,
        frames: item.frames,
        file_name: item.file_name,
        sha256: item.sha256,
        created_at: item.created_at,
        warnings,
    }
}
