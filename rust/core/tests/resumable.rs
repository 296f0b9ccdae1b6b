//! Every resumable state: each document is cut at every byte position, at every pair of positions, fed byte by
//! byte and in random chunks. Events (fragments merged per string), the outcome, the state after every byte and
//! the partial values must not depend on the cuts, and partial values must only ever refine.

mod common;

use common::{check_chunkings, run, whole, Ev, EXHAUSTIVE};
use midstream_core::{parse, ErrorKind, Options, Parser, ScalarKind, Value, ValueBuilder};

fn strict() -> Options {
    Options::default()
}

/// Accepted under every chunking, with the value serde_json gives.
fn accepts(input: &str) -> Value {
    let run = check_chunkings(input.as_bytes(), &strict(), EXHAUSTIVE);
    assert_eq!(run.result, Ok(()), "{input:?} rejected");
    let value = run.value.expect("a value");
    let serde: serde_json::Value = serde_json::from_str(input).expect("serde_json accepts it");
    assert_eq!(
        common::norm_ours(&value),
        common::norm_serde(&serde),
        "{input:?}"
    );
    value
}

/// Accepted under every chunking with exactly this value (for what serde_json refuses: lone surrogates).
fn accepts_as(input: &str, expected: Value) -> common::Run {
    let run = check_chunkings(input.as_bytes(), &strict(), EXHAUSTIVE);
    assert_eq!(run.result, Ok(()), "{input:?} rejected");
    assert_eq!(run.value.as_ref(), Some(&expected), "{input:?}");
    run
}

/// Rejected under every chunking, at `offset`, with an error of this kind.
fn rejects(input: &[u8], offset: u64, kind: fn(&ErrorKind) -> bool) {
    let run = check_chunkings(input, &strict(), EXHAUSTIVE);
    let error = run.result.expect_err("must be rejected");
    assert_eq!(
        error.offset,
        offset,
        "offset for {}: {error:?}",
        common::show(input)
    );
    assert!(
        kind(&error.kind),
        "kind for {}: {error:?}",
        common::show(input)
    );
}

fn incomplete(kind: &ErrorKind) -> bool {
    matches!(kind, ErrorKind::Incomplete { .. })
}

fn unexpected(kind: &ErrorKind) -> bool {
    matches!(kind, ErrorKind::Unexpected { .. })
}

fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}

