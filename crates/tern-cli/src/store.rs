//! The one place that picks a storage backend: by the database URL's scheme.

use std::sync::Arc;

use anyhow::Context;
use tern_store::Store;
use tern_store_postgres::PostgresStore;
use tern_store_sqlite::SqliteStore;

use crate::config::Config;

/// Opens the configured database (creating the SQLite data folder if needed), without migrating.
pub async fn open(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let url = &config.database_url;
    if url.starts_with("sqlite:") {
        if let Some(parent) = std::path::Path::new(
            url.trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:"),
        )
        .parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("create {}", parent.display()))?;
        }
        Ok(Arc::new(
            SqliteStore::connect(url)
                .await
                .with_context(|| format!("open {url}"))?,
        ))
    } else {
        let store = PostgresStore::connect(url)
            .await
            .with_context(|| format!("connect to {}", redact(url)))?;
        Ok(Arc::new(store))
    }
}

/// Opens the database and applies pending migrations.
pub async fn open_migrated(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = open(config).await?;
    store.migrate().await.context("apply migrations")?;
    Ok(store)
}

/// Hides a password in a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme && url[scheme + 3..at].contains(':') => {
            let user = url[scheme + 3..at].split(':').next().unwrap_or_default();
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}
