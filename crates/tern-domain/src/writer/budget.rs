//! How many characters the model may write: what the message's limit leaves after the parts
//! Tern adds to each draft.

use super::Alphabet;
use crate::text::{self, Channel, Encoding, MMS_MAX_UNITS, SegmentCap};

/// The most characters asked of the model, whatever the limit allows: a marketing text reads
/// best short, and a small model writes long texts slowly.
pub const MAX_DRAFT_CHARACTERS: u32 = 480;
/// Below this, the link and the footer leave no room for a message.
pub const MIN_DRAFT_CHARACTERS: u32 = 20;

/// The characters a draft may take so that the whole message fits on `channel`: the SMS
/// segment cap in the alphabet asked for (UCS-2 when any character may be used) or the MMS
/// text limit, less `tail` — what follows the draft in the final text (a separator, the
/// shortened link, picture links, the footer). `None` when fewer than
/// [`MIN_DRAFT_CHARACTERS`] are left.
pub fn budget(tail: &str, channel: Channel, cap: SegmentCap, alphabet: Alphabet) -> Option<u32> {
    let utf16 = tail.encode_utf16().count() as u32;
    let (limit, used) = match channel {
        Channel::Mms => (MMS_MAX_UNITS, utf16),
        Channel::Sms => {
            let tail_report = text::inspect(tail, Channel::Sms, cap);
            match (alphabet, tail_report.encoding) {
                (Alphabet::Gsm7, Encoding::Gsm7) => (cap.units(Encoding::Gsm7), tail_report.units),
                _ => (cap.units(Encoding::Ucs2), utf16),
            }
        }
    };
    let left = limit.saturating_sub(used).min(MAX_DRAFT_CHARACTERS);
    (left >= MIN_DRAFT_CHARACTERS).then_some(left)
}
