//! Twilio's Messaging API: Create Message, and the message list that reconciliation reads.
//! Requests are form-encoded with HTTP Basic auth (an API key or the account SID as user);
//! `TERN_TWILIO_API_BASE` points the client at another host (a mock, in tests).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tern_domain::delivery::outcome::{Next, ProviderStatus, after_send};

/// Twilio's API, unless `TERN_TWILIO_API_BASE` says otherwise.
pub const DEFAULT_API_BASE: &str = "https://api.twilio.com";

/// How to authenticate: the account and who signs in (an API key `SK…`, or the account itself).
#[derive(Clone)]
pub struct Credentials {
    pub account_sid: String,
    /// An API key SID, or the account SID.
    pub user: String,
    /// The API key's secret, or the auth token.
    pub secret: String,
}

/// Where a message leaves from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum From {
    /// A number in E.164 or a short code.
    Address(String),
    /// `MG…`: Twilio picks a number of the service.
    MessagingService(String),
}

/// One message to create.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// E.164.
    pub to: &'a str,
    pub from: From,
    pub body: &'a str,
    /// Public addresses of the pictures (MMS); at most 10.
    pub media_urls: &'a [String],
    pub status_callback: Option<&'a str>,
    /// Seconds Twilio may hold it before sending (1–36,000): a message that must not arrive
    /// late is dropped by Twilio too (error 30036) rather than delivered stale.
    pub validity_period: Option<u32>,
}

/// What came back from a Create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Accepted {
        sid: String,
        status: ProviderStatus,
    },
    /// An HTTP error; `code` is Twilio's when the body carries one.
    Refused {
        http_status: u16,
        code: Option<u32>,
        message: String,
    },
    /// No answer. `reached`: the request may have got to Twilio (a timeout after sending), as
    /// opposed to a connection that never opened.
    NoAnswer {
        reached: bool,
        reason: String,
    },
}

impl Answer {
    /// What to do next: nothing when accepted, else retry, reconcile or refuse.
    pub fn next(&self) -> Option<Next> {
        match self {
            Self::Accepted { .. } => None,
            Self::Refused {
                http_status, code, ..
            } => Some(after_send(Some(*http_status), *code)),
            Self::NoAnswer { reached: false, .. } => Some(Next::Retry),
            Self::NoAnswer { reached: true, .. } => Some(after_send(None, None)),
        }
    }
}

/// A message as Twilio's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Listed {
    pub sid: String,
    pub to: String,
    pub from: Option<String>,
    pub status: ProviderStatus,
    pub body: Option<String>,
    /// RFC 2822, as Twilio writes it.
    pub date_created: Option<String>,
    /// `outbound-api` for what the API created; `outbound-reply` for TwiML replies (HELP) and
    /// Twilio's own answers to STOP; `inbound`.
    #[serde(default)]
    pub direction: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    messages: Vec<Listed>,
    next_page_uri: Option<String>,
}

#[derive(Deserialize)]
struct Created {
    sid: String,
    status: ProviderStatus,
}

#[derive(Deserialize)]
struct TwilioError {
    code: Option<u32>,
    message: Option<String>,
    /// Validators (and some proxies) answer with RFC 7807 problems instead.
    detail: Option<String>,
    title: Option<String>,
}

/// Why a list could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListError(pub String);

/// Create Message's form body.
fn create_form(message: &Outgoing<'_>) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("To", message.to);
    match &message.from {
        From::Address(address) => form.append_pair("From", address),
        From::MessagingService(sid) => form.append_pair("MessagingServiceSid", sid),
    };
    if !message.body.is_empty() {
        form.append_pair("Body", message.body);
    }
    for url in message.media_urls {
        form.append_pair("MediaUrl", url);
    }
    if let Some(callback) = message.status_callback {
        form.append_pair("StatusCallback", callback);
    }
    if let Some(seconds) = message.validity_period {
        form.append_pair("ValidityPeriod", &seconds.to_string());
    }
    form.finish()
}

