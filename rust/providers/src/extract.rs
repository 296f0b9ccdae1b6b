//! Decoding one event's JSON, keeping only what a provider's reading looks at.
//!
//! A provider event is mostly metadata (ids, model names, timestamps, log probabilities): building all of it only
//! to read `choices[0].delta.content` would cost an allocation per member. [`extract`] keeps only the members a
//! [`Want`] names and skips the rest, nothing allocated for it.
//!
//! Two readings, one result. The fast one ([`crate::pull`]) is a small pull reader for a whole event: keys
//! compared as written, unwanted values stepped over. It gives up on what it is not sure of (an escape in a key, a
//! lone surrogate escape, deep nesting, anything not JSON), and the payload is then read by `midstream-core`'s
//! tokenizer through an event sink ([`extract_events`]), which decides: a lone surrogate escape (valid JSON)
//! becomes U+FFFD, and only what `midstream-core` rejects is not JSON. The tests below hold the two readings to
//! the same results on random documents and on random damage to them. On the OpenAI chat stream of
//! `midstream bench --pipeline`, reading an event took ~5,730 instructions with `jiter`'s pull parser (each key
//! decoded into its buffer to be compared) and takes ~4,830 this way.

use std::borrow::Cow;

use midstream_core::{Event, Parser, Reject, Sink};

/// A decoded JSON value: the kept part of a payload. Keys named by a [`Want`] are borrowed from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// A number exactly as written.
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in order; a repeated key appears twice (readers take the last, as `json.loads` does).
    Object(Vec<(Cow<'static, str>, Json)>),
}

/// Which part of a value to keep.
#[derive(Debug)]
pub(crate) enum Want {
    /// All of it.
    Any,
    /// Of an object, these members (each with what to keep of it); of anything else, nothing below it (a scalar
    /// is kept, a container kept empty).
    Object(&'static [(&'static str, Want)]),
    /// Of an array, each item as this says.
    Array(&'static Want),
}

/// The parts of `data` that `want` names, or `None` if `data` is not one valid JSON document.
#[cfg(test)]
pub(crate) fn extract(data: &str, want: &'static Want) -> Option<Json> {
    let mut value = Json::Null;
    extract_into(data, want, &mut value).then_some(value)
}

/// [`extract`] written into `slot`, reusing what it holds (the previous event's tree) where the fast reading is
/// sure of `data`; `false` (and `slot` unspecified) if `data` is not one valid JSON document.
pub(crate) fn extract_into(data: &str, want: &'static Want, slot: &mut Json) -> bool {
    if crate::pull::pull_into(data, want, slot).is_ok() {
        return true;
    }
    match extract_events(data.as_bytes(), want) {
        Some(value) => {
            *slot = value;
            true
        }
        None => false,
    }
}

/// Whether the fast reading, where it is sure of `data`, gives what `midstream-core`'s reading gives, read fresh
/// and read into `spare` (whatever an earlier reading left there): for the fuzz target `extract_differential`,
/// through [`crate::fast_reading_agrees`]. `spare` is left holding this reading.
pub(crate) fn readings_agree(data: &str, want: &'static Want, spare: &mut Json) -> bool {
    let mut fresh = Json::Null;
    let fast = crate::pull::pull_into(data, want, &mut fresh);
    let reused = crate::pull::pull_into(data, want, spare);
    if fast != reused {
        return false;
    }
    match fast {
        Ok(()) => *spare == fresh && Some(fresh) == extract_events(data.as_bytes(), want),
        Err(_) => true,
    }
}

/// [`extract`] by `midstream-core`'s events: for whatever the fast reading gives up on, and for subtrees kept whole.
pub(crate) fn extract_events(data: &[u8], want: &'static Want) -> Option<Json> {
    let mut sink = Extract {
        stack: Vec::new(),
        skip: 0,
        member: None,
        key: String::new(),
        in_key: false,
        string: None,
        root: None,
        root_want: want,
    };
    let mut parser = Parser::new();
    parser.feed(data, &mut sink).ok()?;
    parser.finish(&mut sink).ok()?;
    sink.root
}

struct Extract {
    /// The containers being kept, innermost last.
    stack: Vec<Frame>,
    /// How deep inside skipped containers and strings the parser is (0: not skipping).
    skip: usize,
    /// In an object: the member whose value comes next (`None`: it is skipped).
    member: Option<(Cow<'static, str>, &'static Want)>,
    key: String,
    in_key: bool,
    /// The string value being kept.
    string: Option<String>,
    root: Option<Json>,
    root_want: &'static Want,
}

