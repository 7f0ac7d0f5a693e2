//! Structured logs: text for people, JSON (`TERN_LOG_FORMAT=json`) for collectors.

use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// Logs go to stderr; `RUST_LOG` refines the filter. Admin commands log warnings only, so that
/// their stdout stays clean and their stderr quiet.
pub fn init(format: LogFormat, serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
