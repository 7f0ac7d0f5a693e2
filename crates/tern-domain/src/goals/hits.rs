//! Tracked-link hits that were not a person's click: link previewers, scanners and scripts.
//! Previewers still get the page (its preview tags are what the recipient sees), but a campaign's
//! clicks count only people.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// One request to a tracked link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub at: DateTime<Utc>,
    /// A HEAD request.
    pub head: bool,
    pub user_agent: Option<String>,
    /// The request carried an Accept-Language header.
    pub accept_language: bool,
    /// The client's IP address, for bursts.
    pub address: Option<String>,
    /// The delivery receipt of the message the link was in.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Why a hit is not a person's click.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BotReason {
    Previewer,
    BotAgent,
    NoAgent,
    Head,
    NoAcceptLanguage,
    TooSoon,
    Burst,
}

impl BotReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Previewer => "previewer",
            Self::BotAgent => "bot_agent",
            Self::NoAgent => "no_agent",
            Self::Head => "head",
            Self::NoAcceptLanguage => "no_accept_language",
            Self::TooSoon => "too_soon",
            Self::Burst => "burst",
        }
    }

    /// The reason in a marketer's words.
    pub fn explain(self) -> &'static str {
        match self {
            Self::Previewer => {
                "A messaging app fetched the link to show a preview; nobody tapped it"
            }
            Self::BotAgent => "A crawler or script opened the link, not a browser",
            Self::NoAgent => "The request named no browser, which every phone does",
            Self::Head => "The request only checked that the link works, without opening the page",
            Self::NoAcceptLanguage => "The request asked for no language, which every browser does",
            Self::TooSoon => {
                "Opened within 3 seconds of delivery, faster than anyone reads and taps"
            }
            Self::Burst => "One address opened links 5 or more times in 10 seconds, like a scanner",
        }
    }
}

/// A hit less than this after the delivery receipt came before anyone could read the message.
pub const TOO_SOON: TimeDelta = TimeDelta::seconds(3);
/// This many hits from one address within [`BURST_WINDOW`] are a scanner, not a person.
pub const BURST_HITS: usize = 5;
/// The span within which [`BURST_HITS`] hits are a burst.
pub const BURST_WINDOW: TimeDelta = TimeDelta::seconds(10);

/// Previewers, lower-case. Apple's iMessage previewer poses as Safari but ends in
/// `facebookexternalhit/1.1 Facebot Twitterbot/1.0`. Pinterest is matched by its crawler's
/// address, since the Pinterest app's own browser says `[Pinterest/iOS]`.
const PREVIEWERS: &[&str] = &[
    "facebookexternalhit",
    "google-pagerenderer",
    "googlemessages",
    "developers.google.com/+/web/snippet",
    "twitterbot",
    "slackbot",
    "whatsapp",
    "telegrambot",
    "discordbot",
    "linkedinbot",
    "skypeuripreview",
    "viber",
    "pinterestbot",
    "pinterest.com/bot",
    "redditbot",
    "embedly",
];

/// Crawlers and HTTP libraries, lower-case.
const BOT_AGENTS: &[&str] = &[
    "bot",
    "crawler",
    "spider",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "okhttp",
    "headlesschrome",
    "java/",
    "libwww",
    "httpclient",
    "axios/",
    "node-fetch",
    "scrapy",
];

/// Phones whose model name contains "bot" (CUBOT_X19), removed before [`BOT_AGENTS`] are sought.
const PHONES_NAMED_BOT: &[&str] = &["cubot"];

/// Whether a user agent is a link previewer (they must get the page's preview tags, but are not
/// clicks).
pub fn is_previewer(user_agent: &str) -> bool {
    let agent = user_agent.to_ascii_lowercase();
    PREVIEWERS.iter().any(|p| agent.contains(p))
}

/// The reasons each hit is not a person's click, in the hits' order; empty = human. Bursts are
/// judged across the whole slice: a hit is `Burst` when it falls in a run of [`BURST_HITS`] or
/// more hits from one address spanning at most [`BURST_WINDOW`].
pub fn classify(hits: &[Hit]) -> Vec<Vec<BotReason>> {
    let bursts = bursts(hits);
    hits.iter()
        .zip(bursts)
        .map(|(hit, burst)| {
            let mut reasons = own_reasons(hit);
            if burst {
                reasons.push(BotReason::Burst);
            }
            reasons.sort_unstable();
            reasons.dedup();
            reasons
        })
        .collect()
}

/// The reasons a hit shows by itself.
fn own_reasons(hit: &Hit) -> Vec<BotReason> {
    let mut reasons = Vec::new();
    match hit.user_agent.as_deref().map(str::trim) {
        None | Some("") => reasons.push(BotReason::NoAgent),
        Some(agent) if is_previewer(agent) => reasons.push(BotReason::Previewer),
        Some(agent) => {
            let agent = PHONES_NAMED_BOT
                .iter()
                .fold(agent.to_ascii_lowercase(), |a, phone| a.replace(phone, ""));
            if BOT_AGENTS.iter().any(|b| agent.contains(b)) {
                reasons.push(BotReason::BotAgent);
            }
        }
    }
    if hit.head {
        reasons.push(BotReason::Head);
    }
    if !hit.accept_language {
        reasons.push(BotReason::NoAcceptLanguage);
    }
    // A tap before the receipt arrived is no sign: receipts often come minutes late.
    if hit
        .delivered_at
        .is_some_and(|d| hit.at >= d && hit.at - d < TOO_SOON)
    {
        reasons.push(BotReason::TooSoon);
    }
    reasons
}

