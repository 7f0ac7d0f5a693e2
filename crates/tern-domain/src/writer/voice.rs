//! The account's brand voice: how its messages sound, the words they use and never use, and a
//! few messages to imitate.

use serde::{Deserialize, Serialize};

use crate::account::InvalidSetting;

/// How the account's messages sound, given to the model with every brief.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BrandVoice {
    /// E.g. "warm, playful, never pushy; we say 'friends', not 'customers'".
    pub description: String,
    /// Words the messages like to use.
    pub use_words: Vec<String>,
    /// Words no draft may contain: a draft with one goes back once, then is dropped.
    pub avoid_words: Vec<String>,
    /// Up to five messages in the brand's voice.
    pub examples: Vec<String>,
}

impl BrandVoice {
    pub const MAX_EXAMPLES: usize = 5;

    /// Trims every part and checks its bounds; empty words and examples are left out.
    pub fn check(self) -> Result<Self, InvalidSetting> {
        let description = self.description.trim().to_owned();
        if description.chars().count() > 500 {
            return Err(InvalidSetting::new(
                "brand_voice.description",
                "at most 500 characters",
            ));
        }
        Ok(Self {
            description,
            use_words: words("brand_voice.use_words", self.use_words, 20)?,
            avoid_words: words("brand_voice.avoid_words", self.avoid_words, 50)?,
            examples: examples(self.examples)?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.description.is_empty()
            && self.use_words.is_empty()
            && self.avoid_words.is_empty()
            && self.examples.is_empty()
    }
}

fn words(field: &str, list: Vec<String>, most: usize) -> Result<Vec<String>, InvalidSetting> {
    let list: Vec<String> = list
        .into_iter()
        .map(|w| w.trim().to_owned())
        .filter(|w| !w.is_empty())
        .collect();
    if list.len() > most {
        return Err(InvalidSetting::new(field, format!("at most {most} words")));
    }
    for (i, word) in list.iter().enumerate() {
        if word.chars().count() > 40 || word.chars().any(char::is_control) {
            return Err(InvalidSetting::new(
                format!("{field}[{i}]"),
                "a word or phrase of at most 40 characters on one line",
            ));
        }
    }
    Ok(list)
}

fn examples(list: Vec<String>) -> Result<Vec<String>, InvalidSetting> {
    let list: Vec<String> = list
        .into_iter()
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .collect();
    if list.len() > BrandVoice::MAX_EXAMPLES {
        return Err(InvalidSetting::new(
            "brand_voice.examples",
            format!("at most {} example messages", BrandVoice::MAX_EXAMPLES),
        ));
    }
    for (i, example) in list.iter().enumerate() {
        if example.chars().count() > 640 {
            return Err(InvalidSetting::new(
                format!("brand_voice.examples[{i}]"),
                "at most 640 characters",
            ));
        }
    }
    Ok(list)
}
