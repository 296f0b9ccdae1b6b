//! Property tests: random JSON values serialized with random whitespace and escapes, random mutations of them,
//! random token soups and random bytes, each fed whole, byte by byte and in random chunks.

mod common;

use std::collections::BTreeMap;

use common::{check_chunkings, decimal, norm_ours, norm_serde, Norm, Rng, Run, Thoroughness};
use midstream_core::Options;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------------------------
// Random JSON values.

#[derive(Debug, Clone)]
enum Gen {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Gen>),
    Object(Vec<(String, Gen)>),
}

fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::string::string_regex(
            "-?(0|[1-9][0-9]{0,30})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,4})?"
        )
        .unwrap(),
        Just("-0".to_owned()),
        Just("-0.0".to_owned()),
        Just("0e0".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| format!("{n}{n}")),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
    ]
}

fn text_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range(' ', '~'),
        1 => proptest::char::range('\0', '\x1f'),
        1 => prop_oneof![Just('"'), Just('\\'), Just('/')],
        2 => proptest::char::range('\u{80}', '\u{7FF}'),
        2 => proptest::char::range('\u{800}', '\u{FFFF}'),
        2 => proptest::char::range('\u{10000}', '\u{10FFFF}'),
    ]
}

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(text_char(), 0..24).prop_map(|chars| chars.into_iter().collect())
}

fn json_value() -> impl Strategy<Value = Gen> {
    let leaf = prop_oneof![
        Just(Gen::Null),
        any::<bool>().prop_map(Gen::Bool),
        number_text().prop_map(Gen::Number),
        text().prop_map(Gen::String),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Gen::Array),
            proptest::collection::vec((text(), inner), 0..8).prop_map(|members| {
                // Unique keys: a repeated key replaces an earlier value, which is (rightly) not a refinement.
                let mut seen = std::collections::HashSet::new();
                Gen::Object(
                    members
                        .into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .collect(),
                )
            }),
        ]
    })
}

