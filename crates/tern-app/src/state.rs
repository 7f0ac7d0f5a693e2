use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use object_store::ObjectStore;
use tern_domain::secret::SecretKey;
use tern_store::Store;

/// What every use case, worker and handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Seals Twilio credentials at rest.
    pub secret_key: SecretKey,
    /// The operator's token for `/api/v1/admin/*`; without it the admin API is closed.
    pub admin_token: Option<Arc<str>>,
    pub metrics: PrometheusHandle,
    /// Where media bytes live: the data folder, or an S3-compatible bucket.
    pub blobs: Arc<dyn ObjectStore>,
    /// `TERN_PUBLIC_URL`, without a trailing slash: media addresses start with it.
    pub public_url: Arc<str>,
    /// The database's clock, which sending is judged by.
    pub clock: crate::Clock,
    /// `TERN_FETCH_PRIVATE_ADDRESSES`: product pictures may come from private and loopback
    /// addresses (off: only public ones, so that a shop's URL cannot reach the node's network).
    pub fetch_private_addresses: bool,
    /// The AI text generator's endpoint (`TERN_AI_URL`), when the operator configured one.
    pub writer: Option<Arc<crate::writer::Writer>>,
}