struct Frame {
    want: &'static Want,
    /// The container (`Json::Array` or `Json::Object`) and, for an object, the key of the value being kept.
    value: Json,
    key: Option<Cow<'static, str>>,
}

impl Extract {
    /// What to keep of the value that begins now: `None` to skip it.
    fn slot(&mut self) -> Option<(Option<Cow<'static, str>>, &'static Want)> {
        match self.stack.last() {
            None => Some((None, self.root_want)),
            Some(Frame {
                value: Json::Array(_),
                want,
                ..
            }) => Some((
                None,
                match want {
                    Want::Array(item) => item,
                    _ => &Want::Any,
                },
            )),
            Some(_) => self.member.take().map(|(key, want)| (Some(key), want)),
        }
    }

    fn attach(&mut self, key: Option<Cow<'static, str>>, value: Json) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame {
                value: Json::Array(items),
                ..
            }) => items.push(value),
            Some(Frame {
                value: Json::Object(members),
                ..
            }) => members.push((key.unwrap_or_default(), value)),
            Some(_) => unreachable!("frames hold containers"),
        }
    }

    fn scalar(&mut self, value: Json) {
        if self.skip > 0 {
            return;
        }
        if let Some((key, _)) = self.slot() {
            self.attach(key, value);
        }
    }

    fn open(&mut self, array: bool) {
        if self.skip > 0 {
            self.skip += 1;
            return;
        }
        let Some((key, want)) = self.slot() else {
            self.skip = 1;
            return;
        };
        let fits = matches!(
            (want, array),
            (Want::Any, _) | (Want::Object(_), false) | (Want::Array(_), true)
        );
        let value = if array {
            Json::Array(Vec::new())
        } else {
            Json::Object(Vec::new())
        };
        if !fits {
            // The wrong kind of container: kept empty, its contents skipped.
            self.attach(key, value);
            self.skip = 1;
            return;
        }
        // The key is where the container will go in its parent, kept on the parent's frame.
        if let Some(parent) = self.stack.last_mut() {
            parent.key = key;
        }
        self.stack.push(Frame {
            want,
            value,
            key: None,
        });
    }

    fn close(&mut self) {
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        let frame = self.stack.pop().expect("balanced");
        let key = self.stack.last_mut().and_then(|parent| parent.key.take());
        self.attach(key, frame.value);
    }

    fn end_key(&mut self) {
        self.in_key = false;
        let Some(Frame { want, .. }) = self.stack.last() else {
            return;
        };
        self.member = match want {
            Want::Any => Some((Cow::Owned(std::mem::take(&mut self.key)), &Want::Any)),
            Want::Object(fields) => fields
                .iter()
                .find(|(name, _)| *name == self.key)
                .map(|(name, want)| (Cow::Borrowed(*name), want)),
            Want::Array(_) => None,
        };
    }
}

