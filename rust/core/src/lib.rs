//! # midstream-core
//!
//! A push-fed, resumable JSON parser for text that is still arriving. Feed it chunks cut at any byte (mid-UTF-8,
//! mid-escape, between the halves of a surrogate pair, mid-number, mid-literal); it emits [`Event`]s as soon as
//! the bytes prove them, and knows at every byte which values are complete. It never recurses on input depth,
//! skips plain string content a word at a time, validates UTF-8 with SIMD (`simdutf8`), and reports errors at the
//! first byte at which the input can no longer be a JSON prefix, so the offset does not depend on how the input
//! was chunked.
//!
//! ```
//! use midstream_core::{Parser, ValueBuilder, Value};
//!
//! let mut parser = Parser::new();
//! let mut builder = ValueBuilder::default();
//! for chunk in [&b"[1, 2"[..], b"3, \"ab", b"c\"]"] {
//!     parser.feed(chunk, &mut builder).unwrap();
//! }
//! // `23` is not final until the byte after it; here it is.
//! parser.finish(&mut builder).unwrap();
//! assert_eq!(builder.into_value(), Some(Value::Array(vec![
//!     Value::Number("1".into()),
//!     Value::Number("23".into()),
//!     Value::String("abc".into()),
//! ])));
//! ```
//!
//! ## Building on the events
//!
//! The events are the API for everything built on the core: the Python binding turns them into Python objects,
//! [`ValueBuilder`] into a plain-Rust [`Value`], and any [`Sink`] (a closure is one) into whatever it needs. A sink
//! sees each event as soon as the bytes prove it, and can stop the parser by returning [`Reject`]:
//!
//! ```
//! use midstream_core::{Event, Parser};
//!
//! // Print the text of the "answer" field as it streams, one fragment at a time.
//! let mut parser = Parser::new();
//! let mut depth = 0usize;
//! let mut key = String::new();
//! let mut in_key = false;
//! let mut answer = String::new();
//! let mut on_event = |event: Event<'_>| match event {
//!     Event::BeginObject | Event::BeginArray => depth += 1,
//!     Event::EndObject | Event::EndArray => depth -= 1,
//!     Event::BeginKey => { in_key = true; key.clear(); }
//!     Event::EndKey => in_key = false,
//!     Event::Fragment(text) if in_key => key.push_str(text),
//!     Event::Fragment(text) if depth == 1 && key == "answer" => answer.push_str(text),
//!     _ => {}
//! };
//! for chunk in [&b"{\"answer\": \"Hel"[..], b"lo, w", b"orld\", \"n\": 1}"] {
//!     parser.feed(chunk, &mut on_event).unwrap();
//! }
//! parser.finish(&mut on_event).unwrap();
//! assert_eq!(answer, "Hello, world");
//! ```
//!
//! Errors carry the byte offset at which the input stopped being a JSON prefix, with line and column; the offset
//! is the same however the input was chunked, and a truncated document is never reported as a malformed one:
//!
//! ```
//! use midstream_core::{ErrorKind, IgnoreEvents, Parser};
//!
//! let mut parser = Parser::new();
//! parser.feed(b"[1, 2", &mut IgnoreEvents).unwrap();
//! let error = parser.finish(&mut IgnoreEvents).unwrap_err();
//! assert!(error.is_incomplete());
//!
//! let mut parser = Parser::new();
//! let error = parser.feed(b"[1 2]", &mut IgnoreEvents).unwrap_err();
//! assert!(matches!(error.kind, ErrorKind::Unexpected { found: b'2', .. }));
//! assert_eq!((error.offset, error.line, error.column), (3, 1, 4));
//! ```
//!
//! `examples/events_from_stdin.rs` streams standard input to JSON lines of events
//! (`cargo run -p midstream-core --example events_from_stdin < file.json`). The crate depends on `simdutf8` only:
//! no Python, no pyo3.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod event;
mod options;
mod parser;
mod scan;
mod value;

pub use error::{Error, ErrorKind};
pub use event::{Event, IgnoreEvents, Number, Reject, ScalarKind, Sink};
pub use options::{Options, DEFAULT_MAX_DEPTH};
pub use parser::Parser;
pub use scan::find_special;
pub use value::{parse, Value, ValueBuilder};
