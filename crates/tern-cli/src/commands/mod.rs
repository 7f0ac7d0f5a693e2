//! One module per command group; each prints JSON and says whether every input was accepted.

pub mod admin;
pub mod contacts;
pub mod media;
pub mod message;
pub mod phone;
pub mod serve;

use std::process::ExitCode;

use serde::Serialize;

/// Whether every input of a command was accepted.
pub enum Verdict {
    Accepted,
    Rejected,
}

impl Verdict {
    pub fn all(accepted: impl IntoIterator<Item = bool>) -> Self {
        if accepted.into_iter().all(|ok| ok) {
            Self::Accepted
        } else {
            Self::Rejected
        }
    }

    /// 0 when all inputs were accepted, 1 when one was rejected.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Self::Accepted => ExitCode::SUCCESS,
            Self::Rejected => ExitCode::from(1),
        }
    }
}

/// Prints one object for one input, an array for several.
fn print_json<T: Serialize>(reports: &[T]) -> anyhow::Result<()> {
    let json = match reports {
        [one] => serde_json::to_string_pretty(one)?,
        many => serde_json::to_string_pretty(many)?,
    };
    println!("{json}");
    Ok(())
}
