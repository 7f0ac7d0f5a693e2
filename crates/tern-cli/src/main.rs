//! `tern`: the server and the operator's command line.

mod commands;
mod config;
mod store;
mod telemetry;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{
    commands::admin::{AccountsCommand, KeysCommand, UsersCommand},
    config::{Config, ConfigArgs},
};

/// Tern: SMS and MMS marketing campaigns, self-hosted.
#[derive(Parser)]
#[command(name = "tern", version, about)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and later the panel and workers).
    Serve(commands::serve::ServeArgs),
    /// Apply pending database migrations.
    Migrate {
        #[arg(long)]
        json: bool,
    },
    /// Manage accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage panel users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manage contacts.
    #[command(subcommand)]
    Contacts(commands::contacts::ContactsCommand),
    /// Measure message text.
    #[command(subcommand)]
    Message(commands::message::MessageCommand),
    /// Check media files for MMS.
    #[command(subcommand)]
    Media(commands::media::MediaCommand),
    /// Parse phone numbers.
    #[command(subcommand)]
    Phone(commands::phone::PhoneCommand),
}

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Message(command) => command.run(),
        Command::Media(command) => command.run(),
        Command::Phone(command) => command.run(),
        command => run_async(command, &cli.config),
    };
    match result {
        Ok(verdict) => verdict.exit_code(),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// The commands that use the database or the network.
fn run_async(command: Command, args: &ConfigArgs) -> anyhow::Result<commands::Verdict> {
    let config = Config::load(args)?;
    tern_app::install_tls_provider();
    telemetry::init(config.log_format, matches!(command, Command::Serve(_)));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let done = match command {
            Command::Contacts(command) => return command.run(&config).await,
            Command::Serve(args) => commands::serve::run(args, config).await,
            Command::Migrate { json } => commands::admin::migrate(&config, json).await,
            Command::Accounts(command) => command.run(&config).await,
            Command::Keys(command) => command.run(&config).await,
            Command::Users(command) => command.run(&config).await,
            Command::Message(_) | Command::Media(_) | Command::Phone(_) => {
                unreachable!("handled without a runtime")
            }
        };
        done.map(|()| commands::Verdict::Accepted)
    })
}

/// glibc gives each thread that allocates its own arena (up to 8 per core); with the database
/// threads and the runtime's, that held about 30 MB of a sending server's peak for no speed.
/// Two arenas keep it down. Called before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only changes the allocator's parameters; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
