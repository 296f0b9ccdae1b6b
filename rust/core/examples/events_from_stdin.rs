//! Stream JSON from standard input and print each event as a JSON line the moment the bytes prove it:
//!
//! ```sh
//! printf '{"answer": "Hello", "n": [1, 2.5]}' | cargo run -q -p midstream-core --example events_from_stdin
//! ```
//!
//! This is the shape of every binding: read whatever the source has, `feed` it, react to the events in a
//! [`Sink`], and `finish` at the end of the input. Here the sink writes JSON lines; the Python binding builds
//! Python objects instead.

use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use midstream_core::{Event, Parser, Reject, ScalarKind, Sink};

/// Writes one JSON object per event.
struct JsonLines<W: Write> {
    out: W,
}

impl<W: Write> JsonLines<W> {
    fn line(&mut self, kind: &str, value: Option<&str>) -> Result<(), Reject> {
        let written = match value {
            Some(value) => writeln!(self.out, r#"{{"event": "{kind}", "value": {value}}}"#),
            None => writeln!(self.out, r#"{{"event": "{kind}"}}"#),
        };
        written.map_err(|error| Reject(format!("cannot write: {error}")))
    }
}

/// `text` as a JSON string literal.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl<W: Write> Sink for JsonLines<W> {
    fn event(&mut self, event: Event<'_>) -> Result<(), Reject> {
        match event {
            Event::BeginObject => self.line("begin_object", None),
            Event::EndObject => self.line("end_object", None),
            Event::BeginArray => self.line("begin_array", None),
            Event::EndArray => self.line("end_array", None),
            Event::BeginKey => self.line("begin_key", None),
            Event::EndKey => self.line("end_key", None),
            Event::BeginString => self.line("begin_string", None),
            Event::EndString => self.line("end_string", None),
            Event::Fragment(text) => self.line("fragment", Some(&quoted(text))),
            Event::LoneSurrogate(unit) => self.line("lone_surrogate", Some(&unit.to_string())),
            Event::Begin(ScalarKind::Number) => self.line("begin_number", None),
            Event::Begin(ScalarKind::Bool) => self.line("begin_bool", None),
            Event::Begin(ScalarKind::Null) => self.line("begin_null", None),
            // NaN and Infinity (only with Options::allow_nan) are not JSON: print them as strings.
            Event::Number(number) if matches!(number.text, "NaN" | "Infinity" | "-Infinity") => {
                self.line("number", Some(&quoted(number.text)))
            }
            Event::Number(number) => self.line("number", Some(number.text)),
            Event::Bool(value) => self.line("bool", Some(if value { "true" } else { "false" })),
            Event::Null => self.line("null", None),
        }
    }
}

fn main() -> ExitCode {
    let mut parser = Parser::new();
    let mut sink = JsonLines {
        out: BufWriter::new(io::stdout().lock()),
    };
    let mut stdin = io::stdin().lock();
    let mut buffer = vec![0u8; 64 * 1024];
    let outcome = loop {
        match stdin.read(&mut buffer) {
            Ok(0) => break parser.finish(&mut sink),
            // Each read is fed as it comes: events for it are printed before the next read blocks.
            Ok(n) => {
                if let Err(error) = parser.feed(&buffer[..n], &mut sink) {
                    break Err(error);
                }
                let _ = sink.out.flush();
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                eprintln!("events_from_stdin: cannot read standard input: {error}");
                return ExitCode::FAILURE;
            }
        }
    };
    let _ = sink.out.flush();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("events_from_stdin: {error}");
            ExitCode::FAILURE
        }
    }
}
