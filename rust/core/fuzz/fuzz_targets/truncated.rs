//! Every truncation of the input: finishing early gives a value or `Incomplete`, never a syntax error, and agrees
//! with serde_json on the truncated text. See `midstream_core_fuzz::check_truncations` and docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| midstream_core_fuzz::check_truncations(data));