/// A client for one Twilio account.
#[derive(Clone)]
pub struct Twilio {
    http: reqwest::Client,
    base: String,
    credentials: Credentials,
}

impl Twilio {
    pub fn new(base: &str, credentials: Credentials) -> Self {
        Self::with_timeout(base, credentials, Duration::from_secs(15))
    }

    /// A client whose requests give up after `timeout` (which the outbox's lease must exceed).
    pub fn with_timeout(base: &str, credentials: Credentials, timeout: Duration) -> Self {
        // reqwest is built without a TLS provider (no C build): ring's, installed once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .pool_max_idle_per_host(256)
            .build()
            .expect("a client with timeouts only");
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            credentials,
        }
    }

    fn messages_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.base, self.credentials.account_sid
        )
    }

    /// Creates a message. Twilio's Create is not idempotent: a [`Answer::NoAnswer`] with
    /// `reached` must be reconciled through [`Twilio::list_to`] before any retry.
    pub async fn create(&self, message: &Outgoing<'_>) -> Answer {
        let form = create_form(message);
        let response = self
            .http
            .post(self.messages_url())
            .basic_auth(&self.credentials.user, Some(&self.credentials.secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            Err(error) => {
                return Answer::NoAnswer {
                    reached: !error.is_connect(),
                    reason: error.to_string(),
                };
            }
        };
        let status = response.status().as_u16();
        let text = match response.text().await {
            Ok(text) => text,
            Err(error) => {
                return Answer::NoAnswer {
                    reached: true,
                    reason: format!("the answer was cut: {error}"),
                };
            }
        };
        if (200..300).contains(&status) {
            return match serde_json::from_str::<Created>(&text) {
                Ok(created) => Answer::Accepted {
                    sid: created.sid,
                    status: created.status,
                },
                // Accepted, but unreadable: the message exists; reconcile finds it.
                Err(error) => Answer::NoAnswer {
                    reached: true,
                    reason: format!("Twilio's answer could not be read: {error}"),
                },
            };
        }
        let error: Option<TwilioError> = serde_json::from_str(&text).ok();
        let code = error.as_ref().and_then(|e| e.code);
        let message = error
            .and_then(|e| e.message.or(e.detail).or(e.title))
            .unwrap_or_else(|| format!("HTTP {status}"));
        Answer::Refused {
            http_status: status,
            code,
            message,
        }
    }

    /// The messages to `to` created since `since`, newest first: what reconciliation compares
    /// with the outbox. Not filtered by `DateSent`, which a message still queued lacks; pages
    /// are read until they reach older messages.
    pub async fn list_to(&self, to: &str, since: DateTime<Utc>) -> Result<Vec<Listed>, ListError> {
        let mut found = Vec::new();
        let mut url = format!(
            "{}?{}",
            self.messages_url(),
            form_urlencoded::Serializer::new(String::new())
                .append_pair("To", to)
                .append_pair("PageSize", "100")
                .finish()
        );
        // Twilio pages by `next_page_uri`; a bound keeps a misbehaving server from looping.
        for _ in 0..50 {
            let response = self
                .http
                .get(&url)
                .basic_auth(&self.credentials.user, Some(&self.credentials.secret))
                .send()
                .await
                .map_err(|e| ListError(e.to_string()))?;
            let status = response.status();
            let text = response
                .text()
                .await
                .map_err(|e| ListError(e.to_string()))?;
            if !status.is_success() {
                return Err(ListError(format!("HTTP {status}: {text}")));
            }
            let page: Page = serde_json::from_str(&text)
                .map_err(|e| ListError(format!("the list could not be read: {e}")))?;
            let older = page.messages.iter().any(|m| {
                m.date_created
                    .as_deref()
                    .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
                    .is_some_and(|d| d < since)
            });
            found.extend(page.messages);
            if older {
                return Ok(found);
            }
            match page.next_page_uri {
                Some(next) if !next.is_empty() => url = format!("{}{next}", self.base),
                _ => return Ok(found),
            }
        }
        Ok(found)
    }
}
