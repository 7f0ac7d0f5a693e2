//! The account's settings: read them all, change any of them. Twilio credentials are write-only.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tern_domain::{
    account::{
        FrequencyCap, InvalidSetting, Prices, QuietHours, SandboxSettings, Sender, SenderKind,
        is_sid,
    },
    phone::PhoneNumber,
};
use tern_store::{Account, AccountSettings, SealedTwilioCredentials};
use utoipa::ToSchema;

use crate::{AppResult, AppState, random};

/// The account's settings as the API shows them.
#[derive(Serialize, ToSchema)]
pub struct SettingsView {
    /// IANA timezone used when a contact's own is unknown.
    pub timezone: String,
    pub quiet_hours: QuietHoursBody,
    pub frequency_cap: Option<FrequencyCapBody>,
    pub opt_out_footer: String,
    pub help_reply: String,
    pub test_numbers: Vec<String>,
    pub prices: PricesBody,
    pub senders: Vec<SenderBody>,
    /// Whether Twilio credentials are stored; they are never shown.
    pub twilio_configured: bool,
    /// `twilio` with credentials, else `sandbox` (nothing leaves Tern).
    pub provider: String,
    pub sandbox: SandboxBody,
    /// Set by the operator only.
    pub mms_enabled: bool,
}

/// Local hours in which marketing messages may be sent.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursBody {
    /// "HH:MM", recipient's local time.
    pub allowed_from: String,
    pub allowed_until: String,
}

/// At most `messages` marketing messages per contact in `days` days.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FrequencyCapBody {
    pub messages: u32,
    pub days: u32,
}

/// Prices by country, for the cost estimate.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PricesBody {
    /// ISO 4217, e.g. "USD".
    pub currency: String,
    /// Country code to decimal price, e.g. {"US": "0.0079"}.
    pub per_segment: BTreeMap<String, String>,
    /// Country code to decimal price of one MMS; none by default.
    #[serde(default)]
    pub per_mms: BTreeMap<String, String>,
}

/// The sender of one country.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SenderBody {
    pub country: String,
    #[schema(value_type = String, example = "phone_number")]
    /// "phone_number", "short_code" or "messaging_service".
    pub kind: SenderKind,
    pub address: String,
    pub segments_per_second: u32,
}

/// How the sandbox provider behaves.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxBody {
    /// From the send to the `delivered` status callback, in milliseconds (0 to 60000).
    pub latency_ms: u32,
    /// Percent of messages (0 to 100) reported `undelivered` with error 30003.
    pub failure_percent: u8,
}

/// Twilio credentials, write-only.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwilioCredentialsBody {
    /// "AC" and 32 hex digits.
    pub account_sid: String,
    /// Also verifies Twilio's webhook signatures.
    pub auth_token: String,
    /// Optional API key ("SK…") used for REST calls instead of the Auth Token.
    pub api_key_sid: Option<String>,
    pub api_key_secret: Option<String>,
}

/// Any subset of the settings; absent fields keep their value. `twilio: null` removes the
/// credentials; `frequency_cap: null` removes the cap.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub timezone: Option<String>,
    pub quiet_hours: Option<QuietHoursBody>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<FrequencyCapBody>)]
    pub frequency_cap: Option<Option<FrequencyCapBody>>,
    pub opt_out_footer: Option<String>,
    pub help_reply: Option<String>,
    pub test_numbers: Option<Vec<String>>,
    pub prices: Option<PricesBody>,
    pub senders: Option<Vec<SenderBody>>,
    pub sandbox: Option<SandboxBody>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<TwilioCredentialsBody>)]
    pub twilio: Option<Option<TwilioCredentialsBody>>,
}

/// Tells an explicit `null` (Some(None)) from an absent field (None).
fn nullable<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The account's settings.
pub async fn get_settings(state: &AppState, account: &Account) -> AppResult<SettingsView> {
    let settings = state.store.settings(account.id).await?;
    Ok(view(settings, account.mms_enabled))
}

/// Changes some settings; nothing is changed when any field is refused.
pub async fn patch_settings(
    state: &AppState,
    account: &Account,
    patch: SettingsPatch,
) -> AppResult<SettingsView> {
    let mut settings = state.store.settings(account.id).await?;
    apply(&mut settings, patch, state)?;
    state.store.save_settings(account.id, &settings).await?;
    Ok(view(settings, account.mms_enabled))
}

