//! An owned JSON value and a [`Sink`] that keeps the partial value of a stream: the reference for how the
//! events map to values, and a convenience for Rust users.

use std::collections::HashMap;

use crate::event::{Event, Reject, Sink};

/// A JSON value. Numbers keep their exact text; objects keep keys in first-seen order (a repeated key replaces
/// the earlier value, as Python's `json` does).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, exactly as written (`-0`, `1E400`, an integer of any size).
    Number(String),
    /// A string, escapes decoded (a lone surrogate escape becomes U+FFFD here; the events keep it).
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object's members in first-seen key order.
    Object(Vec<(String, Value)>),
}

#[derive(Debug, Clone)]
enum Open {
    Array(Vec<Value>),
    Object(Members, Option<String>),
}

/// The members of an open object, in first-seen key order, with an index by key once the object is wide enough
/// that a linear search for a repeated key would make building it quadratic in its width.
#[derive(Debug, Clone, Default)]
struct Members {
    entries: Vec<(String, Value)>,
    /// Position of each key in `entries`; built when `entries` reaches `INDEX_FROM` members.
    index: Option<HashMap<String, usize>>,
}

/// Below this many members a scan is cheaper than hashing every key.
const INDEX_FROM: usize = 16;

impl Members {
    /// Add a member; a repeated key replaces the earlier value in the earlier place (as Python's `json` does).
    fn insert(&mut self, key: String, value: Value) {
        let found = match &self.index {
            Some(index) => index.get(&key).copied(),
            None => self.entries.iter().position(|(k, _)| *k == key),
        };
        if let Some(position) = found {
            self.entries[position].1 = value;
            return;
        }
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), self.entries.len());
        } else if self.entries.len() + 1 >= INDEX_FROM {
            let mut index: HashMap<String, usize> = self
                .entries
                .iter()
                .enumerate()
                .map(|(position, (k, _))| (k.clone(), position))
                .collect();
            index.insert(key.clone(), self.entries.len());
            self.index = Some(index);
        }
        self.entries.push((key, value));
    }
}

/// Builds the partial value of everything fed so far, following the partial-value contract: unfinished strings
/// show what is decoded, unfinished numbers and literals are absent, a key appears once its value begins.
/// Lone surrogates become U+FFFD (a Rust `String` cannot hold them).
///
/// ```
/// use midstream_core::{Parser, Value, ValueBuilder};
///
/// let mut parser = Parser::new();
/// let mut builder = ValueBuilder::default();
/// parser.feed(br#"{"n": 12, "s": "ab"#, &mut builder).unwrap();
/// assert_eq!(
///     builder.partial(),
///     Some(Value::Object(vec![
///         ("n".into(), Value::Number("12".into())),
///         ("s".into(), Value::String("ab".into())),
///     ]))
/// );
/// ```
#[derive(Debug, Clone, Default)]
pub struct ValueBuilder {
    stack: Vec<Open>,
    root: Option<Value>,
    /// The open string value (not key), if any.
    string: Option<String>,
    key: Option<String>,
}

impl ValueBuilder {
    /// The partial value now (`None` before the root begins). Costs a copy of the open containers.
    pub fn partial(&self) -> Option<Value> {
        if let Some(root) = &self.root {
            return Some(root.clone());
        }
        let mut inner = self.string.clone().map(Value::String);
        for open in self.stack.iter().rev() {
            inner = Some(match (open.clone(), inner) {
                (Open::Array(mut items), Some(child)) => {
                    items.push(child);
                    Value::Array(items)
                }
                (Open::Array(items), None) => Value::Array(items),
                (Open::Object(mut members, Some(key)), Some(child)) => {
                    members.insert(key, child);
                    Value::Object(members.entries)
                }
                (Open::Object(members, _), _) => Value::Object(members.entries),
            });
        }
        inner
    }

    /// The finished root value, if the document is complete.
    pub fn into_value(self) -> Option<Value> {
        self.root
    }

    fn attach(&mut self, value: Value) {
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Open::Array(items)) => items.push(value),
            Some(Open::Object(members, key)) => {
                let key = key.take().unwrap_or_default();
                members.insert(key, value);
            }
        }
    }

    fn text(&mut self) -> &mut String {
        self.key
            .as_mut()
            .or(self.string.as_mut())
            .expect("fragments arrive inside a key or string")
    }
}

impl Sink for ValueBuilder {
    fn event(&mut self, event: Event<'_>) -> Result<(), Reject> {
        match event {
            Event::BeginObject => self.stack.push(Open::Object(Members::default(), None)),
            Event::BeginArray => self.stack.push(Open::Array(Vec::new())),
            Event::EndObject | Event::EndArray => {
                let value = match self.stack.pop() {
                    Some(Open::Array(items)) => Value::Array(items),
                    Some(Open::Object(members, _)) => Value::Object(members.entries),
                    None => return Err(Reject("unbalanced end event".into())),
                };
                self.attach(value);
            }
            Event::BeginKey => self.key = Some(String::new()),
            Event::EndKey => {
                let key = self.key.take();
                if let Some(Open::Object(_, pending)) = self.stack.last_mut() {
                    *pending = key;
                }
            }
            Event::BeginString => self.string = Some(String::new()),
            Event::EndString => {
                let text = self.string.take().unwrap_or_default();
                self.attach(Value::String(text));
            }
            Event::Fragment(text) => self.text().push_str(text),
            Event::LoneSurrogate(_) => self.text().push(char::REPLACEMENT_CHARACTER),
            Event::Begin(_) => {}
            Event::Number(number) => self.attach(Value::Number(number.text.to_owned())),
            Event::Bool(b) => self.attach(Value::Bool(b)),
            Event::Null => self.attach(Value::Null),
        }
        Ok(())
    }
}

/// Parse a whole document into a [`Value`].
///
/// ```
/// let value = midstream_core::parse(br#"[1, "two"]"#).unwrap();
/// assert_eq!(value, midstream_core::Value::Array(vec![
///     midstream_core::Value::Number("1".into()),
///     midstream_core::Value::String("two".into()),
/// ]));
/// ```
pub fn parse(input: &[u8]) -> Result<Value, crate::Error> {
    let mut parser = crate::Parser::new();
    let mut builder = ValueBuilder::default();
    parser.feed(input, &mut builder)?;
    parser.finish(&mut builder)?;
    Ok(builder.into_value().unwrap_or(Value::Null))
}
