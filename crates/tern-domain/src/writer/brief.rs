//! What the marketer asks for: the offer, the goal, the tone, the language, emoji or not, the
//! alphabet and how many drafts. The brief is data for the model, never instructions to Tern.

use serde::{Deserialize, Serialize};

use crate::{account::InvalidSetting, domains::plain_origin};

/// Which characters a draft may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Alphabet {
    /// GSM-7 only: 160 characters a segment (153 in a longer message).
    Gsm7,
    /// Any character; a draft with one outside GSM-7 is counted as UCS-2 (70 a segment).
    Any,
}

/// A brief as it comes in, unchecked.
#[derive(Debug, Clone, Default)]
pub struct BriefFields {
    pub offer: Option<String>,
    pub goal: Option<String>,
    pub tone: Option<String>,
    pub language: Option<String>,
    pub emoji: Option<bool>,
    pub encoding: Option<String>,
    pub count: Option<u32>,
    pub link: Option<String>,
}

/// A checked brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Brief {
    /// The product or offer.
    pub offer: String,
    /// What the message should make the reader do.
    pub goal: String,
    pub tone: String,
    pub language: String,
    pub emoji: bool,
    pub alphabet: Alphabet,
    /// Drafts wanted, 1 to [`Brief::MAX_COUNT`].
    pub count: usize,
    /// A link Tern adds to each draft (shortened like any link the template writes).
    pub link: Option<String>,
}

impl Brief {
    pub const MAX_COUNT: u32 = 10;
    pub const DEFAULT_COUNT: u32 = 5;

    /// Checks `fields`; `default_alphabet` applies when none is named (GSM-7 for SMS).
    pub fn check(fields: BriefFields, default_alphabet: Alphabet) -> Result<Self, InvalidSetting> {
        let offer = text("brief.offer", fields.offer, 500)?;
        if offer.is_empty() {
            return Err(InvalidSetting::new(
                "brief.offer",
                "say what the message is about: the product or the offer",
            ));
        }
        let alphabet = match fields.encoding.as_deref().map(str::trim) {
            None | Some("") => default_alphabet,
            Some("gsm7") => Alphabet::Gsm7,
            Some("any") => Alphabet::Any,
            Some(other) => {
                return Err(InvalidSetting::new(
                    "brief.encoding",
                    format!("{other:?} is neither gsm7 nor any"),
                ));
            }
        };
        let count = fields.count.unwrap_or(Self::DEFAULT_COUNT);
        if !(1..=Self::MAX_COUNT).contains(&count) {
            return Err(InvalidSetting::new(
                "brief.count",
                format!("from 1 to {} drafts, got {count}", Self::MAX_COUNT),
            ));
        }
        let link = match fields.link.map(|l| l.trim().to_owned()) {
            None => None,
            Some(l) if l.is_empty() => None,
            Some(l) => {
                if l.chars().count() > 500
                    || l.contains(char::is_whitespace)
                    || l.contains(['{', '}'])
                    || plain_origin(&l).is_none()
                {
                    return Err(InvalidSetting::new(
                        "brief.link",
                        "an http:// or https:// address of at most 500 characters",
                    ));
                }
                Some(l)
            }
        };
        let language = text("brief.language", fields.language, 40)?;
        // The language is named in the model's rules: a name, nothing that reads as a rule.
        if !language
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '(' | ')' | '\''))
        {
            return Err(InvalidSetting::new(
                "brief.language",
                "the name of a language, e.g. English or Brazilian Portuguese",
            ));
        }
        Ok(Self {
            offer,
            goal: text("brief.goal", fields.goal, 200)?,
            tone: text("brief.tone", fields.tone, 60)?,
            language: if language.is_empty() {
                "English".to_owned()
            } else {
                language
            },
            emoji: fields.emoji.unwrap_or(false),
            alphabet,
            count: count as usize,
            link,
        })
    }
}

/// A field's trimmed text, at most `max` characters, line breaks made spaces.
fn text(field: &str, value: Option<String>, max: usize) -> Result<String, InvalidSetting> {
    let value = value.unwrap_or_default().replace(['\r', '\n', '\t'], " ");
    let value = value.trim();
    let count = value.chars().count();
    if count > max {
        return Err(InvalidSetting::new(
            field,
            format!("{count} characters; at most {max}"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidSetting::new(
            field,
            "one line of text, without control characters",
        ));
    }
    Ok(value.to_owned())
}
