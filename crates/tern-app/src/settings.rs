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
use tern_domain::{domains::own_domains, writer::BrandVoice};
use tern_store::{Account, AccountSettings, SealedTwilioCredentials, StoreError};
use utoipa::ToSchema;

use crate::{Actor, AppError, AppResult, AppState, audit, random};

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
    /// Domains of the business (`shop.example`, subdomains included): links taken from
    /// contacts' attributes or events are shortened and tracked only there; any other such
    /// link is sent as plain text. Links written in templates are always tracked.
    pub own_domains: Vec<String>,
    /// Whether Segment `identify` calls (made with the public write key) may set consent through
    /// the `sms_consent` trait; off by default. Even when on, they never end an opt-out.
    pub identify_sets_consent: bool,
    /// The currency revenue is counted in (ISO 4217, `USD` by default); revenue that events
    /// report in another is listed apart, never converted.
    pub currency: String,
    /// How the account's messages sound: the AI writer follows it.
    pub brand_voice: BrandVoiceBody,
    /// Whether the Design step offers "Write with AI" (on by default).
    pub ai_writer: bool,
    /// Whether the operator configured an AI endpoint (`TERN_AI_URL`); without one the writer
    /// is not offered, whatever `ai_writer` says.
    pub ai_endpoint: bool,
    /// Grows with each change; also the `ETag`. Send it back as `If-Match` to change the
    /// settings only if nobody changed them since.
    pub revision: i64,
}

/// Local hours in which marketing messages may be sent.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursBody {
    /// "HH:MM", recipient's local time.
    pub allowed_from: String,
    pub allowed_until: String,
}

/// At most `messages` marketing messages per contact in `days` days.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FrequencyCapBody {
    pub messages: u32,
    pub days: u32,
}

/// Prices by country, for the cost estimate.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
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
#[derive(Clone, Serialize, Deserialize, ToSchema)]
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
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxBody {
    /// From the send to the `delivered` status callback, in milliseconds (0 to 60000).
    pub latency_ms: u32,
    /// Percent of messages (0 to 100) reported `undelivered` with error 30003.
    pub failure_percent: u8,
}

/// The brand voice the AI writer follows.
#[derive(Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BrandVoiceBody {
    /// How the messages sound (at most 500 characters).
    pub description: String,
    /// Words the messages like to use (at most 20).
    pub use_words: Vec<String>,
    /// Words no draft may contain (at most 50): a draft with one is rewritten once, then dropped.
    pub avoid_words: Vec<String>,
    /// Up to five messages in the brand's voice (at most 640 characters each).
    pub examples: Vec<String>,
}

/// Twilio credentials, write-only.
#[derive(Clone, Deserialize, ToSchema)]
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
#[derive(Clone, Deserialize, ToSchema)]
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
    pub own_domains: Option<Vec<String>>,
    pub identify_sets_consent: Option<bool>,
    /// Three letters (ISO 4217), e.g. `EUR`.
    pub currency: Option<String>,
    pub brand_voice: Option<BrandVoiceBody>,
    pub ai_writer: Option<bool>,
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
    Ok(view(settings, account.mms_enabled, state.writer.is_some()))
}

/// Changes some settings; nothing is changed when any field is refused. With `if_match` (the
/// revision the caller read), only if nobody changed them since (`AppError::Stale`); without
/// it, the patch is applied to whatever is current, never over a change saved meanwhile.
pub async fn patch_settings(
    state: &AppState,
    account: &Account,
    actor: Actor,
    patch: SettingsPatch,
    if_match: Option<i64>,
) -> AppResult<SettingsView> {
    let mut tries = 0;
    loop {
        tries += 1;
        let mut settings = state.store.settings(account.id).await?;
        if let Some(expected) = if_match
            && settings.revision != expected
        {
            return Err(stale(expected, settings.revision));
        }
        let read_at = settings.revision;
        let before = settings.clone();
        apply(&mut settings, patch.clone(), state)?;
        let changed = changed_fields(&before, &settings);
        if changed.is_empty() {
            return Ok(view(settings, account.mms_enabled, state.writer.is_some()));
        }
        match state.store.save_settings(account.id, &settings).await {
            Ok(revision) => {
                settings.revision = revision;
                audit::by(
                    state,
                    account.id,
                    actor,
                    "settings.changed",
                    None,
                    serde_json::json!({ "fields": changed, "revision": revision }),
                )
                .await;
                return Ok(view(settings, account.mms_enabled, state.writer.is_some()));
            }
            Err(StoreError::Conflict { .. }) if if_match.is_none() && tries < 4 => continue,
            Err(StoreError::Conflict { .. }) => return Err(stale(read_at, read_at + 1)),
            Err(e) => return Err(e.into()),
        }
    }
}

fn stale(expected: i64, current: i64) -> AppError {
    AppError::Stale(format!(
        "the settings changed since revision {expected} (now {current}): read them again"
    ))
}

/// The names of the fields whose values differ after the patch (never the values: credentials
/// are among them; new credentials count as a change even when equal, being sealed afresh).
fn changed_fields(before: &AccountSettings, after: &AccountSettings) -> Vec<String> {
    let (Ok(serde_json::Value::Object(before)), Ok(serde_json::Value::Object(after))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return vec!["settings".to_owned()];
    };
    after
        .iter()
        .filter(|(name, value)| before.get(*name) != Some(*value))
        .map(|(name, _)| name.clone())
        .collect()
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
    if let Some(domains) = patch.own_domains {
        settings.own_domains = own_domains(domains)?;
    }
    if let Some(currency) = patch.currency {
        if !tern_domain::goals::revenue::is_currency_code(currency.trim()) {
            return Err(InvalidSetting::new(
                "currency",
                "a currency code of three letters (ISO 4217), e.g. USD",
            ));
        }
        settings.currency = currency.trim().to_ascii_uppercase();
    }
    if let Some(voice) = patch.brand_voice {
        settings.brand_voice = BrandVoice {
            description: voice.description,
            use_words: voice.use_words,
            avoid_words: voice.avoid_words,
            examples: voice.examples,
        }
        .check()?;
    }
    if let Some(on) = patch.ai_writer {
        settings.ai_writer = on;
    }
    if let Some(allowed) = patch.identify_sets_consent {
        settings.identify_sets_consent = allowed;
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

fn view(s: AccountSettings, mms_enabled: bool, ai_endpoint: bool) -> SettingsView {
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
        own_domains: s.own_domains,
        identify_sets_consent: s.identify_sets_consent,
        currency: s.currency,
        brand_voice: BrandVoiceBody {
            description: s.brand_voice.description,
            use_words: s.brand_voice.use_words,
            avoid_words: s.brand_voice.avoid_words,
            examples: s.brand_voice.examples,
        },
        ai_writer: s.ai_writer,
        ai_endpoint,
        revision: s.revision,
    }
}
