//! Configuration: defaults, then `tern.toml`, then `TERN_*` variables, then flags. Every value is
//! checked at start-up, and an error names the key that holds the bad value.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use serde::Deserialize;
use tern_domain::secret::SecretKey;

/// The file's keys: the `TERN_*` variables' names in lower case without the prefix.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    bind: Option<String>,
    public_url: Option<String>,
    secret_key: Option<String>,
    twilio_api_base: Option<String>,
    admin_token: Option<String>,
    data_dir: Option<PathBuf>,
    log_format: Option<String>,
    media_store: Option<String>,
    send_lease_secs: Option<u64>,
    fetch_private_addresses: Option<bool>,
    ai_url: Option<String>,
    ai_model: Option<String>,
    ai_api_key: Option<String>,
    ai_timeout_secs: Option<u64>,
}

/// Values given by flags or `TERN_*` variables (clap reads both), which win over the file.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct ConfigArgs {
    /// Configuration file [default: ./tern.toml when it exists]
    #[arg(long, global = true, env = "TERN_CONFIG")]
    pub config: Option<PathBuf>,
    /// sqlite://PATH (default: tern.db in the data folder) or postgres://…
    #[arg(long, global = true, env = "TERN_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Folder for the SQLite database and the generated secret key [default: ./tern-data]
    #[arg(long, global = true, env = "TERN_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, global = true, env = "TERN_BIND")]
    pub bind: Option<String>,
    /// The address Twilio reaches for media and callbacks
    #[arg(long, global = true, env = "TERN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Twilio's API address; tests point it at a local server
    #[arg(long, global = true, env = "TERN_TWILIO_API_BASE")]
    pub twilio_api_base: Option<String>,
    /// `text` or `json`
    #[arg(long, global = true, env = "TERN_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Where media bytes live: s3://bucket/prefix [default: the data folder]
    #[arg(long, global = true, env = "TERN_MEDIA_STORE")]
    pub media_store: Option<String>,
    /// Seconds a claimed message is held before its outcome counts as lost and is looked up at
    /// the provider (4 to 3600) [default: 60]
    #[arg(long, global = true, env = "TERN_SEND_LEASE_SECS")]
    pub send_lease_secs: Option<u64>,
    /// Let product pictures be fetched from private and loopback addresses (a shop on the
    /// same network; tests) [default: false]
    #[arg(long, global = true, env = "TERN_FETCH_PRIVATE_ADDRESSES")]
    pub fetch_private_addresses: Option<bool>,
    /// The AI writer's OpenAI-compatible endpoint, `/v1` included
    /// (e.g. http://127.0.0.1:11434/v1); without it the writer is not offered
    #[arg(long, global = true, env = "TERN_AI_URL")]
    pub ai_url: Option<String>,
    /// The model the AI writer asks for (e.g. gpt-4o-mini, llama3.2)
    #[arg(long, global = true, env = "TERN_AI_MODEL")]
    pub ai_model: Option<String>,
    /// Seconds a request for drafts may take, a rewrite included (1 to 120) [default: 10]
    #[arg(long, global = true, env = "TERN_AI_TIMEOUT_SECS")]
    pub ai_timeout_secs: Option<u64>,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The checked configuration.
#[derive(Debug)]
pub struct Config {
    pub database_url: String,
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub public_url: String,
    pub twilio_api_base: String,
    pub log_format: LogFormat,
    /// `None` means: read or generate the key file in the data folder.
    pub secret_key: Option<SecretKey>,
    pub admin_token: Option<String>,
    pub media_store: Option<String>,
    pub send_lease: std::time::Duration,
    pub fetch_private_addresses: bool,
    /// The AI writer's endpoint, when configured.
    pub ai: Option<tern_app::writer::AiConfig>,
}

