#![no_main]
//! Any input as a phone number: no panic, and a valid number reparses to itself.

use libfuzzer_sys::fuzz_target;
use tern_domain::phone::PhoneNumber;

fuzz_target!(|input: &str| {
    if let Ok(number) = PhoneNumber::parse(input, None) {
        let again = PhoneNumber::parse(number.e164(), None).expect("E.164 output parses");
        assert_eq!(again, number);
    }
});
