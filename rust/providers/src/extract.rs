//! Decoding one event's JSON, keeping only what a provider's reading looks at.
//!
//! A provider event is mostly metadata (ids, model names, timestamps, log probabilities): building all of it only
//! to read `choices[0].delta.content` would cost an allocation per member. [`extract`] keeps only the members a
//! [`Want`] names and skips the rest, nothing allocated for it.
//!
//! An event is a small, whole document, which a pull parser reads faster than a push-fed one: `jiter` (pydantic's
//! JSON parser) walks the payload and skips what is not wanted without building it. Reading a recorded OpenAI
//! chunk (260 bytes) from its SSE bytes to its updates took 2.3 us with `midstream-core`'s events and a sink that
//! kept only the wanted members, and takes 1.3 us this way (0.45 us of it in jiter). The walk follows the `Want`
//! tree, whose depth is fixed by the provider, not by the input; a wanted subtree kept whole (`Want::Any`: an
//! error object, tool arguments) is read by `midstream-core` without recursion. Anything `jiter` refuses is read
//! again by `midstream-core`, which decides: a lone surrogate escape (valid JSON, which `jiter` rejects) becomes
//! U+FFFD, and only what `midstream-core` rejects is not JSON.

use std::borrow::Cow;

use jiter::{Jiter, JiterResult, Peek};
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
pub(crate) fn extract(data: &[u8], want: &'static Want) -> Option<Json> {
    let mut jiter = Jiter::new(data);
    let pulled = pull(&mut jiter, want).and_then(|value| jiter.finish().map(|()| value));
    pulled.ok().or_else(|| extract_events(data, want))
}

/// The wanted parts of the next value. Recursion follows `want`, whose depth the provider fixes.
fn pull(jiter: &mut Jiter<'_>, want: &'static Want) -> JiterResult<Json> {
    let peek = jiter.peek()?;
    match (want, peek) {
        (_, Peek::String) => Ok(Json::String(jiter.known_str()?.into())),
        (_, Peek::Null) => jiter.known_null().map(|()| Json::Null),
        (_, Peek::True | Peek::False) => jiter.known_bool(peek).map(Json::Bool),
        (Want::Any, Peek::Object | Peek::Array) => {
            let start = jiter.current_index();
            jiter.known_skip(peek)?;
            // Valid JSON (jiter just read it), so midstream-core reads it too; `Null` cannot happen.
            Ok(extract_events(jiter.slice_to_current(start), &Want::Any).unwrap_or(Json::Null))
        }
        (Want::Object(fields), Peek::Object) => {
            let mut members = Vec::new();
            let mut key = jiter.known_object()?;
            while let Some(name) = key {
                match fields.iter().find(|(field, _)| *field == name) {
                    Some((field, want)) => {
                        let value = pull(jiter, want)?;
                        members.push((Cow::Borrowed(*field), value));
                    }
                    None => jiter.next_skip()?,
                }
                key = jiter.next_key()?;
            }
            Ok(Json::Object(members))
        }
        (Want::Array(item), Peek::Array) => {
            let mut items = Vec::new();
            let mut next = jiter.known_array()?;
            while next.is_some() {
                items.push(pull(jiter, item)?);
                next = jiter.array_step()?;
            }
            Ok(Json::Array(items))
        }
        (_, Peek::Object | Peek::Array) => {
            // The wrong kind of container: kept empty, its contents skipped.
            jiter.known_skip(peek)?;
            Ok(if peek == Peek::Array {
                Json::Array(Vec::new())
            } else {
                Json::Object(Vec::new())
            })
        }
        _ => {
            let text = jiter.known_number_bytes(peek)?;
            // jiter validated it as a JSON number: ASCII.
            Ok(Json::Number(String::from_utf8_lossy(text).into_owned()))
        }
    }
}

/// [`extract`] by `midstream-core`'s events: for whatever `jiter` refuses, and for subtrees kept whole.
fn extract_events(data: &[u8], want: &'static Want) -> Option<Json> {
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
        let data = br#"{"id": "x", "choices": [{"index": 0, "delta": {"content": "a\"b", "role": "assistant"}, "logprobs": {"content": [1, {"a": "b"}]}}], "error": {"k": [1, "v"]}}"#;
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
    }

    #[test]
    fn wrong_kinds_are_kept_empty_and_scalars_kept() {
        let kept = extract(br#"{"choices": {"a": 1}, "error": "boom"}"#, &CHUNK).unwrap();
        assert_eq!(
            kept,
            Json::Object(vec![
                ("choices".into(), Json::Object(vec![])),
                ("error".into(), s("boom"))
            ])
        );
        assert_eq!(extract(b"[1, 2]", &CHUNK), Some(Json::Array(vec![])));
        assert_eq!(extract(b"\"x\"", &CHUNK), Some(s("x")));
    }

    #[test]
    fn both_readings_agree() {
        for data in [
            &br#"{"id": "x", "choices": [{"index": 0, "delta": {"content": "a\"b\u00e9", "role": "r"}}], "error": {"k": [1, -2.5e3, true, null, {}]}}"#[..],
            br#"{"choices": {"a": 1}, "error": "boom"}"#,
            br#"{"choices": [1, "x", null, [], {"delta": 7}]}"#,
            b"[1, 2]",
            b"\"x\"",
            b"12",
        ] {
            let mut jiter = Jiter::new(data);
            let pulled = pull(&mut jiter, &CHUNK).and_then(|v| jiter.finish().map(|()| v)).unwrap();
            assert_eq!(Some(pulled), extract_events(data, &CHUNK), "{}", String::from_utf8_lossy(data));
        }
    }

    #[test]
    fn invalid_json_is_none() {
        assert_eq!(extract(br#"{"choices": [}"#, &CHUNK), None);
        assert_eq!(extract(br#"{"a": 1} x"#, &CHUNK), None);
        assert_eq!(extract(b"", &CHUNK), None);
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let kept = extract(br#"{"error": "\ud800x"}"#, &CHUNK).unwrap();
        assert_eq!(kept, Json::Object(vec![("error".into(), s("\u{fffd}x"))]));
    }
}
