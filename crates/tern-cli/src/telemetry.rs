//! Structured logs: text for people, JSON (`TERN_LOG_FORMAT=json`) for collectors.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// Logs go to stderr; `RUST_LOG` refines the filter. Admin commands log warnings only, so that
/// their stdout stays clean and their stderr quiet.
pub fn init(format: LogFormat, serving: bool) {
    let default = if serving { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // A log pipe that closes must not take the server down: tracing would otherwise report the
    // failed write with eprintln!, which panics on a closed stderr.
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only where a person reads them: a file or a collector gets plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .log_internal_errors(false);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
