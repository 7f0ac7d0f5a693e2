//! Warnings about personalisation that prints nothing for some recipients: `Hi , …` is sent
//! and paid for like any other text, so the Design step says so before launch.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Design;
use crate::template::{CONTACT_FIELDS, Fallback, Position};

/// A variable printed so that some recipients would read a gap in the text. It does not stop
/// the campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FallbackWarning {
    /// The variable, e.g. `first_name`.
    pub variable: String,
    /// `empty_fallback` (`default: ""`) or `no_fallback` (no `default`, and some recipients
    /// lack the attribute).
    pub code: &'static str,
    pub message: String,
    /// Where it is first printed so.
    pub position: Position,
}

/// The fallback offered for a variable when it is inserted: a greeting reads well with
/// "there" ("Hi there"); for anything else there is no good guess.
pub fn suggested_fallback(variable: &str) -> &'static str {
    match variable {
        "first_name" | "firstname" | "name" => "there",
        _ => "",
    }
}

impl Design {
    /// The attributes printed without a `default` (and not tested by a block around them): a
    /// recipient who lacks one reads a gap. Each is named once.
    pub fn attributes_without_fallback(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for printed in self.template.printed() {
            let attribute = !CONTACT_FIELDS.iter().any(|(f, _)| *f == printed.variable);
            if attribute
                && printed.fallback == Fallback::Missing
                && !names.contains(&printed.variable.as_str())
            {
                names.push(&printed.variable);
            }
        }
        names
    }

    /// One warning per variable printed with an empty fallback, and one per attribute of
    /// `lacking` (its name and how many recipients lack it) printed with none.
    pub fn fallback_warnings(&self, lacking: &BTreeMap<String, u64>) -> Vec<FallbackWarning> {
        let mut warnings: Vec<FallbackWarning> = Vec::new();
        for printed in self.template.printed() {
            let variable = printed.variable.as_str();
            let example = match suggested_fallback(variable) {
                "" => format!("{{{{ {variable} | default: \"…\" }}}}"),
                text => format!("{{{{ {variable} | default: \"{text}\" }}}}"),
            };
            let (code, message) = match &printed.fallback {
                Fallback::Text(text) if text.trim().is_empty() => (
                    "empty_fallback",
                    format!(
                        "{variable} falls back to nothing: contacts without it read a gap in the text; write a fallback, e.g. {example}"
                    ),
                ),
                Fallback::Missing => match lacking.get(variable) {
                    Some(&n) if n > 0 => (
                        "no_fallback",
                        format!(
                            "{n} {} who may receive it {} no {variable} and would read a gap in the text; add a fallback, e.g. {example}",
                            if n == 1 { "contact" } else { "contacts" },
                            if n == 1 { "has" } else { "have" },
                        ),
                    ),
                    _ => continue,
                },
                _ => continue,
            };
            if !warnings
                .iter()
                .any(|w| w.variable == variable && w.code == code)
            {
                warnings.push(FallbackWarning {
                    variable: variable.to_owned(),
                    code,
                    message,
                    position: printed.position,
                });
            }
        }
        warnings
    }
}
