//! The conformance stories on a fresh PostgreSQL database per test, when
//! `TERN_TEST_POSTGRES_URL` names a server (`.ci/run` sets it).

use std::sync::Arc;

use tern_store::{Health, Store};
use tern_store_postgres::{PostgresStore, create_scratch_database};

async fn fresh() -> Option<Arc<dyn Store>> {
    let admin_url = std::env::var("TERN_TEST_POSTGRES_URL").ok()?;
    let url = create_scratch_database(&admin_url)
        .await
        .expect("create a scratch database");
    let store = PostgresStore::connect(&url)
        .await
        .expect("connect to PostgreSQL");
    store.migrate().await.expect("migrate");
    Some(Arc::new(store))
}

tern_store::conformance_suite!(fresh);
