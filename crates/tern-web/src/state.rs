use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use tern_domain::secret::SecretKey;
use tern_store::Store;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Seals Twilio credentials at rest.
    pub secret_key: SecretKey,
    /// The operator's token for `/api/v1/admin/*`; without it the admin API is closed.
    pub admin_token: Option<Arc<str>>,
    pub metrics: PrometheusHandle,
}