fn text_of(events: &[Ev]) -> Vec<Vec<u16>> {
    events
        .iter()
        .filter_map(|e| match e {
            Ev::Text(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn mid_utf8_sequences_of_every_length() {
    assert_eq!(accepts("\"é\""), string("é"));
    assert_eq!(accepts("\"€\""), string("€"));
    assert_eq!(accepts("\"🚀\""), string("🚀"));
    accepts("[\"aé€🚀z\", \"東京\", \"\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}\"]");
    accepts("{\"ключ\": \"значение\", \"🚀\": [\"ü\"]}");
    // Non-ASCII next to escapes, so a cut lands between a sequence and a backslash.
    accepts(r#"["é\n€\t🚀\"", "\u00e9é"]"#);
}

#[test]
fn mid_escape_and_mid_unicode_escape() {
    assert_eq!(
        accepts(r#""a\"b\\c\/d\be\ff\ng\rh\ti""#),
        string("a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti")
    );
    assert_eq!(
        accepts(r#""\u00e9\u20AC\u0000\u001f\uFFFF""#),
        string("é€\0\u{1f}\u{FFFF}")
    );
    accepts(r#"{"\u0041\n": "\u0042", "k\"": 1}"#);
}

#[test]
fn surrogate_pairs_cut_everywhere() {
    let run = accepts_as(r#""\ud83d\ude80""#, string("🚀"));
    assert_eq!(run.lone_surrogates, 0);
    assert_eq!(
        accepts(r#"["\ud83d\ude80x", "\uD83D\uDE80\uDBFF\uDFFF"]"#),
        parse("[\"🚀x\", \"🚀\u{10FFFF}\"]".as_bytes()).unwrap()
    );
    accepts(r#"{"\ud83d\ude80": "a\ud800\udc00b"}"#);
}

#[test]
fn lone_surrogates() {
    let cases: [(&str, &[u16]); 10] = [
        (r#""\ud83dx""#, &[0xD83D, 'x' as u16]),
        (r#""\ud83d\n""#, &[0xD83D, '\n' as u16]),
        (r#""\ud83d\\""#, &[0xD83D, '\\' as u16]),
        (r#""\ud83d\u0041""#, &[0xD83D, 'A' as u16]),
        (r#""\ud83d\ud83d\ude80""#, &[0xD83D, 0xD83D, 0xDE80]),
        (r#""\ud83d""#, &[0xD83D]),
        (r#""\ude00""#, &[0xDE00]),
        (r#""\ude00\ud83d""#, &[0xDE00, 0xD83D]),
        (r#""\ud83dé""#, &[0xD83D, 0xE9]),
        (r#""\ud83d\ud83d""#, &[0xD83D, 0xD83D]),
    ];
    for (input, units) in cases {
        let lone = units
            .iter()
            .enumerate()
            .filter(|(k, u)| {
                (0xDC00..=0xDFFF).contains(*u)
                    && !(k > &0 && (0xD800..=0xDBFF).contains(&units[k - 1]))
                    || (0xD800..=0xDBFF).contains(*u)
                        && !units
                            .get(k + 1)
                            .is_some_and(|n| (0xDC00..=0xDFFF).contains(n))
            })
            .count();
        let expected: String = char::decode_utf16(units.iter().copied())
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        let run = accepts_as(input, string(&expected));
        assert_eq!(text_of(&run.events), vec![units.to_vec()], "{input}");
        assert_eq!(run.lone_surrogates, lone, "{input}");
        assert!(
            serde_json::from_str::<serde_json::Value>(input).is_err(),
            "serde_json rejects lone surrogates"
        );
    }
    // In keys too, and the held surrogate is released by the closing quote of a key.
    let run = accepts_as(
        r#"{"\ud800": 1}"#,
        Value::Object(vec![("\u{FFFD}".into(), Value::Number("1".into()))]),
    );
    assert_eq!(run.lone_surrogates, 1);
}

#[test]
fn a_held_high_surrogate_is_not_shown() {
    let mut parser = Parser::new();
    let mut builder = ValueBuilder::default();
    parser.feed(br#"["a\ud83d"#, &mut builder).unwrap();
    assert_eq!(builder.partial(), Some(Value::Array(vec![string("a")])));
    parser.feed(br#"\ude80"#, &mut builder).unwrap();
    assert_eq!(builder.partial(), Some(Value::Array(vec![string("a🚀")])));
    parser.feed(br#"\ud83d"#, &mut builder).unwrap();
    assert_eq!(builder.partial(), Some(Value::Array(vec![string("a🚀")])));
    parser.feed(b"\"", &mut builder).unwrap();
    assert_eq!(
        builder.partial(),
        Some(Value::Array(vec![string("a🚀\u{FFFD}")]))
    );
}

#[test]
fn mid_number() {
    let value = accepts(
        "[-1, 0, -0, 0.5, -0.0e-0, 1e5, 1E+5, 1e-5, 12345678901234567890123456789, 1.25E400]",
    );
    let Value::Array(items) = value else { panic!() };
    let texts: Vec<_> = items
        .iter()
        .map(|v| match v {
            Value::Number(t) => t.as_str(),
            _ => panic!(),
        })
        .collect();
    assert_eq!(
        texts,
        [
            "-1",
            "0",
            "-0",
            "0.5",
            "-0.0e-0",
            "1e5",
            "1E+5",
            "1e-5",
            "12345678901234567890123456789",
            "1.25E400"
        ]
    );
    accepts("{\"a\":-12.5e+3,\"b\":0}");
    accepts(" 123 ");
    accepts("0");
    accepts("-0.5e-7");
    // A root number is finished only by finish().
    for input in [
        "-",
        "0.",
        "1e",
        "1e+",
        "1E-",
        "-0.",
        "[-",
        "[1.",
        "{\"a\":1e",
    ] {
        rejects(input.as_bytes(), input.len() as u64, incomplete);
    }
    rejects(b"[1.]", 3, unexpected);
    rejects(b"[1.e5]", 3, unexpected);
    rejects(b"[01]", 2, unexpected);
    rejects(b"[-01]", 3, unexpected);
    rejects(b"[-]", 2, unexpected);
    rejects(b"[1e]", 3, unexpected);
    rejects(b"[1e+]", 4, unexpected);
    rejects(b"[1e+-1]", 4, unexpected);
    rejects(b"[+1]", 1, unexpected);
    rejects(b"[.5]", 1, unexpected);
    rejects(b"[1 2]", 3, unexpected);
    rejects(b"[1,2,]", 5, unexpected);
    rejects(b"12a", 2, unexpected);
    rejects(b"[1e5.5]", 4, unexpected);
    rejects(b"[1.5.5]", 4, unexpected);
    rejects(b"[1e5e5]", 4, unexpected);
    rejects(b"[1.5E]", 5, unexpected);
    rejects(b"[0x1]", 2, unexpected);
    rejects(b"[1_000]", 2, unexpected);
    rejects(b"[00]", 2, unexpected);
    rejects(b"[-.5]", 2, unexpected);
    rejects(b"-a", 1, unexpected);
}

#[test]
fn number_events_wait_for_the_byte_after() {
    let mut parser = Parser::new();
    let mut sink = common::Recorder::default();
    parser.feed(b"[12", &mut sink).unwrap();
    assert_eq!(sink.events, [Ev::BeginArray, Ev::Begin(ScalarKind::Number)]);
    assert_eq!(sink.builder.partial(), Some(Value::Array(vec![])));
    parser.feed(b"3", &mut sink).unwrap();
    assert_eq!(sink.events.len(), 2);
    parser.feed(b"]", &mut sink).unwrap();
    assert_eq!(
        sink.events,
        [
            Ev::BeginArray,
            Ev::Begin(ScalarKind::Number),
            Ev::Number("123".into(), true),
            Ev::EndArray
        ]
    );

    let mut parser = Parser::new();
    let mut sink = common::Recorder::default();
    parser.feed(b"4", &mut sink).unwrap();
    parser.feed(b"2", &mut sink).unwrap();
    assert_eq!(sink.builder.partial(), None);
    parser.finish(&mut sink).unwrap();
    assert_eq!(
        sink.events,
        [Ev::Begin(ScalarKind::Number), Ev::Number("42".into(), true)]
    );
    assert_eq!(sink.builder.into_value(), Some(Value::Number("42".into())));
}

#[test]
fn mid_literal() {
    assert_eq!(accepts("true"), Value::Bool(true));
    assert_eq!(accepts(" false "), Value::Bool(false));
    assert_eq!(accepts("null"), Value::Null);
    accepts("[true,false,null,{\"t\":true}]");
    for input in [
        "t",
        "tr",
        "tru",
        "f",
        "fals",
        "n",
        "nul",
        "[nul",
        "{\"a\":tr",
    ] {
        rejects(input.as_bytes(), input.len() as u64, incomplete);
    }
    rejects(b"[tru]", 4, unexpected);
    rejects(b"[truex]", 5, unexpected);
    rejects(b"nulL", 3, unexpected);
    rejects(b"True", 0, unexpected);
    rejects(b"[fals3]", 5, unexpected);
}

#[test]
fn mid_key_and_between_key_and_colon() {
    accepts("{\"key\": \"value\", \"k2\" : [1, {\"k3\":{}}], \"\": []}");
    accepts("{\"a\"  \n :\t 1  ,  \"b\"\r\n:2}");
    accepts("{ }");
    accepts("[ ]");
    accepts("{\"a\":{\"b\":{\"c\":[[[]]]}}}");
    for input in [
        "{",
        "{\"",
        "{\"ke",
        "{\"key\"",
        "{\"key\" ",
        "{\"key\":",
        "{\"key\": ",
        "{\"a\":1,",
        "{\"a\":1, \"b",
    ] {
        rejects(input.as_bytes(), input.len() as u64, incomplete);
    }
    rejects(b"{\"a\" 1}", 5, unexpected);
    rejects(b"{\"a\":1,}", 7, unexpected);
    rejects(b"{1:2}", 1, unexpected);
    rejects(b"{\"a\":1 \"b\":2}", 7, unexpected);
    rejects(b"{\"a\"::1}", 5, unexpected);
    rejects(b"[\"a\":1]", 4, unexpected);
    rejects(b"{\"a\",1}", 4, unexpected);
}

#[test]
fn bad_escapes_are_rejected_at_the_offending_byte() {
    rejects(br#""\x""#, 2, unexpected);
    rejects(br#""\u12G4""#, 5, unexpected);
    rejects(br#""\u""#, 3, unexpected);
    rejects(br#""\ud83d\uZ""#, 9, unexpected);
    rejects(br#""\ud83d\u12""#, 11, unexpected);
    rejects(br#""\ud83d\x""#, 8, unexpected);
    rejects(br#""\U0041""#, 2, unexpected);
    for input in [
        r#""\"#,
        r#""\u"#,
        r#""\u12"#,
        r#""\ud83d"#,
        r#""\ud83d\"#,
        r#""\ud83d\u"#,
        r#""\ud83d\ude8"#,
    ] {
        rejects(input.as_bytes(), input.len() as u64, incomplete);
    }
}

#[test]
fn whitespace_and_trailing_content() {
    accepts(" \t\r\n[ \t\r\n1 \t\r\n, \t\r\n2 \t\r\n] \t\r\n");
    rejects(b"[1] x", 4, unexpected);
    rejects(b"[1][2]", 3, unexpected);
    rejects(b"1 2", 2, unexpected);
    rejects(b"\"a\" \"b\"", 4, unexpected);
    rejects(b"", 0, incomplete);
    rejects(b"  \n ", 4, incomplete);
    rejects(b"\x0c[]", 0, unexpected);
    rejects(b"\xEF\xBB\xBF[]", 0, unexpected);
}

/// The partial value after each prefix, exactly (the contract's examples).
#[test]
fn partial_values_of_prefixes() {
    let cases: &[(&str, Option<&str>)] = &[
        ("", None),
        (" ", None),
        ("-", None),
        ("12", None),
        ("12 ", Some("12")),
        ("t", None),
        ("true", Some("true")),
        ("\"", Some("\"\"")),
        ("\"ab", Some("\"ab\"")),
        ("\"ab\\", Some("\"ab\"")),
        ("\"ab\\u00", Some("\"ab\"")),
        ("\"ab\\u00e9", Some("\"abé\"")),
        ("[", Some("[]")),
        ("[1", Some("[]")),
        ("[12,", Some("[12]")),
        ("[12, 3.", Some("[12]")),
        ("[12, 3.5e", Some("[12]")),
        ("[12, 3.5e1 ", Some("[12, 3.5e1]")),
        ("[tr", Some("[]")),
        ("[true", Some("[true]")),
        ("[null, fa", Some("[null]")),
        ("{", Some("{}")),
        ("{\"a", Some("{}")),
        ("{\"a\"", Some("{}")),
        ("{\"a\" ", Some("{}")),
        ("{\"a\":", Some("{}")),
        ("{\"a\": 1", Some("{}")),
        ("{\"a\": 1 ", Some("{\"a\": 1}")),
        ("{\"a\": 1, \"b\"", Some("{\"a\": 1}")),
        ("{\"a\": \"", Some("{\"a\": \"\"}")),
        ("{\"a\": \"x\\", Some("{\"a\": \"x\"}")),
        ("{\"a\": \"\\ud83d", Some("{\"a\": \"\"}")),
        ("{\"a\": \"\\ud83d\\", Some("{\"a\": \"\"}")),
        ("{\"a\": \"\\ud83d\\ude8", Some("{\"a\": \"\"}")),
        ("{\"a\": \"\\ud83d\\ude80", Some("{\"a\": \"🚀\"}")),
        ("{\"a\": \"\\ud83dx", Some("{\"a\": \"\u{FFFD}x\"}")),
        ("{\"a\": [", Some("{\"a\": []}")),
        ("{\"a\": {\"b\"", Some("{\"a\": {}}")),
        ("{\"a\": {\"b\": [\"c", Some("{\"a\": {\"b\": [\"c\"]}}")),
        ("[[], {}, [", Some("[[], {}, []]")),
    ];
    for (prefix, expected) in cases {
        let mut parser = Parser::new();
        let mut builder = ValueBuilder::default();
        parser.feed(prefix.as_bytes(), &mut builder).unwrap();
        let expected = expected.map(|text| parse(text.as_bytes()).unwrap());
        assert_eq!(builder.partial(), expected, "partial of {prefix:?}");
        // Same byte by byte.
        let mut parser = Parser::new();
        let mut builder = ValueBuilder::default();
        for byte in prefix.as_bytes() {
            parser
                .feed(std::slice::from_ref(byte), &mut builder)
                .unwrap();
        }
        assert_eq!(
            builder.partial(),
            expected,
            "partial of {prefix:?} fed byte by byte"
        );
    }
    // Half a UTF-8 sequence is never shown.
    let mut parser = Parser::new();
    let mut builder = ValueBuilder::default();
    parser.feed(b"\"a\xE2\x82", &mut builder).unwrap();
    assert_eq!(builder.partial(), Some(string("a")));
    parser.feed(b"\xAC", &mut builder).unwrap();
    assert_eq!(builder.partial(), Some(string("a€")));
    parser.feed(b"\xF0\x9F", &mut builder).unwrap();
    assert_eq!(builder.partial(), Some(string("a€")));
    parser.feed(b"\x9A\x80\"", &mut builder).unwrap();
    assert_eq!(builder.partial(), Some(string("a€🚀")));
}

/// A mixed document exercising every state at once, cut everywhere.
#[test]
fn everything_together() {
    let doc = "{\"k\u{e9}y\\n\": [1, -2.5e-3, true, null, \"\\ud83d\\ude80 \u{6771}\u{4eac}\\\"\", {}, []], \"\\u0041\": false}";
    accepts(doc);
    let doc = "[\"\\ud83dx\", \"\u{1F680}\\ude00\", 0]";
    let run = check_chunkings(doc.as_bytes(), &strict(), EXHAUSTIVE);
    assert_eq!(run.result, Ok(()));
    assert_eq!(run.lone_surrogates, 2);
}

#[test]
fn whole_and_single_run_helpers_agree() {
    // The helper itself: a whole run of a valid document has its value and no error.
    let run = run(b"[1]", &whole(), &strict(), true);
    assert_eq!(run.value, Some(parse(b"[1]").unwrap()));
    assert_eq!(run.snapshots.len(), 2);
}

/// A number is finished only by a byte that may follow a value: `12x` is an error at `x` and no number is sent.
#[test]
fn a_number_is_not_finished_by_a_byte_that_cannot_follow_it() {
    use midstream_core::{ErrorKind, Event, Parser};
    for (input, offset) in [
        (&b"12x"[..], 2u64),
        (b"[12x", 3),
        (b"{\"n\": 1.5e3a", 11),
        (b"[12}", 3),
        (b"{\"n\": 7]", 7),
    ] {
        for cut in 0..=input.len() {
            let mut numbers = Vec::new();
            let mut sink = |event: Event<'_>| {
                if let Event::Number(number) = event {
                    numbers.push(number.text.to_owned());
                }
            };
            let mut parser = Parser::new();
            let result = parser
                .feed(&input[..cut], &mut sink)
                .and_then(|()| parser.feed(&input[cut..], &mut sink));
            let error = result.expect_err("malformed");
            assert_eq!(
                error.offset,
                offset,
                "{:?} cut at {cut}",
                String::from_utf8_lossy(input)
            );
            assert!(matches!(error.kind, ErrorKind::Unexpected { .. }));
            assert!(
                numbers.is_empty(),
                "{numbers:?} sent for {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }
}

/// Records each container event with the offset `Sink::bracket_at` gave just before it.
#[derive(Default)]
struct Brackets {
    next: Option<u64>,
    seen: Vec<(u64, char)>,
}

impl midstream_core::Sink for Brackets {
    fn event(&mut self, event: midstream_core::Event<'_>) -> Result<(), midstream_core::Reject> {
        use midstream_core::Event;
        let bracket = match event {
            Event::BeginObject => '{',
            Event::EndObject => '}',
            Event::BeginArray => '[',
            Event::EndArray => ']',
            _ => return Ok(()),
        };
        let offset = self
            .next
            .take()
            .expect("bracket_at comes before each container event");
        self.seen.push((offset, bracket));
        Ok(())
    }

    fn bracket_at(&mut self, offset: u64) {
        self.next = Some(offset);
    }
}

#[test]
fn bracket_offsets_are_where_the_brackets_are_whatever_the_cuts() {
    let input = br#" {"a": [1, {"b": "[x]{"}, [], {}], "c\"]": {"d": [[2.5e3]]}} "#;
    let expected: Vec<(u64, char)> = {
        // Brackets outside strings, found the simple way (this document has no backslash before a closing quote).
        let (mut inside, mut escaped, mut found) = (false, false, Vec::new());
        for (offset, &byte) in input.iter().enumerate() {
            match byte {
                _ if escaped => escaped = false,
                b'\\' if inside => escaped = true,
                b'"' => inside = !inside,
                b'{' | b'}' | b'[' | b']' if !inside => found.push((offset as u64, byte as char)),
                _ => {}
            }
        }
        found
    };
    for cut in 0..=input.len() {
        let (mut parser, mut sink) = (Parser::new(), Brackets::default());
        parser.feed(&input[..cut], &mut sink).expect("valid");
        parser.feed(&input[cut..], &mut sink).expect("valid");
        parser.finish(&mut sink).expect("complete");
        assert_eq!(sink.seen, expected, "cut at {cut}");
    }
}
