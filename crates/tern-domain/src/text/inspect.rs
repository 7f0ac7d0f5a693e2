//! What a message body costs: the figures the design step shows and the launch check enforces.

use std::{fmt, str::FromStr};

use serde::Serialize;
use unicode_segmentation::UnicodeSegmentation;

use super::{gsm7, gsm7_replacement, legacy_graphemes, segments::count_segments};

/// MMS text limit in UTF-16 code units, whatever the alphabet (Twilio's body limit is 1600).
pub const MMS_MAX_UNITS: u32 = 1530;
/// The most segments an SMS may be capped at: 10 × 153 septets stays under Twilio's 1600.
pub const MAX_SMS_SEGMENTS: u8 = 10;

/// The channel a body is sent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Sms,
    Mms,
}

/// The SMS alphabet a body needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Encoding {
    #[serde(rename = "GSM-7")]
    Gsm7,
    #[serde(rename = "UCS-2")]
    Ucs2,
}

/// The most segments one SMS may cost, between 1 and [`MAX_SMS_SEGMENTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentCap(u8);

/// Why a segment cap was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("segment cap must be a whole number from 1 to {MAX_SMS_SEGMENTS}, got {0:?}")]
pub struct SegmentCapError(String);

impl SegmentCap {
    /// Returns the cap as a count.
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }

    /// Units this cap allows in `encoding`: one segment is 160 / 70, parts are 153 / 67.
    pub fn units(self, encoding: Encoding) -> u32 {
        match (encoding, self.0) {
            (Encoding::Gsm7, 1) => 160,
            (Encoding::Ucs2, 1) => 70,
            (Encoding::Gsm7, n) => 153 * u32::from(n),
            (Encoding::Ucs2, n) => 67 * u32::from(n),
        }
    }
}

impl Default for SegmentCap {
    fn default() -> Self {
        Self(MAX_SMS_SEGMENTS)
    }
}

impl TryFrom<u32> for SegmentCap {
    type Error = SegmentCapError;

    fn try_from(n: u32) -> Result<Self, Self::Error> {
        u8::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_SMS_SEGMENTS).contains(n))
            .map(Self)
            .ok_or_else(|| SegmentCapError(n.to_string()))
    }
}

impl FromStr for SegmentCap {
    type Err = SegmentCapError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<u32>()
            .map_err(|_| SegmentCapError(s.to_owned()))?
            .try_into()
    }
}

impl fmt::Display for SegmentCap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The figures of one body on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextReport {
    pub channel: Channel,
    /// For MMS, the encoding the text would need as SMS.
    pub encoding: Encoding,
    /// Characters as a reader counts them (extended grapheme clusters).
    pub characters: u32,
    /// What the limit counts: GSM-7 septets or UTF-16 units for SMS, UTF-16 units for MMS.
    pub units: u32,
    /// SMS segments; `None` for MMS, which is not segmented.
    pub segments: Option<u32>,
    /// The most `units` allowed.
    pub limit: u32,
    pub fits: bool,
    pub ucs2_characters: Vec<Ucs2Character>,
}

/// A character that makes an SMS UCS-2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ucs2Character {
    #[serde(rename = "char")]
    pub character: String,
    /// Offset in UTF-16 code units, as a browser's text field counts.
    pub index: u32,
    /// A GSM-7 stand-in, when one reads the same.
    pub replacement: Option<&'static str>,
}

/// Measures `text` for `channel`; `cap` bounds SMS segments and is ignored for MMS.
pub fn inspect(text: &str, channel: Channel, cap: SegmentCap) -> TextReport {
    let parts = calculator_graphemes(text);
    let mut ucs2_characters = Vec::new();
    let mut index = 0;
    for grapheme in &parts {
        if !is_gsm7(grapheme) {
            ucs2_characters.push(Ucs2Character {
                character: (*grapheme).to_owned(),
                index,
                replacement: gsm7_replacement(grapheme),
            });
        }
        index += utf16_len(grapheme);
    }
    let encoding = if ucs2_characters.is_empty() {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    };
    let characters = count(text.graphemes(true).count());
    match channel {
        Channel::Sms => {
            let bits = parts.iter().map(|g| grapheme_bits(g, encoding));
            let segments = count_segments(bits);
            let units = match encoding {
                Encoding::Gsm7 => text.chars().filter_map(gsm7::septets).map(u32::from).sum(),
                Encoding::Ucs2 => index,
            };
            TextReport {
                channel,
                encoding,
                characters,
                units,
                segments: Some(segments),
                limit: cap.units(encoding),
                fits: segments <= cap.get(),
                ucs2_characters,
            }
        }
        Channel::Mms => TextReport {
            channel,
            encoding,
            characters,
            units: index,
            segments: None,
            limit: MMS_MAX_UNITS,
            fits: index <= MMS_MAX_UNITS,
            ucs2_characters,
        },
    }
}

/// Graphemes as the segment calculator splits them: its Unicode 10 clusters, but CR LF as two.
fn calculator_graphemes(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    for grapheme in legacy_graphemes::split(text) {
        if grapheme == "\r\n" {
            parts.extend(["\r", "\n"]);
        } else {
            parts.push(grapheme);
        }
    }
    parts
}

fn is_gsm7(grapheme: &str) -> bool {
    let mut chars = grapheme.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if gsm7::septets(c).is_some())
}

fn grapheme_bits(grapheme: &str, encoding: Encoding) -> u32 {
    match encoding {
        Encoding::Gsm7 => grapheme
            .chars()
            .filter_map(gsm7::septets)
            .map(|s| 7 * u32::from(s))
            .sum(),
        Encoding::Ucs2 => 16 * utf16_len(grapheme),
    }
}

fn utf16_len(s: &str) -> u32 {
    count(s.encode_utf16().count())
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
