//! MMS media: the format from the bytes, limits from the headers, integrity from a full decode,
//! and a cleaned copy without metadata that can identify people or places.

mod check;
mod decode;
mod exif;
mod fit;
mod format;
mod gif;
mod jpeg;
mod png;
mod scan;

pub use check::{MAX_MEDIA_BYTES, MediaLimits, MediaReport, Problem, check_media};
pub use fit::{FitError, Fitted, fit_media};
pub use format::{MediaFormat, Sniffed, sniff};