impl Sink for Extract {
    fn event(&mut self, event: Event<'_>) -> Result<(), Reject> {
        match event {
            Event::BeginObject => self.open(false),
            Event::BeginArray => self.open(true),
            Event::EndObject | Event::EndArray => self.close(),
            Event::BeginKey => {
                if self.skip == 0 {
                    self.in_key = true;
                    self.key.clear();
                }
            }
            Event::EndKey => {
                if self.skip == 0 {
                    self.end_key();
                }
            }
            Event::BeginString => {
                if self.skip > 0 {
                    self.skip += 1;
                } else if let Some((key, _)) = self.slot() {
                    if let Some(parent) = self.stack.last_mut() {
                        parent.key = key;
                    }
                    self.string = Some(String::new());
                } else {
                    self.skip = 1;
                }
            }
            Event::EndString => {
                if self.skip > 0 {
                    self.skip -= 1;
                } else {
                    let text = self.string.take().unwrap_or_default();
                    let key = self.stack.last_mut().and_then(|parent| parent.key.take());
                    self.attach(key, Json::String(text));
                }
            }
            Event::Fragment(text) => {
                if self.skip == 0 {
                    if self.in_key {
                        self.key.push_str(text);
                    } else if let Some(string) = &mut self.string {
                        string.push_str(text);
                    }
                }
            }
            Event::LoneSurrogate(_) => {
                if self.skip == 0 {
                    let text = if self.in_key {
                        Some(&mut self.key)
                    } else {
                        self.string.as_mut()
                    };
                    if let Some(text) = text {
                        text.push(char::REPLACEMENT_CHARACTER);
                    }
                }
            }
            Event::Begin(_) => {}
            Event::Number(number) => self.scalar(Json::Number(number.text.into())),
            Event::Bool(b) => self.scalar(Json::Bool(b)),
            Event::Null => self.scalar(Json::Null),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pull::{pull, Bail};

    static CHOICE: Want = Want::Object(&[
        ("index", Want::Any),
        ("delta", Want::Object(&[("content", Want::Any)])),
    ]);
    static CHUNK: Want = Want::Object(&[("choices", Want::Array(&CHOICE)), ("error", Want::Any)]);

    fn s(text: &str) -> Json {
        Json::String(text.into())
    }

    #[test]
    fn keeps_only_what_is_wanted() {
        let data = r#"{"id": "x", "choices": [{"index": 0, "delta": {"content": "a\"b", "role": "assistant"}, "logprobs": {"content": [1, {"a": "b"}]}}], "error": {"k": [1, "v"]}}"#;
        let kept = extract(data, &CHUNK).unwrap();
        let expected = Json::Object(vec![
            (
                "choices".into(),
                Json::Array(vec![Json::Object(vec![
                    ("index".into(), Json::Number("0".into())),
                    (
                        "delta".into(),
                        Json::Object(vec![("content".into(), s("a\"b"))]),
                    ),
                ])]),
            ),
            (
                "error".into(),
                Json::Object(vec![(
                    "k".into(),
                    Json::Array(vec![Json::Number("1".into()), s("v")]),
                )]),
            ),
        ]);
        assert_eq!(kept, expected);
        assert_eq!(pull(data, &CHUNK), Ok(expected));
    }

    #[test]
    fn wrong_kinds_are_kept_empty_and_scalars_kept() {
        let kept = extract(r#"{"choices": {"a": 1}, "error": "boom"}"#, &CHUNK).unwrap();
        assert_eq!(
            kept,
            Json::Object(vec![
                ("choices".into(), Json::Object(vec![])),
                ("error".into(), s("boom"))
            ])
        );
        assert_eq!(extract("[1, 2]", &CHUNK), Some(Json::Array(vec![])));
        assert_eq!(extract("\"x\"", &CHUNK), Some(s("x")));
    }

    #[test]
    fn both_readings_agree() {
        for data in [
            r#"{"id": "x", "choices": [{"index": 0, "delta": {"content": "a\"b\u00e9\ud83d\ude00\n", "role": "r"}}], "error": {"k": [1, -2.5e3, true, null, {}]}}"#,
            r#"{"choices": {"a": 1}, "error": "boom"}"#,
            r#"{"choices": [1, "x", null, [], {"delta": 7}]}"#,
            r#" { "skipped" : [ { "a" : [ [ ] , { } , "\u0000\/" ] } , -0.5E+2 ] , "error" : 0 } "#,
            "[1, 2]",
            "\"x\"",
            "12",
        ] {
            assert_eq!(
                pull(data, &CHUNK).ok(),
                extract_events(data.as_bytes(), &CHUNK),
                "{data}"
            );
            assert!(pull(data, &CHUNK).is_ok(), "{data}");
        }
    }

    #[test]
    fn what_the_fast_reading_is_not_sure_of_goes_to_midstream_core() {
        for data in [
            r#"{"ch\u006fices": [{"delta": {"con\u0074ent": "x"}}]}"#, // an escaped key
            r#"{"error": "\ud800x"}"#,                                 // a lone surrogate
            r#"{"error": "\udc00"}"#,
        ] {
            assert_eq!(pull(data, &CHUNK), Err(Bail), "{data}");
            assert!(extract(data, &CHUNK).is_some(), "{data}");
        }
        let deep = format!(r#"{{"x": {}{}}}"#, "[".repeat(200), "]".repeat(200));
        assert_eq!(pull(&deep, &CHUNK), Err(Bail));
        assert_eq!(extract(&deep, &CHUNK), Some(Json::Object(vec![])));
        let escaped = extract(
            r#"{"ch\u006fices": [{"delta": {"con\u0074ent": "x"}}]}"#,
            &CHUNK,
        );
        let plain = extract(r#"{"choices": [{"delta": {"content": "x"}}]}"#, &CHUNK);
        assert_eq!(escaped, plain);
    }

    #[test]
    fn invalid_json_is_none() {
        for data in [
            r#"{"choices": [}"#,
            r#"{"a": 1} x"#,
            "",
            r#"{"a": 01}"#,
            r#"{"a": 1.}"#,
            r#"{"a": [1,]}"#,
            r#"{"a": 1,}"#,
            "{\"a\": \"\u{1}\"}",
            r#"{"a": "\x"}"#,
            r#"{"a": tru}"#,
            r#"{"a" 1}"#,
            r#"{"a": "\u12G4"}"#,
        ] {
            assert_eq!(pull(data, &CHUNK), Err(Bail), "{data}");
            assert_eq!(extract(data, &CHUNK), None, "{data}");
        }
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let kept = extract(r#"{"error": "\ud800x"}"#, &CHUNK).unwrap();
        assert_eq!(kept, Json::Object(vec![("error".into(), s("\u{fffd}x"))]));
    }

    // -- the two readings on random documents ------------------------------------------------------------------

    use proptest::prelude::*;

    /// A JSON string for `text`: escapes of every kind, non-ASCII characters written raw or as `\u` escapes.
    fn encode(text: &str) -> String {
        let mut out = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '/' => out.push_str("\\/"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c if !c.is_ascii() && (c as u32) % 2 == 1 => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04X}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    fn json_text() -> impl Strategy<Value = String> {
        let number = "-?(0|[1-9][0-9]{0,6})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?";
        let string = "[a-z\"\\\\\n/\u{1}\u{1f}é€😀 ]{0,12}".prop_map(|text| encode(&text));
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("false".to_string()),
            number.prop_map(|n| n.to_string()),
            string,
        ];
        let key = prop_oneof![
            Just("choices"),
            Just("delta"),
            Just("content"),
            Just("index"),
            Just("error"),
            Just("id"),
            Just("logprobs"),
            Just("é"),
        ];
        let space = prop_oneof![Just(""), Just(" "), Just("\n\t"), Just("\r\n  ")];
        leaf.prop_recursive(5, 48, 6, move |inner| {
            prop_oneof![
                (prop::collection::vec(inner.clone(), 0..6), space.clone()).prop_map(
                    |(items, ws)| format!("[{ws}{}{ws}]", items.join(&format!("{ws},{ws}")))
                ),
                (
                    prop::collection::vec((key.clone(), inner), 0..6),
                    space.clone()
                )
                    .prop_map(|(members, ws)| {
                        let members: Vec<String> = members
                            .iter()
                            .map(|(k, v)| format!("\"{k}\"{ws}:{ws}{v}"))
                            .collect();
                        format!("{{{ws}{}{ws}}}", members.join(","))
                    }),
            ]
        })
    }

    static WANTS: [&Want; 4] = [&CHUNK, &Want::Any, &CHOICE, &Want::Array(&CHOICE)];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// On valid JSON without escaped keys or lone surrogates, the fast reading succeeds and agrees.
        #[test]
        fn the_fast_reading_agrees_on_documents(text in json_text(), want in 0..WANTS.len()) {
            let want = WANTS[want];
            let fast = pull(&text, want);
            prop_assert!(fast.is_ok(), "{}", text);
            prop_assert_eq!(fast.ok(), extract_events(text.as_bytes(), want));
        }

        /// On damaged documents, the fast reading accepts nothing that midstream-core refuses, and agrees on the rest.
        #[test]
        fn the_fast_reading_accepts_no_more(
            text in json_text(),
            at in any::<prop::sample::Index>(),
            byte in prop::sample::select(&b"\"\\{}[],:0-.eE+ tnu\x01"[..]),
            how in 0..3u8,
            want in 0..WANTS.len(),
        ) {
            let mut bytes = text.into_bytes();
            let at = at.index(bytes.len() + 1);
            match how {
                0 => bytes.truncate(at),
                1 => bytes.insert(at, byte),
                _ => { if at < bytes.len() { bytes.remove(at); } }
            }
            let Ok(damaged) = String::from_utf8(bytes) else { return Ok(()); };
            let want = WANTS[want];
            if let Ok(fast) = pull(&damaged, want) {
                prop_assert_eq!(Some(fast), extract_events(damaged.as_bytes(), want), "{}", damaged);
            }
        }

        /// Read into the tree an earlier reading left (another document, another want: vectors and strings of
        /// other lengths and kinds in every place), the reading is the same as read fresh.
        #[test]
        fn reading_into_an_earlier_tree_is_reading_fresh(
            earlier in json_text(),
            text in json_text(),
            earlier_want in 0..WANTS.len(),
            want in 0..WANTS.len(),
        ) {
            let mut spare = Json::Null;
            prop_assert!(extract_into(&earlier, WANTS[earlier_want], &mut spare));
            prop_assert!(extract_into(&text, WANTS[want], &mut spare));
            prop_assert_eq!(Some(spare), extract(&text, WANTS[want]), "{} after {}", text, earlier);
        }
    }
}
