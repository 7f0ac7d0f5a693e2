//! What a marketer should know about a draft before sending it: opt-out wording where the
//! footer is off, topics carriers restrict (SHAFT: sex, hate, alcohol, firearms, tobacco, and
//! cannabis), words spam filters watch for, public link shorteners, shouting.

use serde::Serialize;

use super::BrandVoice;

/// One remark on a draft. Notes do not stop a draft from being shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// `opt_out_missing`, `shaft`, `spam_words`, `public_shortener` or `shouting`.
    pub code: &'static str,
    pub message: String,
}

/// Words of SHAFT topics, which US carriers refuse or restrict in marketing traffic.
const SHAFT: &[&str] = &[
    "sex",
    "sexy",
    "xxx",
    "porn",
    "nude",
    "nudes",
    "escort",
    "hate",
    "beer",
    "wine",
    "wines",
    "vodka",
    "whiskey",
    "whisky",
    "liquor",
    "alcohol",
    "cocktail",
    "cocktails",
    "tequila",
    "rum",
    "gin",
    "gun",
    "guns",
    "firearm",
    "firearms",
    "rifle",
    "rifles",
    "pistol",
    "ammo",
    "ammunition",
    "tobacco",
    "cigarette",
    "cigarettes",
    "cigar",
    "cigars",
    "vape",
    "vapes",
    "vaping",
    "nicotine",
    "cannabis",
    "marijuana",
    "weed",
    "cbd",
    "thc",
    "kratom",
];

/// Phrases spam filters score against.
const SPAM: &[&str] = &[
    "act now",
    "apply now",
    "call now",
    "click here",
    "click below",
    "winner",
    "you won",
    "you have won",
    "you've won",
    "congratulations",
    "cash prize",
    "prize",
    "guaranteed",
    "risk free",
    "risk-free",
    "no cost",
    "100% free",
    "urgent",
    "loan",
    "loans",
    "debt",
    "credit score",
    "bitcoin",
    "crypto",
    "lottery",
    "$$$",
];

/// Public shorteners: carriers filter their links, whoever sent them.
const SHORTENERS: &[&str] = &[
    "bit.ly",
    "tinyurl.com",
    "goo.gl",
    "t.co",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "rebrand.ly",
    "cutt.ly",
    "shorturl.at",
    "tiny.cc",
];

/// Words that carry an opt-out instruction.
const OPT_OUT: &[&str] = &["stop", "opt out", "opt-out", "optout", "unsubscribe"];

/// The notes on `text`, a draft as it will be sent; `footer` says whether the account's
/// opt-out footer follows it.
pub fn notes(text: &str, footer: bool) -> Vec<Note> {
    let words = normalized(text);
    let mut notes = Vec::new();
    if !footer && !OPT_OUT.iter().any(|w| contains(&words, w)) {
        notes.push(Note {
            code: "opt_out_missing",
            message: "the opt-out footer is off and the text says nothing of how to stop \
                      (e.g. \"Reply STOP to opt out\"): carriers require it"
                .to_owned(),
        });
    }
    let shaft = found(&words, SHAFT);
    if !shaft.is_empty() {
        notes.push(Note {
            code: "shaft",
            message: format!(
                "mentions a topic carriers restrict (sex, hate, alcohol, firearms, tobacco, \
                 cannabis): {}; such messages need age gating or are refused",
                shaft.join(", ")
            ),
        });
    }
    let spam = found(&words, SPAM);
    if !spam.is_empty() {
        notes.push(Note {
            code: "spam_words",
            message: format!("spam filters watch for: {}", spam.join(", ")),
        });
    }
    let lower = text.to_lowercase();
    let shorteners: Vec<&str> = SHORTENERS
        .iter()
        .filter(|s| {
            lower.match_indices(*s).any(|(i, _)| {
                i == 0 || !lower[..i].ends_with(|c: char| c.is_alphanumeric() || c == '.')
            })
        })
        .copied()
        .collect();
    if !shorteners.is_empty() {
        notes.push(Note {
            code: "public_shortener",
            message: format!(
                "links through a public shortener ({}) are filtered by carriers; Tern shortens \
                 links on your own domain",
                shorteners.join(", ")
            ),
        });
    }
    let shouted = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3 && w.chars().all(char::is_uppercase))
        .count();
    if shouted >= 3 || text.contains("!!") {
        notes.push(Note {
            code: "shouting",
            message: "capitals and repeated exclamation marks read as spam".to_owned(),
        });
    }
    notes
}

/// The brand voice's avoided words that `text` contains.
pub fn avoided_words(text: &str, voice: &BrandVoice) -> Vec<String> {
    let words = normalized(text);
    voice
        .avoid_words
        .iter()
        .filter(|w| contains(&words, w))
        .cloned()
        .collect()
}

/// The text in lower case with every run of other characters than letters, digits and `'%$-`
/// made one space, with a space around: a phrase is contained when ` phrase ` is.
fn normalized(text: &str) -> String {
    let mut out = String::from(" ");
    for c in text.to_lowercase().replace('\u{2019}', "'").chars() {
        if c.is_alphanumeric() || matches!(c, '\'' | '%' | '$' | '-') {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn contains(normalized_text: &str, phrase: &str) -> bool {
    let phrase = normalized(phrase);
    !phrase.trim().is_empty() && normalized_text.contains(&phrase)
}

fn found(normalized_text: &str, list: &[&str]) -> Vec<String> {
    list.iter()
        .filter(|w| contains(normalized_text, w))
        .map(|w| (*w).to_owned())
        .collect()
}
