//! The checks behind the fuzz targets of `midstream-core` (docs/fuzzing.md).
//!
//! The machinery is shared with the integration tests: `tests/common/mod.rs` (included below) records the events
//! chunking-independently and checks their grammar, runs a document under a chunking (sticky errors, error
//! positions, state queries and the partial-value contract after every chunk), compares runs and snapshots, and
//! normalises values for an exact comparison with serde_json. This file keeps only what is specific to fuzzing:
//! decoding the fuzzer's input, the serde_json verdict comparison with its documented exceptions, and the two
//! targets.
//!
//! Nothing here or there recurses on the depth of the input: values are compared and walked with explicit
//! stacks, so a deeply nested document cannot overflow the harness's stack before it finds a bug in the parser.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::{
    assert_same_run, assert_same_snapshots, byte_by_byte, cuts_from_sizes, norm_diff, norm_ours,
    norm_serde, refines, run, whole, Recorder, Run,
};
use midstream_core::{Error, ErrorKind, IgnoreEvents, Options, Parser};

/// serde_json refuses documents nested deeper than 128 containers ("recursion limit exceeded"); our default limit
/// is 512. Beyond this depth the two verdicts are not compared.
const SERDE_DEPTH: usize = 127;

/// The key serde_json's `arbitrary_precision` uses internally to carry a number through an object.
const SERDE_TOKEN: &[u8] = b"$serde_json::private::Number";

/// Documents up to this length also check the partial value after every chunk of the fuzzer's chunking (the
/// whole and byte-by-byte runs skip it: it would cost more executions than it finds).
const PARTIALS_UP_TO: usize = 1024;

/// Our verdict on `doc` against serde_json's, outside the documented, intentional differences:
/// - lone surrogate escapes (`"\ud800"`): JSON's grammar allows them and we accept them (like Python's
///   `json.loads`); serde_json refuses them;
/// - nesting deeper than serde_json's recursion limit (128; ours defaults to 512) or than a small `max_depth`
///   chosen by the fuzzer;
/// - `NaN`/`Infinity` with `allow_nan`, which serde_json never accepts;
/// - documents holding serde_json's private `arbitrary_precision` key (serde_json reads that object as a number).
///
/// Otherwise both accept with the same value (numbers as exact decimals, objects as maps) or both refuse; and when
/// we call the input truncated, serde_json must call it truncated too (not the converse: serde_json checks a
/// string's UTF-8 only at its end, so it calls `"\xFF` truncated where we report the bad byte).
pub fn compare_with_serde(doc: &[u8], run: &Run, options: &Options) {
    if run.lone_surrogates > 0 || run.max_depth >= SERDE_DEPTH {
        return;
    }
    // With `arbitrary_precision`, serde_json reads an object whose key is this magic token as a number: a serde
    // artefact, not JSON.
    if doc.windows(SERDE_TOKEN.len()).any(|w| w == SERDE_TOKEN) {
        return;
    }
    let theirs = serde_json::from_slice::<serde_json::Value>(doc);
    match (&run.result, &theirs) {
        (Ok(()), Ok(theirs)) => {
            let ours = run.value.as_ref().expect("a finished run has a value");
            if let Err(why) = norm_diff(&norm_ours(ours), &norm_serde(theirs)) {
                panic!("both accept, values differ: ours vs serde_json at {why}");
            }
        }
        (Ok(()), Err(e)) => {
            assert!(
                options.allow_nan && run.non_finite,
                "we accept, serde_json refuses: {e}"
            );
        }
        (Err(ours), Ok(_)) => {
            assert!(
                matches!(ours.kind, ErrorKind::DepthLimit { .. })
                    && options.max_depth < SERDE_DEPTH,
                "we refuse ({ours}), serde_json accepts"
            );
        }
        (Err(ours), Err(theirs)) => {
            if ours.is_incomplete() && !options.allow_nan {
                assert!(
                    theirs.is_eof(),
                    "we call it truncated ({ours}), serde_json does not: {theirs}"
                );
            }
        }
    }
}

// -------------------------------------------------------------------------------------------------------------
// The targets.

