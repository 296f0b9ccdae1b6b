//! Hostile and edge-case input: deep nesting, huge strings, invalid UTF-8, control characters, NaN/Infinity,
//! sticky errors, use after finish, line and column.

mod common;

use std::time::Instant;

use common::{byte_by_byte, check_chunkings, run, whole, Thoroughness, EXHAUSTIVE};
use midstream_core::{
    Error, ErrorKind, Event, IgnoreEvents, Options, Parser, Reject, ScalarKind, Sink, Value,
    ValueBuilder, DEFAULT_MAX_DEPTH,
};

/// Counts events and fragment bytes, so every event is really consumed.
#[derive(Default)]
struct Counter {
    events: u64,
    text_bytes: u64,
    max_depth: u64,
    depth: u64,
}

impl Sink for Counter {
    fn event(&mut self, event: Event<'_>) -> Result<(), Reject> {
        self.events += 1;
        match event {
            Event::Fragment(text) => self.text_bytes += text.len() as u64,
            Event::BeginArray | Event::BeginObject => {
                self.depth += 1;
                self.max_depth = self.max_depth.max(self.depth);
            }
            Event::EndArray | Event::EndObject => self.depth -= 1,
            _ => {}
        }
        Ok(())
    }
}

fn error_of(input: &[u8], options: &Options) -> Error {
    let outcome = check_chunkings(input, options, EXHAUSTIVE);
    outcome.result.expect_err("must be rejected")
}

