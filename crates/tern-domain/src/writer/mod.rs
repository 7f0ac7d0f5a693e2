//! The AI text generator's rules: the brief a marketer gives, the account's brand voice, the
//! characters a draft may take, what is asked of the model, what is made of its answer, and the
//! notes on each draft. The model itself is called by `tern-app`; nothing here does I/O.
//!
//! The model is never trusted: whatever it answers is cleaned, counted again by Tern's own
//! rules after the final rendering, and shown as fitting only if it does.

mod answer;
mod brief;
mod budget;
mod clean;
mod notes;
mod prompt;
mod voice;

pub use answer::{BadOutput, read_drafts};
pub use brief::{Alphabet, Brief, BriefFields};
pub use budget::{MAX_DRAFT_CHARACTERS, MIN_DRAFT_CHARACTERS, budget};
pub use clean::{clean, is_emoji};
pub use notes::{Note, avoided_words, notes};
pub use prompt::{ChatMessage, answer_schema, ask, ask_again};
pub use voice::BrandVoice;

/// Why a draft the model wrote is not shown, and what it is sent back once to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Longer than the budget after the final rendering (the message).
    TooLong(String),
    /// Characters outside GSM-7 that have no stand-in, when GSM-7 was asked for.
    NotGsm7(Vec<String>),
    /// Words the brand voice never uses.
    AvoidedWords(Vec<String>),
    /// The same text as an earlier draft.
    Repeated,
    /// Nothing left after cleaning.
    Empty,
    /// The text does not work as a template (the check's message).
    Template(String),
    /// A web address of the model's own: only the brief's link is sent.
    Link,
}

impl Rejection {
    /// A stable code, for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong(_) => "too_long",
            Self::NotGsm7(_) => "not_gsm7",
            Self::AvoidedWords(_) => "avoided_words",
            Self::Repeated => "repeated",
            Self::Empty => "empty",
            Self::Template(_) => "template",
            Self::Link => "link",
        }
    }

    /// Why, in a marketer's words.
    pub fn message(&self) -> String {
        match self {
            Self::TooLong(why) => why.clone(),
            Self::NotGsm7(chars) => format!(
                "uses characters outside GSM-7 ({}), which would make every segment hold 70 characters",
                chars.join(" ")
            ),
            Self::AvoidedWords(words) => {
                format!("uses words the brand voice avoids: {}", words.join(", "))
            }
            Self::Repeated => "repeats an earlier draft".to_owned(),
            Self::Empty => "is empty".to_owned(),
            Self::Template(why) => why.clone(),
            Self::Link => {
                "writes a web address of its own; only the brief's link is sent".to_owned()
            }
        }
    }

    /// What the model is told when the draft goes back to it.
    pub fn instruction(&self, budget: u32) -> String {
        match self {
            Self::TooLong(_) => format!("shorten it to at most {budget} characters"),
            Self::NotGsm7(chars) => {
                format!("write it without these characters: {}", chars.join(" "))
            }
            Self::AvoidedWords(words) => format!("write it without the words {}", words.join(", ")),
            Self::Repeated => "write a different message".to_owned(),
            Self::Empty => "write the message".to_owned(),
            Self::Template(_) => "write it as plain text, without braces".to_owned(),
            Self::Link => "write it without any web address".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests;
