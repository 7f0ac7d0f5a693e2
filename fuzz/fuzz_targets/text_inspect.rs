#![no_main]
//! Any text on either channel: no panic, and the figures hold together.

use libfuzzer_sys::fuzz_target;
use tern_domain::text::{Channel, SegmentCap, inspect};

fuzz_target!(|text: &str| {
    let sms = inspect(text, Channel::Sms, SegmentCap::default());
    assert!(sms.segments.unwrap() >= 1);
    assert_eq!(sms.fits, sms.segments.unwrap() <= 10);
    let mms = inspect(text, Channel::Mms, SegmentCap::default());
    assert_eq!(mms.units as usize, text.encode_utf16().count());
});