/// Options and chunk sizes from the leading bytes of a `chunked` input, and the document after them.
///
/// Byte 0: bits 0-3 `% 9` = number of chunk-size bytes that follow (0 = feed one byte at a time); bits 4-5 = the
/// depth limit (3 means `max_depth(2)`, anything else the default 512); bit 7 = `allow_nan`. Each size byte gives
/// a chunk length `byte % 64`; 0 feeds an empty chunk. The sizes are used in turn until the document runs out.
pub fn split_chunked(data: &[u8]) -> Option<(Options, Vec<usize>, &[u8])> {
    let (&control, rest) = data.split_first()?;
    let count = usize::from(control & 0x0F) % 9;
    if rest.len() < count {
        return None;
    }
    let (size_bytes, doc) = rest.split_at(count);
    let mut options = Options::default().allow_nan(control & 0x80 != 0);
    if (control >> 4) & 3 == 3 {
        options = options.max_depth(2);
    }
    let mut sizes: Vec<usize> = size_bytes.iter().map(|&b| usize::from(b % 64)).collect();
    if sizes.iter().all(|&s| s == 0) {
        sizes = vec![1];
    }
    Some((options, sizes, doc))
}

/// The `chunked` target: the document fed whole, one byte at a time and in the fuzzer's chunks must give the same
/// events, outcome, error (kind, offset, line, column) and value; after every chunk, what was reported and the
/// state queries must equal the byte-by-byte run's at the same offset, and (up to 1 KiB) the partial value must
/// refine the previous one; a syntax error at offset E means the first E bytes are a JSON
/// prefix and byte E is not; and the verdict and value agree with serde_json (see [`compare_with_serde`]).
pub fn check_chunked(data: &[u8]) {
    let Some((options, sizes, doc)) = split_chunked(data) else {
        return;
    };
    let partials = doc.len() <= PARTIALS_UP_TO;
    let cuts = cuts_from_sizes(doc.len(), &sizes);
    let by_byte_cuts = byte_by_byte(doc.len());
    let whole_run = run(doc, &whole(), &options, false);
    let by_byte = run(doc, &by_byte_cuts, &options, false);
    let chunked = run(doc, &cuts, &options, partials);

    assert_same_run(&whole_run, &by_byte, doc, &by_byte_cuts);
    assert_same_run(&whole_run, &chunked, doc, &cuts);
    assert_same_snapshots(&by_byte, &whole_run, doc);
    assert_same_snapshots(&by_byte, &chunked, doc);

    if let Err(error) = &whole_run.result {
        if !error.is_incomplete() {
            // The error is at the first byte at which the input stops being a JSON prefix.
            let offset = error.offset as usize;
            let before = run(&doc[..offset], &whole(), &options, false);
            assert!(
                before
                    .result
                    .as_ref()
                    .map_or_else(Error::is_incomplete, |()| true),
                "the {offset} bytes before the error are not a JSON prefix: {:?}",
                before.result
            );
            let through = run(&doc[..=offset], &whole(), &options, false);
            assert_eq!(
                through.result.as_ref(),
                Err(error),
                "the error byte alone does not fail"
            );
        }
    }
    compare_with_serde(doc, &whole_run, &options);
}

/// The `truncated` target: the input fed one byte at a time; before every byte (and at the end) a copy of the
/// parser is finished, which must give a value or `Incomplete` at that offset, never a syntax error (every prefix
/// fed without error is a JSON prefix). For up to ~64 evenly spaced prefixes the copy also builds its value: the
/// partial value before finishing must refine the finished value (finishing only completes a root number), and
/// the verdict and value must agree with serde_json on the truncated text.
pub fn check_truncations(doc: &[u8]) {
    let options = Options::default();
    let mut parser = Parser::with_options(options.clone());
    let mut recorder = Recorder::default();
    let stride = doc.len() / 64 + 1;
    for p in 0..=doc.len() {
        let mut early = parser.clone();
        if p % stride != 0 && p != doc.len() {
            if let Err(error) = early.finish(&mut IgnoreEvents) {
                assert!(
                    error.is_incomplete() && error.offset == p as u64,
                    "finishing after {p} bytes gave {error}"
                );
            }
        } else {
            let mut early_recorder = recorder.fork();
            let partial = recorder.builder.partial();
            let result = early.finish(&mut early_recorder);
            let value = match &result {
                Ok(()) => {
                    let value = early_recorder.builder.clone().into_value();
                    assert!(value.is_some(), "finished after {p} bytes without a value");
                    if !recorder.duplicate_keys {
                        if let Err(why) = refines(partial.as_ref(), value.as_ref()) {
                            panic!("finishing after {p} bytes changed the partial value: {why}");
                        }
                    }
                    value
                }
                Err(error) => {
                    assert!(
                        error.is_incomplete() && error.offset == p as u64,
                        "finishing after {p} bytes gave {error}"
                    );
                    None
                }
            };
            let early_run = Run::new(early_recorder, result, value, Vec::new());
            compare_with_serde(&doc[..p], &early_run, &options);
        }
        let Some(&byte) = doc.get(p) else {
            break;
        };
        if parser.feed(&[byte], &mut recorder).is_err() {
            break;
        }
    }
}
