//! Media bytes in the blob store, at `{account}/{sha256}`: one code path for the data folder
//! and S3-compatible buckets.

use object_store::{ObjectStore, ObjectStoreExt, PutPayload, path::Path};
use tern_domain::ids::AccountId;

use crate::AppError;

fn location(account: AccountId, sha256: &str) -> Path {
    Path::from(format!("{account}/{sha256}"))
}

/// Stores `bytes`; storing the same content again is harmless.
pub async fn put(
    store: &dyn ObjectStore,
    account: AccountId,
    sha256: &str,
    bytes: Vec<u8>,
) -> Result<(), AppError> {
    store
        .put(&location(account, sha256), PutPayload::from(bytes))
        .await
        .map(|_| ())
        .map_err(unavailable)
}

/// The stored bytes; `NotFound` when they are gone.
pub async fn get(
    store: &dyn ObjectStore,
    account: AccountId,
    sha256: &str,
) -> Result<bytes::Bytes, AppError> {
    match store.get(&location(account, sha256)).await {
        Ok(result) => result.bytes().await.map_err(unavailable),
        Err(object_store::Error::NotFound { .. }) => Err(AppError::NotFound),
        Err(e) => Err(unavailable(e)),
    }
}

/// Removes the bytes; already gone is fine.
pub async fn delete(
    store: &dyn ObjectStore,
    account: AccountId,
    sha256: &str,
) -> Result<(), AppError> {
    match store.delete(&location(account, sha256)).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}

/// The store did not answer as it should (a bucket unreachable, a disk full): logged here with
/// the cause, answered as unavailable without it.
fn unavailable(error: object_store::Error) -> AppError {
    tracing::warn!(%error, "media store");
    AppError::Unavailable("the media store cannot be reached now; try again in a moment".into())
}

/// Opens the blob store `TERN_MEDIA_STORE` names: `s3://bucket[/prefix]` (credentials, region and
/// endpoint from the usual `AWS_*` variables), or, when unset, the `media` folder of `data_dir`.
pub fn open(
    url: Option<&str>,
    data_dir: &std::path::Path,
) -> Result<std::sync::Arc<dyn ObjectStore>, String> {
    use std::sync::Arc;

    use object_store::{aws::AmazonS3Builder, local::LocalFileSystem, prefix::PrefixStore};

    let Some(url) = url.filter(|u| !u.is_empty()) else {
        let folder = data_dir.join("media");
        std::fs::create_dir_all(&folder)
            .map_err(|e| format!("create {}: {e}", folder.display()))?;
        let store = LocalFileSystem::new_with_prefix(&folder)
            .map_err(|e| format!("{}: {e}", folder.display()))?;
        return Ok(Arc::new(store));
    };
    let Some(rest) = url.strip_prefix("s3://") else {
        return Err(format!(
            "TERN_MEDIA_STORE: {url:?} is not s3://bucket/prefix"
        ));
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err("TERN_MEDIA_STORE: the bucket name is missing".into());
    }
    crate::install_tls_provider();
    let s3 = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .build()
        .map_err(|e| format!("TERN_MEDIA_STORE: {e}"))?;
    let prefix = prefix.trim_matches('/');
    Ok(if prefix.is_empty() {
        Arc::new(s3)
    } else {
        Arc::new(PrefixStore::new(s3, prefix))
    })
}
