//! `tern serve`: the API, the panel and the delivery workers, by role, in one process.

use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use metrics_exporter_prometheus::PrometheusBuilder;
use tern_app::AppState;

use crate::{config::Config, store};

#[derive(Args)]
pub struct ServeArgs {
    /// Run only these roles (comma-separated) [default: all]
    #[arg(long, value_enum, value_delimiter = ',')]
    role: Vec<Role>,
    /// Make a demo account to look around in (once), and print its login
    #[arg(long)]
    demo: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Debug)]
enum Role {
    /// The JSON API, webhooks and operations endpoints.
    Api,
    /// The marketer's web panel.
    Panel,
    /// Delivery workers.
    Worker,
}

pub async fn run(args: ServeArgs, config: Config) -> anyhow::Result<()> {
    let roles = if args.role.is_empty() {
        vec![Role::Api, Role::Panel, Role::Worker]
    } else {
        args.role
    };
    let started = std::time::Instant::now();
    // Before anything writes into it (the media store would make it readable by all).
    crate::config::create_private_dir(&config.data_dir)?;
    let store = store::open_migrated(&config).await?;
    let secret_key = config.secret_key()?;
    // Every node of one database must hold the same key, or none can read the credentials the
    // others sealed: the first node's key is recorded (as a fingerprint) and others refused.
    let fingerprint = secret_key.derive("key fingerprint");
    let recorded = store.key_fingerprint(&fingerprint).await?;
    if recorded != fingerprint {
        anyhow::bail!(
            "this database's credentials are sealed with another secret key (fingerprint {recorded}; \
             this node's is {fingerprint}): set TERN_SECRET_KEY to the key the first node uses \
             (TERN_SECRET_KEY, or secret.key in its data folder)"
        );
    }
    let metrics = PrometheusBuilder::new()
        .install_recorder()
        .context("install the metrics recorder")?;
    let blobs = tern_app::blobs::open(config.media_store.as_deref(), &config.data_dir)
        .map_err(anyhow::Error::msg)?;
    let state = AppState {
        store,
        secret_key,
        admin_token: config.admin_token.clone().map(Arc::from),
        metrics,
        blobs,
        public_url: config.public_url.as_str().into(),
        clock: tern_app::Clock::default(),
        fetch_private_addresses: config.fetch_private_addresses,
        writer: config
            .ai
            .clone()
            .map(|ai| Arc::new(tern_app::writer::Writer::new(ai))),
    };
    // Every role judges times by the database's clock (a launch's send time, the workers'
    // leases), measured again now and then.
    tokio::spawn(state.clock.clone().keep_synced(state.store.clone()));
    if roles.contains(&Role::Worker) {
        tern_sending::spawn_workers(
            state.clone(),
            tern_sending::WorkerOptions {
                twilio_api_base: config.twilio_api_base.clone(),
                dispatch: tern_sending::DispatchOptions {
                    lease: config.send_lease,
                    ..Default::default()
                },
            },
        );
    }
    // The panel's scripts call the API, so a node serving either serves both.
    if !roles.contains(&Role::Api) && !roles.contains(&Role::Panel) {
        tracing::info!("no role that serves HTTP was chosen; the workers run until stopped");
        shutdown_signal()?.await;
        return Ok(());
    }
    // Listen for signals before announcing readiness, so a stop that follows at once is graceful.
    let stop = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("TERN_BIND: listen on {}", config.bind))?;
    if args.demo {
        demo(&state, &config).await?;
    }
    tracing::info!(address = %listener.local_addr()?, public_url = %config.public_url, twilio_api_base = %config.twilio_api_base, backend = if config.database_url.starts_with("sqlite") { "sqlite" } else { "postgres" }, startup_ms = started.elapsed().as_millis() as u64, "tern is serving");
    axum::serve(
        listener,
        tern_http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(stop)
    .await
    .context("serve HTTP")?;
    tracing::info!("stopped");
    Ok(())
}

/// Seeds the demo account once; prints its login (kept owner-only in the data folder, since only
/// its hash is stored).
async fn demo(state: &AppState, config: &Config) -> anyhow::Result<()> {
    let file = config.data_dir.join("demo-login.txt");
    let login = match tern_http::demo::seed(state).await? {
        Some(login) => {
            let text = format!("e-mail: {}\npassword: {}\n", login.email, login.password);
            crate::config::create_private_dir(&config.data_dir)?;
            let _ = std::fs::remove_file(&file);
            crate::config::write_private(&file, &text)?;
            text
        }
        None => std::fs::read_to_string(&file).unwrap_or_else(|_| {
            format!("the demo account exists; its login was printed when it was made (not found in {})\n", file.display())
        }),
    };
    println!(
        "\nTern demo: open {}/login and sign in with\n{login}",
        config.public_url
    );
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM: stop accepting, finish what is in flight. The handlers are
/// installed when this is called, not when the future is first polled.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("listen for SIGTERM")?;
    Ok(async move {
        tokio::select! { _ = interrupt.recv() => {}, _ = terminate.recv() => {} }
        tracing::info!("shutting down");
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
}
