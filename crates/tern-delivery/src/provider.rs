//! The provider an account's messages leave through: Twilio with the account's credentials, or
//! the sandbox. Reconciliation asks either for what it holds.

use chrono::{DateTime, Duration, Utc};

use crate::{
    sandbox::{Sandbox, SandboxAccount},
    twilio::{Answer, ListError, Listed, Outgoing, Twilio},
};

#[derive(Clone)]
pub enum Provider {
    Twilio(Twilio),
    Sandbox(Sandbox, SandboxAccount),
}

/// A message found at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub sid: String,
    pub status: tern_domain::delivery::outcome::ProviderStatus,
}

impl Provider {
    pub async fn create(&self, message: &Outgoing<'_>) -> Answer {
        match self {
            Self::Twilio(twilio) => twilio.create(message).await,
            Self::Sandbox(sandbox, account) => sandbox.create(account, message),
        }
    }

    /// The messages to `to` that the provider created since `since` (a minute of clock
    /// difference allowed), newest first: what reconciliation matches lost attempts against.
    pub async fn list_to(&self, to: &str, since: DateTime<Utc>) -> Result<Vec<Listed>, ListError> {
        let earliest = since - Duration::minutes(1);
        let listed = match self {
            Self::Twilio(twilio) => twilio.list_to(to, earliest).await?,
            Self::Sandbox(sandbox, account) => sandbox.list_to(&account.account_sid, to),
        };
        Ok(listed
            .into_iter()
            .filter(|m| {
                m.date_created
                    .as_deref()
                    .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
                    .is_none_or(|d| d >= earliest)
            })
            .collect())
    }
}
