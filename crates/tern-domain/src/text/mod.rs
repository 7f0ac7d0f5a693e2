//! Message text: encoding, length and segments of SMS and MMS bodies.

mod grapheme_property;
pub mod gsm7;
mod inspect;
mod legacy_grapheme_table;
mod legacy_graphemes;
mod replacement;
pub mod segments;

pub use inspect::{
    Channel, Encoding, MAX_SMS_SEGMENTS, MMS_MAX_UNITS, SegmentCap, SegmentCapError, TextReport,
    Ucs2Character, inspect,
};
pub use replacement::gsm7_replacement;