fn norm_gen(value: &Gen) -> Norm {
    match value {
        Gen::Null => Norm::Null,
        Gen::Bool(b) => Norm::Bool(*b),
        Gen::Number(text) => Norm::Number(decimal(text)),
        Gen::String(s) => Norm::String(s.clone()),
        Gen::Array(items) => Norm::Array(items.iter().map(norm_gen).collect()),
        Gen::Object(members) => Norm::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), norm_gen(v)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Serialization with random whitespace and random (valid) escapes.

fn whitespace(out: &mut Vec<u8>, rng: &mut Rng) {
    if rng.chance(2, 3) {
        return;
    }
    let pieces: [&[u8]; 6] = [b" ", b"\n", b"\t", b"\r\n", b"  ", b"\n    "];
    out.extend_from_slice(rng.pick(&pieces));
}

fn hex4(out: &mut Vec<u8>, unit: u16, rng: &mut Rng) {
    let text = if rng.chance(1, 2) {
        format!("\\u{unit:04x}")
    } else {
        format!("\\u{unit:04X}")
    };
    out.extend_from_slice(text.as_bytes());
}

fn write_string(out: &mut Vec<u8>, s: &str, rng: &mut Rng) {
    out.push(b'"');
    for c in s.chars() {
        let escape_anyway = rng.chance(1, 6);
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' if !escape_anyway => out.extend_from_slice(b"\\\\"),
            '/' if escape_anyway => out.extend_from_slice(b"\\/"),
            '\u{8}' if !escape_anyway => out.extend_from_slice(b"\\b"),
            '\u{c}' if !escape_anyway => out.extend_from_slice(b"\\f"),
            '\n' if !escape_anyway => out.extend_from_slice(b"\\n"),
            '\r' if !escape_anyway => out.extend_from_slice(b"\\r"),
            '\t' if !escape_anyway => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 || c == '\\' || escape_anyway => {
                let mut units = [0u16; 2];
                for &unit in c.encode_utf16(&mut units).iter() {
                    hex4(out, unit, rng);
                }
            }
            c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out.push(b'"');
}

/// Iterative serialization (an explicit stack), with whitespace around every token.
fn serialize(value: &Gen, rng: &mut Rng) -> Vec<u8> {
    enum Step<'a> {
        Value(&'a Gen),
        Raw(&'static [u8]),
        Key(&'a str),
    }
    let mut out = Vec::new();
    let mut todo = vec![Step::Value(value)];
    whitespace(&mut out, rng);
    while let Some(step) = todo.pop() {
        match step {
            Step::Raw(bytes) => out.extend_from_slice(bytes),
            Step::Key(key) => write_string(&mut out, key, rng),
            Step::Value(value) => match value {
                Gen::Null => out.extend_from_slice(b"null"),
                Gen::Bool(true) => out.extend_from_slice(b"true"),
                Gen::Bool(false) => out.extend_from_slice(b"false"),
                Gen::Number(text) => out.extend_from_slice(text.as_bytes()),
                Gen::String(s) => write_string(&mut out, s, rng),
                Gen::Array(items) => {
                    out.push(b'[');
                    todo.push(Step::Raw(b"]"));
                    for (k, item) in items.iter().enumerate().rev() {
                        todo.push(Step::Value(item));
                        if k > 0 {
                            todo.push(Step::Raw(b","));
                        }
                    }
                }
                Gen::Object(members) => {
                    out.push(b'{');
                    todo.push(Step::Raw(b"}"));
                    for (k, (key, item)) in members.iter().enumerate().rev() {
                        todo.push(Step::Value(item));
                        todo.push(Step::Raw(b":"));
                        todo.push(Step::Key(key));
                        if k > 0 {
                            todo.push(Step::Raw(b","));
                        }
                    }
                }
            },
        }
        whitespace(&mut out, rng);
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// Agreement with serde_json on acceptance.

/// Our verdict and serde_json's must agree: both accept with the same value, or both refuse. Lone surrogates
/// are the documented difference (JSON's grammar allows `\ud800`; serde_json refuses it). When both refuse,
/// truncation must be truncation for both.
fn agrees_with_serde(outcome: &Run, input: &[u8]) {
    let serde = serde_json::from_slice::<serde_json::Value>(input);
    let shown = common::show(input);
    match (&outcome.result, &serde) {
        (Ok(()), Ok(theirs)) => {
            assert_eq!(
                norm_ours(outcome.value.as_ref().unwrap()),
                norm_serde(theirs),
                "value of {shown}"
            );
        }
        (Ok(()), Err(e)) => {
            assert!(
                outcome.lone_surrogates > 0,
                "we accept {shown}, serde_json refuses: {e}"
            );
            let message = e.to_string();
            assert!(
                message.contains("surrogate") || message.contains("hex escape"),
                "{shown}: {message}"
            );
        }
        (Err(ours), Ok(_)) => panic!("we refuse {shown} ({ours}), serde_json accepts"),
        (Err(ours), Err(theirs)) => {
            // What we call truncated, serde_json must too, unless a lone surrogate stopped it earlier. (Not the
            // converse: serde_json validates UTF-8 only at the end of a string, so it calls `"\xFF` truncated.)
            if outcome.lone_surrogates == 0 && ours.is_incomplete() {
                assert!(theirs.is_eof(), "{shown}: ours {ours}, serde_json {theirs}");
            }
        }
    }
}

fn how(seed: u64, partials: bool) -> Thoroughness {
    Thoroughness {
        every_cut: false,
        every_pair: false,
        random: 6,
        seed,
        partials,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations and token soups.

const INTERESTING: &[&[u8]] = &[
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b":",
    b"\"",
    b"\\",
    b"\\u",
    b"\\ud83d",
    b"\\ude80",
    b"\\n",
    b"u",
    b"0",
    b"1",
    b"-",
    b".",
    b"e",
    b"E+",
    b"true",
    b"tru",
    b"null",
    b"NaN",
    b"-Infinity",
    b" ",
    b"\n",
    b"\t",
    b"\x00",
    b"\x1f",
    b"\x7f",
    b"\xC3",
    b"\xA9",
    b"\xE2\x82",
    b"\xAC",
    b"\xF0\x9F\x9A",
    b"\x80",
    b"\xC0\x80",
    b"\xED\xA0\x80",
    b"\xF4\x90\x80\x80",
    b"\xF5",
    b"\xFF",
    b"\xEF\xBB\xBF",
];

fn mutate(mut bytes: Vec<u8>, rng: &mut Rng) -> Vec<u8> {
    for _ in 0..rng.range(1, 3) {
        let at = rng.range(0, bytes.len());
        match rng.range(0, 5) {
            0 if at < bytes.len() => bytes[at] = rng.pick(INTERESTING)[0],
            1 => {
                let token = rng.pick(INTERESTING);
                bytes.splice(at..at, token.iter().copied());
            }
            2 if at < bytes.len() => {
                let end = rng.range(at, bytes.len().min(at + 4));
                bytes.drain(at..end);
            }
            3 => bytes.truncate(at),
            4 if at < bytes.len() => {
                let end = rng.range(at, bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
            _ => bytes.insert(at.min(bytes.len()), rng.range(0, 255) as u8),
        }
    }
    bytes
}

fn token_soup(rng: &mut Rng, tokens: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..tokens {
        out.extend_from_slice(rng.pick(INTERESTING));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random values: accepted under every chunking with exactly the generated value, which is also
    /// serde_json's; events and state after every byte independent of chunking; partials only refine.
    #[test]
    fn random_documents_round_trip(value in json_value(), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let input = serialize(&value, &mut rng);
        let expected = norm_gen(&value);
        let theirs = serde_json::from_slice::<serde_json::Value>(&input).expect("serde_json accepts generated JSON");
        prop_assert_eq!(&norm_serde(&theirs), &expected);
        let outcome = check_chunkings(&input, &Options::default(), how(seed, true));
        prop_assert_eq!(&outcome.result, &Ok(()));
        prop_assert_eq!(&norm_ours(outcome.value.as_ref().unwrap()), &expected);
        prop_assert_eq!(outcome.lone_surrogates, 0);
    }

    /// Mutated documents: the verdict and error offset do not depend on chunking and agree with serde_json.
    #[test]
    fn mutated_documents(value in json_value(), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let input = mutate(serialize(&value, &mut rng), &mut rng);
        let outcome = check_chunkings(&input, &Options::default(), how(seed, false));
        agrees_with_serde(&outcome, &input);
    }

    /// Soups of JSON-ish tokens (and broken UTF-8): same, also with NaN/Infinity allowed.
    #[test]
    fn token_soups(seed in any::<u64>(), tokens in 1usize..24) {
        let mut rng = Rng::new(seed);
        let input = token_soup(&mut rng, tokens);
        let outcome = check_chunkings(&input, &Options::default(), how(seed, false));
        agrees_with_serde(&outcome, &input);
        check_chunkings(&input, &Options::default().allow_nan(true), how(seed, false));
        check_chunkings(&input, &Options::default().max_depth(2), how(seed, false));
    }

    /// Random bytes.
    #[test]
    fn random_bytes(input in proptest::collection::vec(any::<u8>(), 0..48), seed in any::<u64>()) {
        let outcome = check_chunkings(&input, &Options::default(), how(seed, false));
        agrees_with_serde(&outcome, &input);
    }
}

/// The generators must produce every verdict often enough for the properties above to test something:
/// mutated documents that stay valid, that become malformed, that become truncated, and lone surrogates.
#[test]
fn generators_cover_every_verdict() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut accepted, mut rejected, mut incomplete, mut lone) = (0, 0, 0, 0);
    for seed in 0..400 {
        let value = json_value().new_tree(&mut runner).unwrap().current();
        let mut rng = Rng::new(seed);
        let input = mutate(serialize(&value, &mut rng), &mut rng);
        let outcome = common::run(&input, &[], &Options::default(), false);
        match &outcome.result {
            Ok(()) => accepted += 1,
            Err(e) if e.is_incomplete() => incomplete += 1,
            Err(_) => rejected += 1,
        }
        let soup = common::run(&token_soup(&mut rng, 6), &[], &Options::default(), false);
        lone += usize::from(outcome.lone_surrogates + soup.lone_surrogates > 0);
    }
    println!(
        "accepted {accepted}, rejected {rejected}, incomplete {incomplete}, lone surrogates {lone}"
    );
    assert!(
        accepted > 20 && rejected > 100 && incomplete > 20 && lone > 5,
        "accepted {accepted}, rejected {rejected}, incomplete {incomplete}, lone surrogates {lone}"
    );
}
