//! Each account's provider, built from its settings: the settings are read again every few
//! seconds (not per message), and the provider is rebuilt only when they changed, so that
//! Twilio's connections are reused.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use tern_delivery::{
    provider::Provider,
    sandbox::{Sandbox, SandboxAccount},
    twilio::{Credentials, Twilio},
};
use tern_domain::{account::SandboxSettings, ids::AccountId};
use tern_store::{AccountSettings, SealedTwilioCredentials};

use tern_app::{AppError, AppState};

/// How long a built provider is used before the settings are read again.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// The `AccountSid` the sandbox uses for an account: `AC` and the account id's hex.
pub fn sandbox_account_sid(account: AccountId) -> String {
    format!("AC{}", account.as_uuid().simple())
}

/// The auth token the sandbox signs an account's callbacks with (the same on every node).
pub fn sandbox_auth_token(state: &AppState, account: AccountId) -> String {
    state
        .secret_key
        .derive(&format!("sandbox auth token {account}"))
}

/// The auth token and `AccountSid` Twilio's (or the sandbox's) webhooks for an account are
/// signed with.
pub fn webhook_identity(
    state: &AppState,
    account: AccountId,
    settings: &AccountSettings,
) -> Result<(String, String), AppError> {
    match &settings.twilio {
        Some(credentials) => {
            let token = state
                .secret_key
                .open(&credentials.auth_token_sealed)
                .map_err(|_| {
                    AppError::Internal(
                        "the Twilio auth token cannot be unsealed with this key".into(),
                    )
                })?;
            Ok((token, credentials.account_sid.clone()))
        }
        None => Ok((
            sandbox_auth_token(state, account),
            sandbox_account_sid(account),
        )),
    }
}

pub struct Providers {
    sandbox: Sandbox,
    twilio_api_base: String,
    /// Twilio's requests give up after this (the outbox's lease is longer).
    timeout: Duration,
    built: Mutex<HashMap<AccountId, Built>>,
}

/// A provider and the settings it was built from.
struct Built {
    read_at: Instant,
    from: (Option<SealedTwilioCredentials>, SandboxSettings),
    provider: Provider,
}

impl Providers {
    pub fn new(sandbox: Sandbox, twilio_api_base: &str, timeout: Duration) -> Self {
        Self {
            sandbox,
            twilio_api_base: twilio_api_base.to_owned(),
            timeout,
            built: Mutex::default(),
        }
    }

    pub async fn for_account(
        &self,
        state: &AppState,
        account: AccountId,
    ) -> Result<Provider, AppError> {
        if let Some(built) = self.built.lock().expect("providers").get(&account)
            && built.read_at.elapsed() < FRESH_FOR
        {
            return Ok(built.provider.clone());
        }
        let settings = state.store.settings(account).await?;
        let from = (settings.twilio.clone(), settings.sandbox);
        // Unchanged settings keep the provider, and with it Twilio's open connections.
        if let Some(built) = self.built.lock().expect("providers").get_mut(&account)
            && built.from == from
        {
            built.read_at = Instant::now();
            return Ok(built.provider.clone());
        }
        let provider = match &settings.twilio {
            Some(sealed) => {
                let open = |s: &str| {
                    state.secret_key.open(s).map_err(|_| {
                        AppError::Internal("Twilio credentials cannot be unsealed".into())
                    })
                };
                let (user, secret) = match (&sealed.api_key_sid, &sealed.api_key_secret_sealed) {
                    (Some(sid), Some(secret)) => (sid.clone(), open(secret)?),
                    _ => (sealed.account_sid.clone(), open(&sealed.auth_token_sealed)?),
                };
                Provider::Twilio(Twilio::with_timeout(
                    &self.twilio_api_base,
                    Credentials {
                        account_sid: sealed.account_sid.clone(),
                        user,
                        secret,
                    },
                    self.timeout,
                ))
            }
            None => Provider::Sandbox(
                self.sandbox.clone(),
                SandboxAccount {
                    account_sid: sandbox_account_sid(account),
                    auth_token: sandbox_auth_token(state, account),
                    settings: settings.sandbox,
                },
            ),
        };
        let built = Built {
            read_at: Instant::now(),
            from,
            provider: provider.clone(),
        };
        self.built.lock().expect("providers").insert(account, built);
        Ok(provider)
    }
}
