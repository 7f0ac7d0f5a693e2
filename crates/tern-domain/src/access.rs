//! Who may do what in an account's panel, and how fast a sign-in may be guessed at.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::account::InvalidSetting;

/// A panel user's role. An admin manages the account's users; a member does everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = InvalidSetting;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            _ => Err(InvalidSetting::new("role", "must be admin or member")),
        }
    }
}

/// Failed sign-ins in a row an e-mail may have before it must wait.
pub const FREE_FAILURES_PER_EMAIL: u32 = 5;
/// The same for one network address, which may be an office's many users.
pub const FREE_FAILURES_PER_ADDRESS: u32 = 20;
/// The longest wait, in seconds.
pub const MAX_WAIT_SECS: u64 = 15 * 60;

/// How long a key (an e-mail or an address) with `failures` failed sign-ins in a row must wait
/// before its next attempt: nothing for the first `free`, then 1 s, doubling with each failure
/// up to [`MAX_WAIT_SECS`]. Guessing then costs hours for a few dozen tries, while a user who
/// mistypes a few times waits seconds.
pub fn wait_after_failures(failures: u32, free: u32) -> u64 {
    match failures.checked_sub(free) {
        None => 0,
        Some(past) => 1u64
            .checked_shl(past)
            .map_or(MAX_WAIT_SECS, |w| w.min(MAX_WAIT_SECS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_after_the_free_failures_and_stop_growing() {
        let waits: Vec<u64> = (0..9).map(|f| wait_after_failures(f, 5)).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 1, 2, 4, 8]);
        assert_eq!(wait_after_failures(5 + 40, 5), MAX_WAIT_SECS);
        assert_eq!(wait_after_failures(u32::MAX, 5), MAX_WAIT_SECS);
    }

    #[test]
    fn roles_read_their_names_only() {
        assert_eq!("admin".parse::<Role>().unwrap(), Role::Admin);
        assert_eq!("member".parse::<Role>().unwrap(), Role::Member);
        assert!("owner".parse::<Role>().is_err());
    }
}
