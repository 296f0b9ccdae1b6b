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
//! Bindings build their own values from the events by implementing [`Sink`]; [`ValueBuilder`] is the plain-Rust
//! reference of how events map to a partial value.

#![forbid(unsafe_code)]

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
pub use value::{parse, Value, ValueBuilder};