fn apply(
    settings: &mut AccountSettings,
    patch: SettingsPatch,
    state: &AppState,
) -> Result<(), InvalidSetting> {
    if let Some(timezone) = patch.timezone {
        settings.timezone = timezone.parse()?;
    }
    if let Some(hours) = patch.quiet_hours {
        let hours = QuietHours {
            allowed_from: hours.allowed_from.parse()?,
            allowed_until: hours.allowed_until.parse()?,
        };
        hours.validate()?;
        settings.quiet_hours = hours;
    }
    if let Some(cap) = patch.frequency_cap {
        settings.frequency_cap = cap
            .map(|c| FrequencyCap {
                messages: c.messages,
                days: c.days,
            })
            .map(|c| c.validate().map(|()| c))
            .transpose()?;
    }
    if let Some(footer) = patch.opt_out_footer {
        settings.opt_out_footer = bounded_text("opt_out_footer", footer, 200)?;
    }
    if let Some(reply) = patch.help_reply {
        settings.help_reply = bounded_text("help_reply", reply, 1600)?;
    }
    if let Some(numbers) = patch.test_numbers {
        settings.test_numbers = test_numbers(numbers)?;
    }
    if let Some(prices) = patch.prices {
        settings.prices = Prices {
            currency: prices.currency,
            per_segment: prices.per_segment,
            per_mms: prices.per_mms,
        }
        .validate()?;
    }
    if let Some(senders) = patch.senders {
        settings.senders = senders
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                Sender {
                    country: s.country,
                    kind: s.kind,
                    address: s.address,
                    segments_per_second: s.segments_per_second,
                }
                .validate(i)
            })
            .collect::<Result<_, _>>()?;
        let mut countries: Vec<&str> = settings
            .senders
            .iter()
            .map(|s| s.country.as_str())
            .collect();
        countries.sort_unstable();
        if let Some(w) = countries.windows(2).find(|w| w[0] == w[1]) {
            return Err(InvalidSetting::new(
                "senders",
                format!("two senders for {}: one sender per country", w[0]),
            ));
        }
    }
    if let Some(sandbox) = patch.sandbox {
        let sandbox = SandboxSettings {
            latency_ms: sandbox.latency_ms,
            failure_percent: sandbox.failure_percent,
        };
        sandbox.validate()?;
        settings.sandbox = sandbox;
    }
    if let Some(twilio) = patch.twilio {
        settings.twilio = twilio.map(|t| seal(t, state)).transpose()?;
    }
    Ok(())
}

fn bounded_text(field: &str, text: String, max: usize) -> Result<String, InvalidSetting> {
    let units = text.encode_utf16().count();
    if units > max {
        return Err(InvalidSetting::new(
            field,
            format!("{units} characters; at most {max}"),
        ));
    }
    Ok(text)
}

fn test_numbers(numbers: Vec<String>) -> Result<Vec<String>, InvalidSetting> {
    if numbers.len() > 20 {
        return Err(InvalidSetting::new(
            "test_numbers",
            "at most 20 test numbers",
        ));
    }
    numbers
        .iter()
        .enumerate()
        .map(|(i, n)| {
            PhoneNumber::parse(n, None)
                .map(|p| p.e164().to_owned())
                .map_err(|e| InvalidSetting::new(format!("test_numbers[{i}]"), e.to_string()))
        })
        .collect()
}

fn seal(
    body: TwilioCredentialsBody,
    state: &AppState,
) -> Result<SealedTwilioCredentials, InvalidSetting> {
    if !is_sid(&body.account_sid, "AC") {
        return Err(InvalidSetting::new(
            "twilio.account_sid",
            "expected AC and 32 hex digits",
        ));
    }
    if body.auth_token.len() != 32 || !body.auth_token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(InvalidSetting::new(
            "twilio.auth_token",
            "expected 32 hex digits",
        ));
    }
    let api_key = match (body.api_key_sid, body.api_key_secret) {
        (None, None) => None,
        (Some(sid), Some(secret)) if is_sid(&sid, "SK") && !secret.trim().is_empty() => {
            Some((sid, secret))
        }
        (Some(sid), Some(_)) if !is_sid(&sid, "SK") => {
            return Err(InvalidSetting::new(
                "twilio.api_key_sid",
                "expected SK and 32 hex digits",
            ));
        }
        _ => {
            return Err(InvalidSetting::new(
                "twilio.api_key_secret",
                "give the API key SID and its secret together",
            ));
        }
    };
    let key = &state.secret_key;
    Ok(SealedTwilioCredentials {
        account_sid: body.account_sid,
        auth_token_sealed: key.seal(&body.auth_token, random()),
        api_key_sid: api_key.as_ref().map(|(sid, _)| sid.clone()),
        api_key_secret_sealed: api_key.map(|(_, secret)| key.seal(&secret, random())),
    })
}

fn view(s: AccountSettings, mms_enabled: bool) -> SettingsView {
    SettingsView {
        timezone: s.timezone.into(),
        quiet_hours: QuietHoursBody {
            allowed_from: s.quiet_hours.allowed_from.into(),
            allowed_until: s.quiet_hours.allowed_until.into(),
        },
        frequency_cap: s.frequency_cap.map(|c| FrequencyCapBody {
            messages: c.messages,
            days: c.days,
        }),
        opt_out_footer: s.opt_out_footer,
        help_reply: s.help_reply,
        test_numbers: s.test_numbers,
        prices: PricesBody {
            currency: s.prices.currency,
            per_segment: s.prices.per_segment,
            per_mms: s.prices.per_mms,
        },
        senders: s
            .senders
            .into_iter()
            .map(|s| SenderBody {
                country: s.country,
                kind: s.kind,
                address: s.address,
                segments_per_second: s.segments_per_second,
            })
            .collect(),
        twilio_configured: s.twilio.is_some(),
        provider: if s.twilio.is_some() {
            "twilio"
        } else {
            "sandbox"
        }
        .into(),
        sandbox: SandboxBody {
            latency_ms: s.sandbox.latency_ms,
            failure_percent: s.sandbox.failure_percent,
        },
        mms_enabled,
    }
}
