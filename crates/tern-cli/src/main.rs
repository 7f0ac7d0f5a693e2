//! `tern`: the operator's command line.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Tern: SMS and MMS marketing campaigns, self-hosted.
#[derive(Parser)]
#[command(name = "tern", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Message(command) => command.run(),
        Command::Media(command) => command.run(),
        Command::Phone(command) => command.run(),
    };
    match result {
        Ok(verdict) => verdict.exit_code(),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
