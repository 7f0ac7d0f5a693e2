#![no_main]
//! The upload path on any bytes: check, and when refused, the fitted offer. No panic; whatever
//! is offered passes the check.

use libfuzzer_sys::fuzz_target;
use tern_domain::media::{MediaLimits, check_media, fit_media};

fuzz_target!(|bytes: &[u8]| {
    // Small limits keep each run fast while exercising every branch.
    let limits = MediaLimits { max_bytes: 4_096, max_width: 256, max_height: 256, max_pixels: 20_000, max_frames: 16, max_total_pixels: 100_000 };
    let report = check_media("upload", bytes, &limits);
    if !report.ok && let Ok(fitted) = fit_media(bytes, &limits) {
        let again = check_media("fitted", &fitted.bytes, &limits);
        assert!(again.ok, "a fitted image must be accepted: {:?}", again.errors);
    }
});