impl Config {
    /// Layers the sources; secrets come from the environment or the file, never from flags
    /// (flags show in process listings).
    pub fn load(args: &ConfigArgs) -> anyhow::Result<Self> {
        let file = read_file(args.config.as_deref())?;
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("tern-data"));
        let database_url = args
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("tern.db").display()));
        if !["sqlite:", "postgres:", "postgresql:"]
            .iter()
            .any(|s| database_url.starts_with(s))
        {
            bail!(
                "TERN_DATABASE_URL (database_url): {database_url:?} is neither sqlite://… nor postgres://…"
            );
        }
        let bind_text = args
            .bind
            .clone()
            .or(file.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind_text.parse().with_context(|| {
            format!("TERN_BIND (bind): {bind_text:?} is not an address such as 127.0.0.1:8080")
        })?;
        let public_url = args
            .public_url
            .clone()
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{bind_text}"));
        check_url("TERN_PUBLIC_URL (public_url)", &public_url)?;
        let twilio_api_base = args
            .twilio_api_base
            .clone()
            .or(file.twilio_api_base)
            .unwrap_or_else(|| "https://api.twilio.com".into());
        check_url("TERN_TWILIO_API_BASE (twilio_api_base)", &twilio_api_base)?;
        let send_lease_secs = args.send_lease_secs.or(file.send_lease_secs).unwrap_or(60);
        if !(4..=3600).contains(&send_lease_secs) {
            bail!(
                "TERN_SEND_LEASE_SECS (send_lease_secs): {send_lease_secs} is not from 4 to 3600"
            );
        }
        let log_format = match args.log_format.clone().or(file.log_format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                bail!("TERN_LOG_FORMAT (log_format): {other:?} is neither text nor json")
            }
        };
        let secret_key = env("TERN_SECRET_KEY")
            .or(file.secret_key)
            .map(|hex| SecretKey::from_hex(&hex).context("TERN_SECRET_KEY (secret_key)"))
            .transpose()?;
        let admin_token = env("TERN_ADMIN_TOKEN").or(file.admin_token);
        if admin_token.as_ref().is_some_and(|t| t.len() < 16) {
            bail!("TERN_ADMIN_TOKEN (admin_token): use at least 16 characters");
        }
        let media_store = args.media_store.clone().or(file.media_store);
        let public_url = public_url.trim_end_matches('/').to_owned();
        let ai = ai_config(
            args.ai_url.clone().or(file.ai_url),
            args.ai_model.clone().or(file.ai_model),
            env("TERN_AI_API_KEY").or(file.ai_api_key),
            args.ai_timeout_secs.or(file.ai_timeout_secs),
        )?;
        Ok(Self {
            database_url,
            data_dir,
            bind,
            public_url,
            twilio_api_base,
            log_format,
            secret_key,
            admin_token,
            media_store,
            send_lease: std::time::Duration::from_secs(send_lease_secs),
            fetch_private_addresses: args
                .fetch_private_addresses
                .or(file.fetch_private_addresses)
                .unwrap_or(false),
            ai,
        })
    }

    /// The operator's key: configured, or generated once into the data folder.
    pub fn secret_key(&self) -> anyhow::Result<SecretKey> {
        if let Some(key) = &self.secret_key {
            return Ok(key.clone());
        }
        let path = self.data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(hex) => SecretKey::from_hex(&hex)
                .with_context(|| format!("{} holds no valid key", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                create_private_dir(&self.data_dir)?;
                let key = SecretKey::from_bytes(tern_app::random());
                write_private(&path, &key.to_hex())?;
                tracing::warn!(path = %path.display(), "TERN_SECRET_KEY is unset: generated a key; back it up, credentials cannot be read without it");
                Ok(key)
            }
            Err(e) => Err(e).with_context(|| format!("read {}", path.display())),
        }
    }
}

/// The AI endpoint: none without a URL; with one, a model is required.
fn ai_config(
    url: Option<String>,
    model: Option<String>,
    api_key: Option<String>,
    timeout_secs: Option<u64>,
) -> anyhow::Result<Option<tern_app::writer::AiConfig>> {
    let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
        return Ok(None);
    };
    check_url("TERN_AI_URL (ai_url)", &url)?;
    let authority = url
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default();
    if authority.contains('@') {
        bail!("TERN_AI_URL (ai_url): put the key in TERN_AI_API_KEY, not in the address");
    }
    let Some(model) = model.filter(|m| !m.trim().is_empty()) else {
        bail!("TERN_AI_MODEL (ai_model): name the model the endpoint at {url} should use");
    };
    let timeout_secs = timeout_secs.unwrap_or(10);
    if !(1..=120).contains(&timeout_secs) {
        bail!("TERN_AI_TIMEOUT_SECS (ai_timeout_secs): {timeout_secs} is not from 1 to 120");
    }
    Ok(Some(tern_app::writer::AiConfig {
        url: url.trim_end_matches('/').to_owned(),
        model,
        api_key,
        timeout: std::time::Duration::from_secs(timeout_secs),
    }))
}

fn read_file(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("tern.toml"), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).with_context(|| format!("{}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            Ok(FileConfig::default())
        }
        Err(e) => Err(e).with_context(|| format!("read {}", path.display())),
    }
}

fn check_url(key: &str, url: &str) -> anyhow::Result<()> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
        bail!("{key}: {url:?} is not an http:// or https:// address");
    }
    Ok(())
}

/// The data folder holds the database and the key: only its owner may enter it.
pub(crate) fn create_private_dir(path: &std::path::Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(path)
        .with_context(|| format!("create {}", path.display()))
}

pub(crate) fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("create {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("write {}", path.display()))
}
