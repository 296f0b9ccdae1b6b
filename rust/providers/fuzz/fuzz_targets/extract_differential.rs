//! Arbitrary text as one event's payload: where the fast reading (`pull.rs`) is sure of it, it must give exactly what
//! `midstream-core`'s reading gives, for every provider's reading. It must never accept what `midstream-core`
//! rejects, nor read a valid document differently.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        assert!(midstream_providers::fast_reading_agrees(text), "{text:?}");
    }
});
