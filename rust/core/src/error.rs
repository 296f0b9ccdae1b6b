//! Errors: where the input stopped being a JSON prefix, and why.

use std::fmt;

/// Why parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A byte that cannot continue any JSON text here.
    Unexpected {
        /// What the grammar allows here, in words.
        expected: &'static str,
        /// The byte found instead.
        found: u8,
    },
    /// A byte that makes the UTF-8 encoding invalid (overlong, surrogate, out of range, bad continuation).
    InvalidUtf8 {
        /// The offending byte.
        found: u8,
    },
    /// A raw control character (U+0000..U+001F) inside a string: RFC 8259 requires it escaped.
    ControlCharacter {
        /// The raw control byte.
        found: u8,
    },
    /// Containers nested deeper than [`Options::max_depth`](crate::Options::max_depth).
    DepthLimit {
        /// The limit that was passed.
        limit: usize,
    },
    /// `finish()` was called before the root value was complete.
    Incomplete {
        /// What the grammar still needed, in words.
        expected: &'static str,
    },
    /// The consumer of the events refused a value (for example an integer over a digit limit).
    Rejected(String),
    /// `feed()` was called after a successful `finish()`.
    Finished,
}

/// A parse error with its position in the whole stream.
///
/// `offset` is the 0-based byte offset of the first byte at which the input can no longer be the prefix of any
/// valid JSON text, so it is the same however the stream was cut into chunks. For [`ErrorKind::Incomplete`] it
/// is the length of the input. `line` and `column` are 1-based; `column` counts bytes from the line start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// 0-based byte offset in the whole stream.
    pub offset: u64,
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in bytes from the start of the line.
    pub column: u64,
}

impl Error {
    /// True when the input was cut short rather than malformed.
    pub fn is_incomplete(&self) -> bool {
        matches!(self.kind, ErrorKind::Incomplete { .. })
    }

    /// The message without the position.
    pub fn message(&self) -> String {
        match &self.kind {
            ErrorKind::Unexpected { expected, found } => {
                format!("expected {expected}, found {}", describe_byte(*found))
            }
            ErrorKind::InvalidUtf8 { found } => {
                format!("invalid UTF-8: unexpected byte 0x{found:02X}")
            }
            ErrorKind::ControlCharacter { found } => {
                format!("control character U+{found:04X} in a string must be escaped")
            }
            ErrorKind::DepthLimit { limit } => {
                format!("nesting deeper than the depth limit of {limit}")
            }
            ErrorKind::Incomplete { expected } => {
                format!("unexpected end of input: expected {expected}")
            }
            ErrorKind::Rejected(message) => message.clone(),
            ErrorKind::Finished => "the parser is finished: no more input is accepted".to_owned(),
        }
    }
}

fn describe_byte(byte: u8) -> String {
    match byte {
        0x21..=0x7E => format!("'{}'", byte as char),
        b' ' => "' '".to_owned(),
        b'\t' => "'\\t'".to_owned(),
        b'\n' => "'\\n'".to_owned(),
        b'\r' => "'\\r'".to_owned(),
        0xEF => "byte 0xEF (a UTF-8 byte order mark is not allowed)".to_owned(),
        _ => format!("byte 0x{byte:02X}"),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {} (byte {})",
            self.message(),
            self.line,
            self.column,
            self.offset
        )
    }
}

impl std::error::Error for Error {}
