#![no_main]
//! Any bytes as a media file: no panic, and an accepted file's cleaned copy checks the same.

use libfuzzer_sys::fuzz_target;
use tern_domain::media::{MediaLimits, check_media};

fuzz_target!(|bytes: &[u8]| {
    let limits = MediaLimits { max_pixels: 4_000_000, max_total_pixels: 20_000_000, ..MediaLimits::default() };
    let report = check_media("fuzz", bytes, &limits);
    if let Some(cleaned) = &report.cleaned {
        let again = check_media("fuzz", cleaned, &limits);
        assert!(again.ok, "a cleaned file must pass again: {:?}", again.errors);
        assert_eq!(again.clean_bytes, Some(cleaned.len() as u64), "cleaning is idempotent");
    }
});
