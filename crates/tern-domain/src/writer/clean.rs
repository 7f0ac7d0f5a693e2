//! What is made of a draft's text before it is counted: whitespace tidied, emoji left out
//! unless asked for, and under GSM-7 each character with a stand-in replaced by it.

use unicode_segmentation::UnicodeSegmentation;

use super::Alphabet;
use crate::text::{gsm7, gsm7_replacement};

/// The draft's text as it will be counted and shown.
pub fn clean(draft: &str, alphabet: Alphabet, emoji: bool) -> String {
    let mut out = String::with_capacity(draft.len());
    for grapheme in draft.graphemes(true) {
        if grapheme.chars().any(is_emoji) && (!emoji || alphabet == Alphabet::Gsm7) {
            continue;
        }
        if alphabet == Alphabet::Gsm7 && !is_gsm7(grapheme) {
            match gsm7_replacement(grapheme) {
                Some(stand_in) => out.push_str(stand_in),
                None => out.push_str(grapheme),
            }
            continue;
        }
        out.push_str(grapheme);
    }
    tidy(&out)
}

/// One space between words, at most one empty line between paragraphs, nothing around.
fn tidy(text: &str) -> String {
    let lines: Vec<String> = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut out = String::new();
    let mut blank = 0;
    for line in lines {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(&line);
    }
    out
}

fn is_gsm7(grapheme: &str) -> bool {
    grapheme.chars().all(|c| gsm7::septets(c).is_some())
}

/// Pictographs, dingbats, flags and keycaps: a grapheme holding one is an emoji (its joiners
/// and selectors go with it).
pub fn is_emoji(c: char) -> bool {
    matches!(c,
        '\u{1F000}'..='\u{1FAFF}'
        | '\u{2600}'..='\u{27BF}'
        | '\u{2300}'..='\u{23FF}'
        | '\u{2B00}'..='\u{2BFF}'
        | '\u{20E3}'
        | '\u{E0020}'..='\u{E007F}'
        | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}'
    )
}