#[test]
fn a_million_open_brackets_hit_the_depth_limit() {
    assert_eq!(DEFAULT_MAX_DEPTH, 512);
    let input = vec![b'['; 1_000_000];
    for chunk in [input.len(), 1, 7, 65536] {
        let mut parser = Parser::new();
        let mut counter = Counter::default();
        let mut result = Ok(());
        for piece in input.chunks(chunk) {
            result = parser.feed(piece, &mut counter);
            if result.is_err() {
                break;
            }
        }
        let error = result.expect_err("depth limit");
        assert_eq!(error.kind, ErrorKind::DepthLimit { limit: 512 });
        assert_eq!((error.offset, error.line, error.column), (512, 1, 513));
        assert_eq!(counter.max_depth, 512, "the 513th bracket is not reported");
        assert_eq!(parser.depth(), 512);
    }
    // Objects count too, and a small limit is exact.
    let error = error_of(br#"{"a":[{"b":[1]}]}"#, &Options::default().max_depth(3));
    assert_eq!(
        (error.kind, error.offset),
        (ErrorKind::DepthLimit { limit: 3 }, 11)
    );
    assert_eq!(
        check_chunkings(
            br#"{"a":[{"b":1}]}"#,
            &Options::default().max_depth(3),
            EXHAUSTIVE
        )
        .result,
        Ok(())
    );
    let error = error_of(b"[]", &Options::default().max_depth(0));
    assert_eq!(
        (error.kind, error.offset),
        (ErrorKind::DepthLimit { limit: 0 }, 0)
    );
    assert_eq!(
        check_chunkings(b"1", &Options::default().max_depth(0), EXHAUSTIVE).result,
        Ok(())
    );
}

#[test]
fn unlimited_depth_does_not_overflow_the_stack() {
    let options = Options::default().max_depth(usize::MAX);
    let mut input = vec![b'['; 1_000_000];
    let mut parser = Parser::with_options(options.clone());
    let mut counter = Counter::default();
    for piece in input.chunks(4096) {
        parser.feed(piece, &mut counter).unwrap();
    }
    assert_eq!(parser.depth(), 1_000_000);
    let error = parser.finish(&mut counter).unwrap_err();
    assert!(error.is_incomplete(), "{error:?}");
    assert_eq!(error.offset, 1_000_000);

    // Closed again, it is a valid document.
    input.extend(std::iter::repeat_n(b']', 1_000_000));
    let mut parser = Parser::with_options(options);
    let mut counter = Counter::default();
    parser.feed(&input, &mut counter).unwrap();
    parser.finish(&mut counter).unwrap();
    assert_eq!(
        (counter.events, counter.max_depth, counter.depth),
        (2_000_000, 1_000_000, 0)
    );
}

#[test]
fn a_16_mb_string_in_64_kb_chunks() {
    let unit = "Plain prose, with some café, 東京 and 🚀 in it; ";
    let mut text = String::new();
    while text.len() < 16 << 20 {
        text.push_str(unit);
    }
    let mut input = Vec::with_capacity(text.len() + 2);
    input.push(b'"');
    input.extend_from_slice(text.as_bytes());
    input.push(b'"');
    let mut parser = Parser::new();
    let mut counter = Counter::default();
    let started = Instant::now();
    for piece in input.chunks(64 << 10) {
        parser.feed(piece, &mut counter).unwrap();
    }
    parser.finish(&mut counter).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(counter.text_bytes, text.len() as u64);
    println!(
        "16 MB string in 64 KB chunks: {elapsed:?} ({:.0} MB/s, not asserted)",
        input.len() as f64 / elapsed.as_secs_f64() / 1e6
    );
    // The text arrives intact through the value builder too.
    let mut parser = Parser::new();
    let mut builder = ValueBuilder::default();
    for piece in input.chunks((64 << 10) + 1) {
        parser.feed(piece, &mut builder).unwrap();
    }
    parser.finish(&mut builder).unwrap();
    assert_eq!(builder.into_value(), Some(Value::String(text)));
}

#[test]
fn invalid_utf8_is_rejected_at_the_offending_byte() {
    let cases: &[(&[u8], u64, u8)] = &[
        (b"\"\xC0\x80\"", 1, 0xC0), // overlong 2-byte: C0 can never start a sequence
        (b"\"\xC1\xBF\"", 1, 0xC1), // overlong 2-byte
        (b"\"\xE0\x80\x80\"", 2, 0x80), // overlong 3-byte: E0 must be followed by A0..BF
        (b"\"\xE0\x9F\xBF\"", 2, 0x9F), // overlong 3-byte
        (b"\"\xED\xA0\x80\"", 2, 0xA0), // UTF-8-encoded surrogate
        (b"\"\xED\xBF\xBF\"", 2, 0xBF), // UTF-8-encoded surrogate
        (b"\"\xF0\x80\x80\x80\"", 2, 0x80), // overlong 4-byte
        (b"\"\xF4\x90\x80\x80\"", 2, 0x90), // above U+10FFFF
        (b"\"\xF5\x80\x80\x80\"", 1, 0xF5), // F5 can never start a sequence
        (b"\"\xFF\"", 1, 0xFF),
        (b"\"\x80\"", 1, 0x80),                 // lone continuation
        (b"\"ab\xBF\"", 3, 0xBF),               // lone continuation after text
        (b"\"\xE2\x82\"", 3, b'"'),             // truncated sequence followed by the quote
        (b"\"\xF0\x9F\x9A\"", 4, b'"'),         // truncated 4-byte sequence followed by the quote
        (b"\"\xC3\\n\"", 2, b'\\'),             // truncated sequence followed by an escape
        (b"\"\xC3\x0a\"", 2, b'\n'),            // truncated sequence followed by a control byte
        (b"\"\xE2\x41\"", 2, b'A'),             // truncated sequence followed by ASCII
        (b"\"\xE2\x82\xE2\x82\xAC\"", 3, 0xE2), // truncated sequence followed by a lead byte
        (
            b"[\"ok\", \"\xF0\x9F\x9A\x80\", \"\xC3\xA9\xC3\"]",
            19,
            b'"',
        ),
        (b"{\"k\xC3\": 1}", 4, b'"'), // in a key
    ];
    for &(input, offset, found) in cases {
        let error = error_of(input, &Options::default());
        assert_eq!(error.offset, offset, "{}: {error}", common::show(input));
        assert_eq!(
            error.kind,
            ErrorKind::InvalidUtf8 { found },
            "{}",
            common::show(input)
        );
        // The same inside a long document (large chunks validate differently from small ones), with valid
        // non-ASCII text before and after it.
        let prefix = format!(
            "{{\"pad\": \"{}\", \"v\": ",
            "caf\u{e9} \u{1F680} ".repeat(12)
        );
        let mut long = prefix.clone().into_bytes();
        long.extend_from_slice(input);
        long.extend_from_slice(" , \"more\": \"\u{6771}\u{4eac}\"}".as_bytes());
        let how = Thoroughness {
            every_cut: true,
            every_pair: false,
            random: 8,
            seed: offset,
            partials: true,
        };
        let error = check_chunkings(&long, &Options::default(), how)
            .result
            .unwrap_err();
        assert_eq!(
            error.offset,
            prefix.len() as u64 + offset,
            "{}: {error}",
            common::show(&long)
        );
        assert_eq!(error.kind, ErrorKind::InvalidUtf8 { found });
    }
    // A truncated sequence at the end of the input is merely incomplete.
    for input in [&b"\"\xE2\x82"[..], b"\"\xF0", b"\"\xF0\x9F\x9A"] {
        assert!(error_of(input, &Options::default()).is_incomplete());
    }
    // Outside strings, a non-ASCII byte is just unexpected.
    let error = error_of(b"[\xC3\xA9]", &Options::default());
    assert_eq!(
        (error.offset, error.kind),
        (
            1,
            ErrorKind::Unexpected {
                expected: "a JSON value or ']'",
                found: 0xC3
            }
        )
    );
}

#[test]
fn raw_control_characters_in_strings_are_rejected() {
    for byte in (0u8..0x20).chain([]) {
        let input = [b'[', b'"', b'a', byte, b'b', b'"', b']'];
        let error = error_of(&input, &Options::default());
        assert_eq!(
            (error.offset, error.kind),
            (3, ErrorKind::ControlCharacter { found: byte }),
            "byte {byte:#x}"
        );
        let key = [b'{', b'"', byte, b'"', b':', b'1', b'}'];
        let error = error_of(&key, &Options::default());
        assert_eq!(
            (error.offset, error.kind),
            (2, ErrorKind::ControlCharacter { found: byte }),
            "byte {byte:#x}"
        );
    }
    // DEL and the C1 range are not control characters to JSON.
    let outcome = check_chunkings("\"\x7f\u{85}\"".as_bytes(), &Options::default(), EXHAUSTIVE);
    assert_eq!(outcome.value, Some(Value::String("\x7f\u{85}".into())));
}

#[test]
fn nan_and_infinity_only_when_allowed() {
    let strict = Options::default();
    let lenient = Options::default().allow_nan(true);
    for (input, offset) in [
        ("NaN", 0),
        ("Infinity", 0),
        ("-Infinity", 1),
        ("[1, NaN]", 4),
        ("{\"a\": -Infinity}", 7),
    ] {
        let error = error_of(input.as_bytes(), &strict);
        assert_eq!(error.offset, offset, "{input}: {error}");
        assert!(matches!(error.kind, ErrorKind::Unexpected { .. }));
        let outcome = check_chunkings(input.as_bytes(), &lenient, EXHAUSTIVE);
        assert_eq!(outcome.result, Ok(()), "{input} with allow_nan");
    }
    let outcome = check_chunkings(b"[NaN, Infinity, -Infinity, -1]", &lenient, EXHAUSTIVE);
    let numbers: Vec<_> = outcome
        .events
        .iter()
        .filter_map(|e| match e {
            common::Ev::Number(text, int) => Some((text.as_str(), *int)),
            _ => None,
        })
        .collect();
    assert_eq!(
        numbers,
        [
            ("NaN", false),
            ("Infinity", false),
            ("-Infinity", false),
            ("-1", true)
        ]
    );
    assert_eq!(
        outcome
            .events
            .iter()
            .filter(|e| **e == common::Ev::Begin(ScalarKind::Number))
            .count(),
        4
    );
    // Partial literals are incomplete, wrong ones rejected at the first wrong byte.
    for input in ["N", "Na", "Inf", "-", "-I", "-Infinit"] {
        assert!(
            error_of(input.as_bytes(), &lenient).is_incomplete(),
            "{input}"
        );
    }
    for (input, offset) in [
        ("Nan", 2),
        ("-Inf1", 4),
        ("Infinityy", 8),
        ("-NaN", 1),
        ("[-Infinity1]", 10),
        ("nan", 1),
    ] {
        assert_eq!(
            error_of(input.as_bytes(), &lenient).offset,
            offset,
            "{input}"
        );
    }
}

#[test]
fn errors_are_sticky_and_keep_what_was_parsed() {
    let mut parser = Parser::new();
    let mut builder = ValueBuilder::default();
    parser
        .feed(br#"{"a": [1, "x"], "b": tru"#, &mut builder)
        .unwrap();
    let error = parser.feed(b"x, \"c\": 2}", &mut builder).unwrap_err();
    assert_eq!(error.offset, 24);
    assert_eq!(parser.error(), Some(&error));
    for _ in 0..3 {
        assert_eq!(parser.feed(b"e}", &mut builder), Err(error.clone()));
        assert_eq!(parser.finish(&mut builder), Err(error.clone()));
    }
    assert_eq!(
        builder.partial(),
        Some(midstream_core::parse(br#"{"a": [1, "x"]}"#).unwrap())
    );
    // An Incomplete error from finish is sticky too.
    let mut parser = Parser::new();
    parser.feed(b"[1", &mut IgnoreEvents).unwrap();
    let error = parser.finish(&mut IgnoreEvents).unwrap_err();
    assert_eq!((error.offset, error.is_incomplete()), (2, true));
    assert_eq!(parser.feed(b"]", &mut IgnoreEvents), Err(error.clone()));
    assert_eq!(parser.finish(&mut IgnoreEvents), Err(error));
}

#[test]
fn feed_after_finish_is_refused() {
    let mut parser = Parser::new();
    parser.feed(b"[1] ", &mut IgnoreEvents).unwrap();
    parser.finish(&mut IgnoreEvents).unwrap();
    let error = parser.feed(b" ", &mut IgnoreEvents).unwrap_err();
    assert_eq!((error.kind, error.offset), (ErrorKind::Finished, 4));
    // Not an error of the document: finishing again still succeeds.
    assert_eq!(parser.finish(&mut IgnoreEvents), Ok(()));
    assert!(parser.error().is_none());
    // A root number is completed by finish.
    let mut parser = Parser::new();
    let mut builder = ValueBuilder::default();
    parser.feed(b"-12.5e3", &mut builder).unwrap();
    parser.finish(&mut builder).unwrap();
    assert_eq!(
        parser.feed(b"4", &mut builder).unwrap_err().kind,
        ErrorKind::Finished
    );
    assert_eq!(builder.into_value(), Some(Value::Number("-12.5e3".into())));
}

#[test]
fn a_refusing_sink_stops_the_parser_at_the_value() {
    struct NoBigNumbers;
    impl Sink for NoBigNumbers {
        fn event(&mut self, event: Event<'_>) -> Result<(), Reject> {
            match event {
                Event::Number(n) if n.text.len() > 5 => {
                    Err(Reject(format!("too many digits: {}", n.text)))
                }
                _ => Ok(()),
            }
        }
    }
    let input = b"[1, 22,\n 123456789, 4]";
    for cuts in [whole(), byte_by_byte(input.len()), vec![10]] {
        let mut parser = Parser::new();
        let mut result = Ok(());
        for piece in common::chunks(input, &cuts) {
            result = parser.feed(piece, &mut NoBigNumbers);
            if result.is_err() {
                break;
            }
        }
        let error = result.unwrap_err();
        assert_eq!(
            error.kind,
            ErrorKind::Rejected("too many digits: 123456789".into())
        );
        assert_eq!((error.offset, error.line, error.column), (9, 2, 2));
        assert_eq!(parser.feed(b"]", &mut NoBigNumbers), Err(error));
    }
    // A root number refused at finish.
    let mut parser = Parser::new();
    parser.feed(b" 1234567", &mut NoBigNumbers).unwrap();
    let error = parser.finish(&mut NoBigNumbers).unwrap_err();
    assert_eq!((error.offset, error.column), (1, 2));
    assert!(matches!(error.kind, ErrorKind::Rejected(_)));
    assert_eq!(parser.finish(&mut NoBigNumbers), Err(error));
}

#[test]
fn line_and_column_across_newlines() {
    let input = b"{\n  \"a\": 1,\r\n  \"b\": [\n\n    true,\n    x\n  ]\n}";
    let error = error_of(input, &Options::default());
    let x = input.iter().position(|&b| b == b'x').unwrap() as u64;
    assert_eq!((error.offset, error.line, error.column), (x, 6, 5));
    let error = error_of(b"[1,\n2,\n", &Options::default());
    assert_eq!((error.offset, error.line, error.column), (7, 3, 1));
    assert!(error.is_incomplete());
    let error = error_of(b"\n\n  \"abc\x01\"", &Options::default());
    assert_eq!((error.offset, error.line, error.column), (8, 3, 7));
    let error = error_of(b"\r\r[1]\r\n\r\n ]", &Options::default());
    assert_eq!((error.offset, error.line, error.column), (10, 3, 2));
}

#[test]
fn messages_say_what_was_expected() {
    let cases: &[(&[u8], &str)] = &[
        (b"[1,\n  }", "expected a JSON value, found '}' at line 2 column 3 (byte 6)"),
        (b"[1 2]", "expected ',' or ']', found '2' at line 1 column 4 (byte 3)"),
        (b"{\"a\":1 2}", "expected ',' or '}', found '2' at line 1 column 8 (byte 7)"),
        (b"{\"a\" 1}", "expected ':' after the key, found '1' at line 1 column 6 (byte 5)"),
        (b"{,}", "expected a string key or '}', found ',' at line 1 column 2 (byte 1)"),
        (b"[1", "unexpected end of input: expected ',' or ']' at line 1 column 3 (byte 2)"),
        (b"\"a", "unexpected end of input: expected the rest of a string at line 1 column 3 (byte 2)"),
        (b"\"\x01\"", "control character U+0001 in a string must be escaped at line 1 column 2 (byte 1)"),
        (b"\"\xFF\"", "invalid UTF-8: unexpected byte 0xFF at line 1 column 2 (byte 1)"),
        (b"\xEF\xBB\xBF{}", "expected a JSON value, found byte 0xEF (a UTF-8 byte order mark is not allowed) at line 1 column 1 (byte 0)"),
        (b"[[[", "nesting deeper than the depth limit of 2 at line 1 column 3 (byte 2)"),
    ];
    for (input, message) in cases {
        let error = run(input, &whole(), &Options::default().max_depth(2), false)
            .result
            .unwrap_err();
        assert_eq!(error.to_string(), *message, "{}", common::show(input));
    }
}

#[test]
fn long_documents_in_many_chunkings() {
    // A larger document than the exhaustive tests use, with every construct, in random chunkings.
    let mut doc = String::from("[");
    for k in 0..40 {
        doc.push_str(&format!(
            "{{\"id\": {k}, \"t\\u00edtle\": \"caf\u{e9} \\ud83d\\ude80 {k}\\n\", \"x\": -{k}.5e-{k}, \"ok\": {}, \"n\": null, \"l\": [\"\u{6771}\", []]}},\n",
            k % 2 == 0
        ));
    }
    doc.push_str("{}]");
    let how = Thoroughness {
        every_cut: false,
        every_pair: false,
        random: 10,
        seed: 99,
        partials: true,
    };
    let outcome = check_chunkings(doc.as_bytes(), &Options::default(), how);
    assert_eq!(outcome.result, Ok(()));
    let serde: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(
        common::norm_ours(outcome.value.as_ref().unwrap()),
        common::norm_serde(&serde)
    );
    // And the single-run helper agrees on a plain whole feed.
    assert_eq!(
        run(doc.as_bytes(), &whole(), &Options::default(), false).value,
        outcome.value
    );
}

#[test]
fn a_refused_container_end_is_reported_at_its_bracket() {
    struct NoArrays;
    impl Sink for NoArrays {
        fn event(&mut self, event: Event<'_>) -> Result<(), Reject> {
            match event {
                Event::EndArray => Err(Reject("no arrays".into())),
                _ => Ok(()),
            }
        }
    }
    let input = b"{\"a\": [1,\n2\n], \"b\": 3}";
    for cuts in [whole(), byte_by_byte(input.len())] {
        let mut parser = Parser::new();
        let mut result = Ok(());
        for piece in common::chunks(input, &cuts) {
            result = parser.feed(piece, &mut NoArrays);
            if result.is_err() {
                break;
            }
        }
        let error = result.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Rejected("no arrays".into()));
        common::check_line_column(input, &error);
        assert_eq!(
            (error.offset, error.line, error.column),
            (12, 3, 1),
            "at the bracket"
        );
    }
}

#[test]
fn state_queries_follow_the_grammar() {
    let mut parser = Parser::new();
    let mut sink = IgnoreEvents;
    let steps: &[(&[u8], bool, bool, bool, usize)] = &[
        // (bytes fed next, root pending, awaiting value, root complete, depth)
        (b"", true, false, false, 0),
        (b" ", true, false, false, 0),
        (b"{", false, false, false, 1),
        (b"\"k\"", false, true, false, 1),
        (b" :", false, true, false, 1),
        (b" [", false, false, false, 2),
        (b"1", false, false, false, 2),
        (b",", false, true, false, 2),
        (b"2]", false, false, false, 1),
        (b"}", false, false, true, 0),
        (b" \n", false, false, true, 0),
    ];
    let mut fed = 0;
    for (bytes, pending, awaiting, complete, depth) in steps {
        parser.feed(bytes, &mut sink).unwrap();
        fed += bytes.len() as u64;
        let state = (
            parser.is_root_pending(),
            parser.is_awaiting_value(),
            parser.is_root_complete(),
            parser.depth(),
        );
        assert_eq!(
            state,
            (*pending, *awaiting, *complete, *depth),
            "after {}",
            String::from_utf8_lossy(bytes)
        );
        assert_eq!(parser.offset(), fed);
    }
    parser.finish(&mut sink).unwrap();
    assert!(parser.is_root_complete());
    assert_eq!(parser.options(), &Options::default());
    // A root scalar is complete only once proven.
    let mut parser = Parser::new();
    parser.feed(b"12", &mut sink).unwrap();
    assert!(!parser.is_root_complete() && !parser.is_root_pending());
    parser.feed(b" ", &mut sink).unwrap();
    assert!(parser.is_root_complete());
}

/// A wide object builds in time linear in its width: 300,000 distinct keys (a scan per key for duplicates made
/// this take many minutes), and a repeated key still replaces the earlier value in the earlier place, before and
/// after the builder starts indexing the keys, in the finished value and in the partial of the open object.
#[test]
fn a_wide_object_builds_in_linear_time_and_repeated_keys_replace_in_place() {
    const WIDTH: usize = 300_000;
    let repeated = [0, 7, 15, 16, 150_000, WIDTH - 1];
    let mut text = String::from("{");
    let mut expected: Vec<(String, Value)> = Vec::with_capacity(WIDTH);
    for i in 0..WIDTH {
        text.push_str(&format!("\"k{i}\": {i}, "));
        expected.push((format!("k{i}"), Value::Number(i.to_string())));
    }
    for &i in &repeated {
        text.push_str(&format!("\"k{i}\": \"again\", "));
        expected[i].1 = Value::String("again".into());
    }
    text.push_str("\"last\": null}");
    expected.push(("last".into(), Value::Null));
    assert_eq!(
        midstream_core::parse(text.as_bytes()).unwrap(),
        Value::Object(expected.clone())
    );

    // The same, read as a partial value while the last member is still open.
    let mut parser = Parser::new();
    let mut builder = ValueBuilder::default();
    let open = text.len() - "null}".len();
    parser.feed(&text.as_bytes()[..open], &mut builder).unwrap();
    expected.pop();
    assert_eq!(builder.partial(), Some(Value::Object(expected)));

    // Few members (no index yet): a repeat replaces in place too.
    assert_eq!(
        midstream_core::parse(br#"{"a": 1, "b": 2, "a": 3}"#).unwrap(),
        Value::Object(vec![
            ("a".into(), Value::Number("3".into())),
            ("b".into(), Value::Number("2".into()))
        ])
    );
}
