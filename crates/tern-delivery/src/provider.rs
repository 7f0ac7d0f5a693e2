//! The provider an account's messages leave through: Twilio with the account's credentials, or
//! the sandbox. Reconciliation asks either for what it holds.

use chrono::{DateTime, Duration, Utc};

use crate::{
    sandbox::{Sandbox, SandboxAccount},
    twilio::{Answer, ListError, Outgoing, Twilio},
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

    /// The message with this recipient and text that the provider created since `since` (a
    /// minute of clock difference allowed), if any: what an attempt whose answer was lost left.
    pub async fn find(
        &self,
        to: &str,
        body: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<Found>, ListError> {
        let earliest = since - Duration::minutes(1);
        let listed = match self {
            Self::Twilio(twilio) => twilio.list_to(to, earliest).await?,
            Self::Sandbox(sandbox, account) => sandbox.list_to(&account.account_sid, to),
        };
        Ok(listed
            .into_iter()
            .filter(|m| m.body.as_deref() == Some(body))
            .find(|m| {
                m.date_created
                    .as_deref()
                    .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
                    .is_none_or(|d| d >= earliest)
            })
            .map(|m| Found {
                sid: m.sid,
                status: m.status,
            }))
    }
}