/// Which hits fall in a burst, in the hits' order. Hits without an address are never one.
fn bursts(hits: &[Hit]) -> Vec<bool> {
    let mut by_address: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, hit) in hits.iter().enumerate() {
        if let Some(address) = hit.address.as_deref() {
            by_address.entry(address).or_default().push(i);
        }
    }
    let mut burst = vec![false; hits.len()];
    for mut indices in by_address.into_values() {
        indices.sort_by_key(|&i| hits[i].at);
        // Slide a window over the address's hits; `marked` keeps each hit marked once.
        let (mut start, mut marked) = (0, 0);
        for end in 0..indices.len() {
            while hits[indices[end]].at - hits[indices[start]].at > BURST_WINDOW {
                start += 1;
            }
            if end - start + 1 >= BURST_HITS {
                for &i in &indices[start.max(marked)..=end] {
                    burst[i] = true;
                }
                marked = end + 1;
            }
        }
    }
    burst
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
    const IMESSAGE: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0";

    fn delivered() -> DateTime<Utc> {
        "2025-03-01T12:00:00Z".parse().unwrap()
    }

    /// A person's tap on an iPhone, `secs` after delivery.
    fn tap(secs: i64) -> Hit {
        Hit {
            at: delivered() + TimeDelta::seconds(secs),
            head: false,
            user_agent: Some(IPHONE.to_owned()),
            accept_language: true,
            address: Some("203.0.113.7".to_owned()),
            delivered_at: Some(delivered()),
        }
    }

    fn reasons(hit: Hit) -> Vec<BotReason> {
        classify(&[hit]).remove(0)
    }

    #[test]
    fn a_person_tapping_in_safari_is_human() {
        assert_eq!(reasons(tap(10)), []);
    }

    #[test]
    fn apples_previewer_is_a_previewer_not_a_bot() {
        assert!(is_previewer(IMESSAGE));
        let hit = Hit {
            user_agent: Some(IMESSAGE.to_owned()),
            ..tap(10)
        };
        assert_eq!(reasons(hit), [BotReason::Previewer]);
        assert!(is_previewer(
            "Mozilla/5.0 (Linux; Android 11) Google-PageRenderer Google (+https://developers.google.com/+/web/snippet/)"
        ));
        assert!(!is_previewer(IPHONE));
    }

    #[test]
    fn what_a_request_lacks_names_its_reasons() {
        let head = Hit {
            head: true,
            ..tap(10)
        };
        assert_eq!(reasons(head), [BotReason::Head]);
        let curl = Hit {
            user_agent: Some("curl/8.4.0".to_owned()),
            accept_language: false,
            ..tap(10)
        };
        assert_eq!(
            reasons(curl),
            [BotReason::BotAgent, BotReason::NoAcceptLanguage]
        );
        let blank = Hit {
            user_agent: Some("  ".to_owned()),
            ..tap(10)
        };
        assert_eq!(reasons(blank), [BotReason::NoAgent]);
        let cubot =
            "Mozilla/5.0 (Linux; Android 9; CUBOT_X19) AppleWebKit/537.36 Mobile Safari/537.36";
        let phone = Hit {
            user_agent: Some(cubot.to_owned()),
            ..tap(10)
        };
        assert_eq!(reasons(phone), []);
    }

    #[test]
    fn a_hit_within_three_seconds_of_delivery_is_too_soon() {
        assert_eq!(reasons(tap(2)), [BotReason::TooSoon]);
        assert!(
            reasons(tap(-1)).is_empty(),
            "a receipt may come after the tap"
        );
        assert_eq!(reasons(tap(3)), []);
        let unreceipted = Hit {
            delivered_at: None,
            ..tap(0)
        };
        assert_eq!(reasons(unreceipted), []);
    }

    #[test]
    fn five_hits_from_one_address_in_ten_seconds_are_a_burst_and_four_are_not() {
        let five: Vec<Hit> = (0..5).map(|i| tap(10 + i * 2)).collect();
        assert!(classify(&five).iter().all(|r| r == &[BotReason::Burst]));
        assert!(classify(&five[..4]).iter().all(Vec::is_empty));
        let spread: Vec<Hit> = (0..5).map(|i| tap(10 + i * 3)).collect();
        assert!(classify(&spread).iter().all(Vec::is_empty));
    }

    #[test]
    fn a_burst_counts_one_address_only() {
        let mut hits: Vec<Hit> = (0..4).map(|i| tap(10 + i)).collect();
        hits.push(Hit {
            address: Some("198.51.100.1".to_owned()),
            ..tap(12)
        });
        hits.push(Hit {
            address: None,
            ..tap(12)
        });
        assert!(classify(&hits).iter().all(Vec::is_empty));
        hits.push(tap(13));
        let found = classify(&hits);
        let burst: Vec<bool> = found
            .iter()
            .map(|r| r.contains(&BotReason::Burst))
            .collect();
        assert_eq!(burst, [true, true, true, true, false, false, true]);
    }
}
