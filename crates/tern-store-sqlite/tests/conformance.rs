//! The conformance stories on a fresh SQLite database per test.

use std::sync::Arc;

use tern_store::{Health, Store};
use tern_store_sqlite::SqliteStore;

async fn fresh() -> Option<Arc<dyn Store>> {
    let path = std::env::temp_dir().join(format!("tern-conformance-{}.db", uuid::Uuid::new_v4()));
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open SQLite");
    store.migrate().await.expect("migrate");
    Some(Arc::new(store))
}

tern_store::conformance_suite!(fresh);
