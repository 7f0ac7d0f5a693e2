//! The sandbox: a provider that behaves like Twilio without sending anything, for accounts
//! without Twilio credentials (demos, tests, trials). It answers Create with Twilio-like SIDs
//! and statuses, refuses Twilio's test numbers as Twilio does, keeps a list of what it accepted
//! (for reconciliation), and reports each message's progress by status callbacks signed with
//! the account's sandbox auth token, so that they take the webhook's own path.

use std::{
    cmp::Reverse,
    collections::{BinaryHeap, HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::Utc;
use tern_domain::{
    account::SandboxSettings,
    delivery::{outcome::ProviderStatus, signature},
};
use tokio::{sync::mpsc, time::Instant};

use crate::twilio::{Answer, From, Listed, Outgoing};

/// How many accepted messages the sandbox remembers per account (the oldest are forgotten).
pub const REMEMBERED: usize = 20_000;

/// A status callback to deliver: the URL Twilio would POST to, the form, and its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub url: String,
    pub params: Vec<(String, String)>,
    pub signature: String,
}

/// One account as the sandbox sees it.
#[derive(Debug, Clone)]
pub struct SandboxAccount {
    /// `AC` and 32 hex digits.
    pub account_sid: String,
    pub auth_token: String,
    pub settings: SandboxSettings,
}

/// What a test number does, as with Twilio's test credentials.
fn test_number(to: &str) -> Option<(u32, &'static str)> {
    match to {
        "+15005550001" => Some((
            21211,
            "The 'To' number +15005550001 is not a valid phone number.",
        )),
        "+15005550002" => Some((21612, "The 'To' phone number is not currently reachable.")),
        "+15005550003" => Some((
            21408,
            "Permission to send an SMS has not been enabled for the region.",
        )),
        "+15005550004" => Some((21610, "Attempt to send to unsubscribed recipient")),
        "+15005550009" => Some((21614, "'To' number is not a valid mobile number")),
        _ => None,
    }
}

/// A callback waiting for its time; the heap pops the earliest (then the first scheduled).
struct Pending {
    at: Instant,
    order: u64,
    callback: Callback,
}

impl Pending {
    fn key(&self) -> Reverse<(Instant, u64)> {
        Reverse((self.at, self.order))
    }
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// The sandbox of every account on this node.
#[derive(Clone)]
pub struct Sandbox {
    sent: Arc<Mutex<HashMap<String, VecDeque<Listed>>>>,
    schedule: mpsc::UnboundedSender<(Instant, Callback)>,
}

impl Sandbox {
    /// The sandbox and the callbacks it emits, each when it falls due.
    pub fn start() -> (Self, mpsc::UnboundedReceiver<Callback>) {
        let (schedule, mut requests) = mpsc::unbounded_channel::<(Instant, Callback)>();
        let (due, callbacks) = mpsc::unbounded_channel();
        // One timer for all callbacks, however many messages are pending.
        tokio::spawn(async move {
            let mut pending: BinaryHeap<Pending> = BinaryHeap::new();
            let mut order = 0_u64;
            loop {
                let next = pending.peek().map(|p| p.at);
                tokio::select! {
                    request = requests.recv() => match request {
                        Some((at, callback)) => {
                            order += 1;
                            pending.push(Pending { at, order, callback });
                        }
                        None => return,
                    },
                    () = sleep_until(next) => {
                        while pending.peek().is_some_and(|p| p.at <= Instant::now()) {
                            let callback = pending.pop().expect("peeked").callback;
                            if due.send(callback).is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        });
        let sandbox = Self {
            sent: Arc::default(),
            schedule,
        };
        (sandbox, callbacks)
    }

    /// Answers a Create as Twilio would, and schedules the message's callbacks.
    pub fn create(&self, account: &SandboxAccount, message: &Outgoing<'_>) -> Answer {
        if let Some((code, text)) = test_number(message.to) {
            return Answer::Refused {
                http_status: 400,
                code: Some(code),
                message: text.to_owned(),
            };
        }
        let sid = format!(
            "{}{}",
            if message.media_urls.is_empty() {
                "SM"
            } else {
                "MM"
            },
            random_hex()
        );
        let from = match &message.from {
            From::Address(address) => address.clone(),
            From::MessagingService(sid) => sid.clone(),
        };
        let listed = Listed {
            sid: sid.clone(),
            to: message.to.to_owned(),
            from: Some(from.clone()),
            status: ProviderStatus::Queued,
            body: Some(message.body.to_owned()),
            date_created: Some(Utc::now().to_rfc2822()),
            direction: Some("outbound-api".into()),
        };
        {
            let mut sent = self.sent.lock().expect("sandbox list");
            let list = sent.entry(account.account_sid.clone()).or_default();
            list.push_back(listed);
            if list.len() > REMEMBERED {
                list.pop_front();
            }
        }
        if let Some(url) = message.status_callback {
            let latency = Duration::from_millis(u64::from(account.settings.latency_ms));
            let failed = random_percent() < u32::from(account.settings.failure_percent);
            let last = if failed { "undelivered" } else { "delivered" };
            let now = Instant::now();
            for (at, status) in [(now + latency / 2, "sent"), (now + latency, last)] {
                let mut params = vec![
                    ("AccountSid".to_owned(), account.account_sid.clone()),
                    ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
                    ("From".to_owned(), from.clone()),
                    ("MessageSid".to_owned(), sid.clone()),
                    ("MessageStatus".to_owned(), status.to_owned()),
                    ("SmsSid".to_owned(), sid.clone()),
                    ("SmsStatus".to_owned(), status.to_owned()),
                    ("To".to_owned(), message.to.to_owned()),
                ];
                if status == "undelivered" {
                    params.push(("ErrorCode".to_owned(), "30003".to_owned()));
                }
                let callback = Callback {
                    signature: signature::sign(&account.auth_token, url, &params),
                    url: url.to_owned(),
                    params,
                };
                let _ = self.schedule.send((at, callback));
            }
        }
        Answer::Accepted {
            sid,
            status: ProviderStatus::Queued,
        }
    }

    /// What the sandbox accepted for `to` on this account, newest first.
    pub fn list_to(&self, account_sid: &str, to: &str) -> Vec<Listed> {
        let sent = self.sent.lock().expect("sandbox list");
        sent.get(account_sid)
            .map(|list| list.iter().rev().filter(|m| m.to == to).cloned().collect())
            .unwrap_or_default()
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn random_hex() -> String {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    hex::encode(bytes)
}

fn random_percent() -> u32 {
    let mut bytes = [0_u8; 4];
    getrandom::fill(&mut bytes).expect("the OS has randomness");
    u32::from_le_bytes(bytes) % 100
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(latency_ms: u32, failure_percent: u8) -> SandboxAccount {
        SandboxAccount {
            account_sid: format!("AC{}", "a".repeat(32)),
            auth_token: "token".into(),
            settings: SandboxSettings {
                latency_ms,
                failure_percent,
            },
        }
    }

    fn outgoing(to: &str) -> Outgoing<'_> {
        Outgoing {
            to,
            from: From::Address("+15005550006".into()),
            body: "Hello",
            media_urls: &[],
            status_callback: Some("https://tern.example/webhooks/twilio/status?account=x"),
            validity_period: None,
        }
    }

    #[tokio::test]
    async fn accepted_messages_are_listed_and_reported_sent_then_delivered() {
        let (sandbox, mut callbacks) = Sandbox::start();
        let account = account(20, 0);
        let Answer::Accepted { sid, status } = sandbox.create(&account, &outgoing("+14155550100"))
        else {
            panic!("accepted expected");
        };
        assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");
        assert_eq!(status, ProviderStatus::Queued);
        let listed = sandbox.list_to(&account.account_sid, "+14155550100");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].body.as_deref(), Some("Hello"));
        assert!(
            sandbox
                .list_to(&account.account_sid, "+14155550199")
                .is_empty()
        );

        let statuses: Vec<Callback> = vec![
            callbacks.recv().await.unwrap(),
            callbacks.recv().await.unwrap(),
        ];
        let status_of = |c: &Callback| {
            c.params
                .iter()
                .find(|(k, _)| k == "MessageStatus")
                .unwrap()
                .1
                .clone()
        };
        assert_eq!(status_of(&statuses[0]), "sent");
        assert_eq!(status_of(&statuses[1]), "delivered");
        // Signed as Twilio signs: the webhook verifies it with the account's sandbox token.
        assert!(signature::verify(
            "token",
            &statuses[1].url,
            &statuses[1].params,
            &statuses[1].signature
        ));
    }

    #[tokio::test]
    async fn test_numbers_are_refused_with_twilios_codes_and_failures_are_undelivered() {
        let (sandbox, mut callbacks) = Sandbox::start();
        let refused = sandbox.create(&account(0, 0), &outgoing("+15005550004"));
        assert!(matches!(
            refused,
            Answer::Refused {
                code: Some(21610),
                ..
            }
        ));
        assert!(matches!(
            sandbox.create(&account(0, 0), &outgoing("+15005550009")),
            Answer::Refused {
                code: Some(21614),
                ..
            }
        ));
        sandbox.create(&account(0, 100), &outgoing("+14155550100"));
        callbacks.recv().await.unwrap();
        let last = callbacks.recv().await.unwrap();
        assert!(
            last.params
                .contains(&("MessageStatus".into(), "undelivered".into()))
        );
        assert!(last.params.contains(&("ErrorCode".into(), "30003".into())));
    }
}
