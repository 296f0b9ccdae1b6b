//! Arbitrary bytes cut into arbitrary chunks: whole vs chunked vs byte-by-byte, and the core vs serde_json.
//! Input layout and the checks: see `midstream_core_fuzz::check_chunked` and docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| midstream_core_fuzz::check_chunked(data));
