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
        let path = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            crate::config::create_private_dir(parent)?;
        }
        if !path.is_empty() && !path.starts_with(':') {
            create_private_file(std::path::Path::new(path))?;
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

/// A new database file is made owner-only before SQLite opens it; SQLite gives its WAL and
/// shared-memory files the database file's mode.
fn create_private_file(path: &std::path::Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("create {}", path.display())),
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
