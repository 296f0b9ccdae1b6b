//! The resumable state machine. Every place a token can be cut has its own state, so `feed` can stop at any
//! byte and continue with the next chunk. Nesting lives in an explicit stack: nothing recurses on input depth.

use crate::error::{Error, ErrorKind};
use crate::event::{Event, Number, Reject, ScalarKind, Sink};
use crate::options::Options;
use crate::scan;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Array,
    Object,
}

/// Where the parser is in the grammar, between two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A value must come: the start of the document, after `:`, or after `,` in an array.
    Value,
    /// Just after `[`: a value or `]`.
    ArrayFirst,
    /// Just after `{`: a key or `}`.
    ObjectFirst,
    /// After `,` in an object: a key.
    Key,
    /// After a key: `:`.
    Colon,
    /// After a value inside a container: `,` or the closing bracket.
    AfterValue,
    /// After the root value: only whitespace.
    AfterRoot,
    /// Inside a key or string value.
    Str { key: bool, escape: Escape },
    /// Inside a number.
    Number(Num),
    /// Inside `true`, `false`, `null` (or `NaN`, `Infinity`, `-Infinity`): `matched` bytes seen so far.
    Literal { literal: Literal, matched: u8 },
    /// `finish()` succeeded.
    Done,
}

/// Progress through an escape sequence inside a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    /// After `\`.
    Backslash,
    /// After `\u` and `digits` hex digits, whose value so far is `code`.
    Hex {
        digits: u8,
        code: u16,
    },
    /// A complete high surrogate, held back until we know whether a low surrogate follows.
    High {
        high: u16,
    },
    /// A held high surrogate, then `\`.
    HighBackslash {
        high: u16,
    },
    /// A held high surrogate, then `\u` and some hex digits.
    LowHex {
        high: u16,
        digits: u8,
        code: u16,
    },
}

/// Number grammar states (RFC 8259 section 6). `Zero`, `Int`, `Frac` and `ExpDigits` may end the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
}

impl Num {
    fn can_end(self) -> bool {
        matches!(self, Num::Zero | Num::Int | Num::Frac | Num::ExpDigits)
    }

    fn is_integer(self) -> bool {
        matches!(self, Num::Zero | Num::Int)
    }

    fn expected(self) -> &'static str {
        match self {
            Num::Minus => "a digit after '-'",
            Num::Dot => "a digit after '.'",
            Num::Exp => "a digit or sign in the exponent",
            Num::ExpSign => "a digit in the exponent",
            Num::Zero | Num::Int | Num::Frac | Num::ExpDigits => "a digit",
        }
    }

    /// The state after `byte`, or `None` if `byte` cannot continue the number.
    #[inline]
    fn step(self, byte: u8) -> Option<Num> {
        Some(match (self, byte) {
            (Num::Minus, b'0') => Num::Zero,
            (Num::Minus, b'1'..=b'9') | (Num::Int, b'0'..=b'9') => Num::Int,
            (Num::Zero | Num::Int, b'.') => Num::Dot,
            (Num::Dot | Num::Frac, b'0'..=b'9') => Num::Frac,
            (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::Exp,
            (Num::Exp, b'+' | b'-') => Num::ExpSign,
            (Num::Exp | Num::ExpSign | Num::ExpDigits, b'0'..=b'9') => Num::ExpDigits,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Literal {
    True,
    False,
    Null,
    NaN,
    Infinity,
    NegInfinity,
}

impl Literal {
    fn text(self) -> &'static [u8] {
        match self {
            Literal::True => b"true",
            Literal::False => b"false",
            Literal::Null => b"null",
            Literal::NaN => b"NaN",
            Literal::Infinity => b"Infinity",
            Literal::NegInfinity => b"-Infinity",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Literal::True => "'true'",
            Literal::False => "'false'",
            Literal::Null => "'null'",
            Literal::NaN => "'NaN'",
            Literal::Infinity => "'Infinity'",
            Literal::NegInfinity => "'-Infinity'",
        }
    }
}

/// Chunks up to this size (token-sized streaming) decode each string run inline; longer ones validate the rest of
/// the chunk once, in one long `from_utf8` call (word-at-a-time over ASCII), and slice runs out of it.
const SMALL_CHUNK: usize = 64;

/// The valid UTF-8 prefix of the rest of a chunk, from some offset: string runs and numbers inside it are sliced
/// out as `&str` without validating them again.
struct Validated<'a> {
    /// Offset in the chunk where `text` starts.
    from: usize,
    text: &'a str,
}

impl<'a> Validated<'a> {
    /// The plain string run `input[start..end]` as text, or `None` if it holds invalid or unfinished UTF-8; the
    /// validated region then covers `start` and ends at the first byte of the run that is not valid UTF-8.
    #[inline(always)]
    fn run(&mut self, input: &'a [u8], start: usize, end: usize) -> Option<&'a str> {
        if input.len() > SMALL_CHUNK {
            return self.slice(input, start, end);
        }
        let run = &input[start..end];
        let text = run.utf8_chunks().next().map_or("", |chunk| chunk.valid());
        if text.len() == run.len() {
            return Some(text);
        }
        *self = Validated { from: start, text };
        None
    }

    /// `input[start..end]` as text if it lies in the validated region, (re)validating from `start` if `start`
    /// lies outside it. `None` means the run holds invalid or unfinished UTF-8: the caller finds out which.
    #[inline(always)]
    fn slice(&mut self, input: &'a [u8], start: usize, end: usize) -> Option<&'a str> {
        if start < self.from || start >= self.from + self.text.len() {
            self.validate_from(input, start);
        }
        self.text
            .get(start - self.from..end.checked_sub(self.from)?)
    }

    /// Validate the rest of the chunk from `start`, up to its first invalid or unfinished UTF-8 sequence.
    #[inline]
    fn validate_from(&mut self, input: &'a [u8], start: usize) {
        let rest = &input[start..];
        // A short rest is cheaper to decode inline than to hand to `from_utf8`.
        let text = if rest.len() <= SMALL_CHUNK {
            rest.utf8_chunks().next().map_or("", |chunk| chunk.valid())
        } else {
            valid_prefix(rest)
        };
        *self = Validated { from: start, text };
    }
}

/// The longest valid UTF-8 prefix of `bytes`, in one SIMD validation pass.
#[inline(never)]
fn valid_prefix(bytes: &[u8]) -> &str {
    match simdutf8::compat::from_utf8(bytes) {
        Ok(text) => text,
        // The prefix up to `valid_up_to` is valid, so the second call cannot fail.
        Err(error) => {
            simdutf8::compat::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or_default()
        }
    }
}

/// A push-fed JSON parser: give it chunks cut anywhere, get [`Event`]s as soon as the bytes prove them.
///
/// ```
/// use midstream_core::{Event, Parser};
///
/// let mut parser = Parser::new();
/// let mut texts = Vec::new();
/// let mut sink = |event: Event<'_>| {
///     if let Event::Fragment(text) = event {
///         texts.push(text.to_owned());
///     }
/// };
/// parser.feed(br#"{"greeting": "hel"#, &mut sink).unwrap();
/// parser.feed(br#"lo"}"#, &mut sink).unwrap();
/// parser.finish(&mut sink).unwrap();
/// assert_eq!(texts, ["greeting", "hel", "lo"]);
/// ```
#[derive(Debug, Clone)]
pub struct Parser {
    options: Options,
    stack: Vec<Container>,
    state: State,
    /// Bytes fed before the current chunk.
    consumed: u64,
    line: u64,
    line_start: u64,
    /// Offset of the first byte of the value being parsed, or of the closing bracket being processed (for errors
    /// raised by the sink).
    value_start: u64,
    /// Text of a number cut by a chunk boundary.
    number: Vec<u8>,
    /// A UTF-8 sequence cut by a chunk boundary inside a string.
    utf8: [u8; 4],
    utf8_len: u8,
    error: Option<Error>,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new()
    }
}

#[inline(always)]
fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// The text of a one-character escape `\\byte` (not `\\u`).
#[inline]
fn short_escape(byte: u8) -> Option<&'static str> {
    Some(match byte {
        b'"' => "\"",
        b'\\' => "\\",
        b'/' => "/",
        b'b' => "\u{8}",
        b'f' => "\u{c}",
        b'n' => "\n",
        b'r' => "\r",
        b't' => "\t",
        _ => return None,
    })
}

#[inline]
fn hex_value(byte: u8) -> Option<u16> {
    (byte as char).to_digit(16).map(|d| d as u16)
}

impl Parser {
    /// A strict RFC 8259 parser with the default options.
    pub fn new() -> Self {
        Parser::with_options(Options::default())
    }

    /// A parser with `options` (depth limit, NaN and Infinity).
    pub fn with_options(options: Options) -> Self {
        Parser {
            options,
            stack: Vec::new(),
            state: State::Value,
            consumed: 0,
            line: 1,
            line_start: 0,
            value_start: 0,
            number: Vec::new(),
            utf8: [0; 4],
            utf8_len: 0,
            error: None,
        }
    }

    /// The options it was made with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Bytes fed so far.
    pub fn offset(&self) -> u64 {
        self.consumed
    }

    /// Number of open arrays and objects.
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    /// True once the root value is complete (only whitespace may follow).
    pub fn is_root_complete(&self) -> bool {
        matches!(self.state, State::AfterRoot | State::Done)
    }

    /// True before the first byte of the root value.
    pub fn is_root_pending(&self) -> bool {
        self.state == State::Value && self.stack.is_empty()
    }

    /// True when the next value's place is known but the value has not begun: after a key (before or after
    /// `:`) or after `,` in an array.
    pub fn is_awaiting_value(&self) -> bool {
        match self.state {
            State::Colon => true,
            State::Value => !self.stack.is_empty(),
            _ => false,
        }
    }

    /// The sticky error, if parsing failed.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Feed the next chunk. Events for everything the chunk proves are sent to `sink` before it returns.
    /// After an error, every call returns the same error.
    pub fn feed<S: Sink + ?Sized>(&mut self, input: &[u8], sink: &mut S) -> Result<(), Error> {
        if self.error.is_some() || self.state == State::Done {
            return Err(self.refusal());
        }
        let result = self.run(input, sink);
        self.consumed += input.len() as u64;
        if let Err(error) = &result {
            self.error = Some(error.clone());
        }
        result
    }

    /// Why `feed` refuses input: the sticky error, or the end of a finished document.
    #[cold]
    fn refusal(&self) -> Error {
        match &self.error {
            Some(error) => error.clone(),
            None => self.error_at(self.consumed, ErrorKind::Finished),
        }
    }

    /// Declare the end of the input. Completes a root number (`123` needs no byte after it at the very end) and
    /// checks that the root value is complete; otherwise returns an [`ErrorKind::Incomplete`] error. Calling it
    /// again after success is a no-op.
    pub fn finish<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let result = self.end_of_input(sink);
        match result {
            Ok(()) => {
                self.state = State::Done;
                Ok(())
            }
            Err(error) => {
                self.error = Some(error.clone());
                Err(error)
            }
        }
    }

    fn end_of_input<S: Sink + ?Sized>(&mut self, sink: &mut S) -> Result<(), Error> {
        let expected = match self.state {
            State::AfterRoot | State::Done => return Ok(()),
            State::Number(num) if num.can_end() && self.stack.is_empty() => {
                let number = std::mem::take(&mut self.number);
                self.emit_number(&number, num.is_integer(), sink)?;
                self.number = number;
                return Ok(());
            }
            State::Number(num) if num.can_end() => self.after_value_expected(),
            State::Number(num) => num.expected(),
            State::Value | State::ArrayFirst => "a JSON value",
            State::ObjectFirst | State::Key => "a string key",
            State::Colon => "':'",
            State::AfterValue => self.after_value_expected(),
            State::Str { key: true, .. } => "the rest of a string key",
            State::Str { key: false, .. } => "the rest of a string",
            State::Literal { literal, .. } => literal.expected(),
        };
        Err(self.error_at(self.consumed, ErrorKind::Incomplete { expected }))
    }

    /// True if `byte` may come right after a value in the current container (or after the root).
    #[inline]
    fn may_follow_value(&self, byte: u8) -> bool {
        is_whitespace(byte)
            || match self.stack.last() {
                Some(Container::Array) => byte == b',' || byte == b']',
                Some(Container::Object) => byte == b',' || byte == b'}',
                None => false,
            }
    }

    fn after_number_expected(&self) -> &'static str {
        match self.stack.last() {
            Some(Container::Array) => "a digit, ',' or ']'",
            Some(Container::Object) => "a digit, ',' or '}'",
            None => "a digit, whitespace or the end of input",
        }
    }

    fn after_value_expected(&self) -> &'static str {
        match self.stack.last() {
            Some(Container::Array) => "',' or ']'",
            Some(Container::Object) => "',' or '}'",
            None => "end of input",
        }
    }

    fn error_at(&self, offset: u64, kind: ErrorKind) -> Error {
        Error {
            kind,
            offset,
            line: self.line,
            column: offset.saturating_sub(self.line_start) + 1,
        }
    }

    #[inline]
    fn at(&self, i: usize) -> u64 {
        self.consumed + i as u64
    }

    fn unexpected(&self, i: usize, found: u8, expected: &'static str) -> Error {
        self.error_at(self.at(i), ErrorKind::Unexpected { expected, found })
    }

    #[inline]
    fn send<S: Sink + ?Sized>(&self, sink: &mut S, event: Event<'_>) -> Result<(), Error> {
        sink.event(event).map_err(|Reject(message)| {
            self.error_at(self.value_start, ErrorKind::Rejected(message))
        })
    }

    /// The current value is complete: continue in its container, or after the root.
    #[inline]
    fn value_done(&mut self) {
        self.state = if self.stack.is_empty() {
            State::AfterRoot
        } else {
            State::AfterValue
        };
    }

    fn run<S: Sink + ?Sized>(&mut self, input: &[u8], sink: &mut S) -> Result<(), Error> {
        let mut i = 0;
        let mut valid = Validated { from: 0, text: "" };
        while i < input.len() {
            i = match self.state {
                State::Str { key, escape } => {
                    self.string(input, &mut valid, i, key, escape, sink)?
                }
                State::Number(num) => self.number_from(input, &mut valid, i, i, num, sink)?,
                State::Literal { literal, matched } => {
                    self.literal(input, i, literal, matched, sink)?
                }
                State::Done => return Err(self.error_at(self.at(i), ErrorKind::Finished)),
                _ => self.structural(input, &mut valid, i, sink)?,
            };
        }
        Ok(())
    }

    /// Whitespace, punctuation and the first byte of each value.
    fn structural<'a, S: Sink + ?Sized>(
        &mut self,
        input: &'a [u8],
        valid: &mut Validated<'a>,
        mut i: usize,
        sink: &mut S,
    ) -> Result<usize, Error> {
        let byte = loop {
            let Some(&byte) = input.get(i) else {
                return Ok(i);
            };
            if !is_whitespace(byte) {
                break byte;
            }
            if byte == b'\n' {
                self.line += 1;
                self.line_start = self.at(i) + 1;
            }
            i += 1;
        };
        match self.state {
            State::Value => self.begin_value(input, valid, i, byte, "a JSON value", sink),
            State::ArrayFirst if byte == b']' => {
                self.close(Container::Array, i, sink)?;
                Ok(i + 1)
            }
            State::ArrayFirst => {
                self.begin_value(input, valid, i, byte, "a JSON value or ']'", sink)
            }
            State::ObjectFirst | State::Key if byte == b'"' => {
                self.value_start = self.at(i);
                self.send(sink, Event::BeginKey)?;
                self.state = State::Str {
                    key: true,
                    escape: Escape::None,
                };
                Ok(i + 1)
            }
            State::ObjectFirst if byte == b'}' => {
                self.close(Container::Object, i, sink)?;
                Ok(i + 1)
            }
            State::ObjectFirst => Err(self.unexpected(i, byte, "a string key or '}'")),
            State::Key => Err(self.unexpected(i, byte, "a string key")),
            State::Colon if byte == b':' => {
                self.state = State::Value;
                Ok(i + 1)
            }
            State::Colon => Err(self.unexpected(i, byte, "':' after the key")),
            State::AfterValue => {
                let top = *self.stack.last().expect("AfterValue is inside a container");
                match (top, byte) {
                    (Container::Array, b',') => self.state = State::Value,
                    (Container::Object, b',') => self.state = State::Key,
                    (Container::Array, b']') => self.close(Container::Array, i, sink)?,
                    (Container::Object, b'}') => self.close(Container::Object, i, sink)?,
                    _ => return Err(self.unexpected(i, byte, self.after_value_expected())),
                }
                Ok(i + 1)
            }
            State::AfterRoot => Err(self.unexpected(i, byte, "end of input after the root value")),
            State::Str { .. } | State::Number(_) | State::Literal { .. } | State::Done => {
                unreachable!("handled in run()")
            }
        }
    }

    /// Close the innermost container at its bracket `input[i]`.
    fn close<S: Sink + ?Sized>(
        &mut self,
        container: Container,
        i: usize,
        sink: &mut S,
    ) -> Result<(), Error> {
        // A sink that refuses the end event is reported at the bracket (on the current line).
        self.value_start = self.at(i);
        self.stack.pop();
        sink.bracket_at(self.value_start);
        let event = match container {
            Container::Array => Event::EndArray,
            Container::Object => Event::EndObject,
        };
        self.send(sink, event)?;
        self.value_done();
        Ok(())
    }

    fn begin_value<'a, S: Sink + ?Sized>(
        &mut self,
        input: &'a [u8],
        valid: &mut Validated<'a>,
        i: usize,
        byte: u8,
        expected: &'static str,
        sink: &mut S,
    ) -> Result<usize, Error> {
        self.value_start = self.at(i);
        let literal = match byte {
            b'{' | b'[' => {
                if self.stack.len() >= self.options.max_depth {
                    let limit = self.options.max_depth;
                    return Err(self.error_at(self.at(i), ErrorKind::DepthLimit { limit }));
                }
                let (container, state, event) = if byte == b'{' {
                    (Container::Object, State::ObjectFirst, Event::BeginObject)
                } else {
                    (Container::Array, State::ArrayFirst, Event::BeginArray)
                };
                self.stack.push(container);
                sink.bracket_at(self.value_start);
                self.send(sink, event)?;
                self.state = state;
                return Ok(i + 1);
            }
            b'"' => {
                self.send(sink, Event::BeginString)?;
                self.state = State::Str {
                    key: false,
                    escape: Escape::None,
                };
                return Ok(i + 1);
            }
            b'-' | b'0'..=b'9' => {
                self.send(sink, Event::Begin(ScalarKind::Number))?;
                self.number.clear();
                let num = match byte {
                    b'-' => Num::Minus,
                    b'0' => Num::Zero,
                    _ => Num::Int,
                };
                // The number's first byte is re-read by `number()` so that short numbers stay zero-copy.
                self.state = State::Number(num);
                return self.number_from(input, valid, i, i + 1, num, sink);
            }
            b't' => Literal::True,
            b'f' => Literal::False,
            b'n' => Literal::Null,
            b'N' if self.options.allow_nan => Literal::NaN,
            b'I' if self.options.allow_nan => Literal::Infinity,
            _ => return Err(self.unexpected(i, byte, expected)),
        };
        let kind = match literal {
            Literal::True | Literal::False => ScalarKind::Bool,
            Literal::Null => ScalarKind::Null,
            _ => ScalarKind::Number,
        };
        self.send(sink, Event::Begin(kind))?;
        self.state = State::Literal {
            literal,
            matched: 1,
        };
        Ok(i + 1)
    }

    fn literal<S: Sink + ?Sized>(
        &mut self,
        input: &[u8],
        mut i: usize,
        literal: Literal,
        mut matched: u8,
        sink: &mut S,
    ) -> Result<usize, Error> {
        let text = literal.text();
        while let Some(&byte) = input.get(i) {
            if byte != text[matched as usize] {
                return Err(self.unexpected(i, byte, literal.expected()));
            }
            i += 1;
            matched += 1;
            if matched as usize == text.len() {
                let event = match literal {
                    Literal::True => Event::Bool(true),
                    Literal::False => Event::Bool(false),
                    Literal::Null => Event::Null,
                    Literal::NaN | Literal::Infinity | Literal::NegInfinity => {
                        Event::Number(Number {
                            // The literal is ASCII, so this cannot fail.
                            text: std::str::from_utf8(text).unwrap_or("NaN"),
                            is_integer: false,
                        })
                    }
                };
                self.send(sink, event)?;
                self.value_done();
                return Ok(i);
            }
        }
        self.state = State::Literal { literal, matched };
        Ok(i)
    }

    /// Continue a number whose text starts at `input[start..]` (or, if it began in an earlier chunk, in
    /// `self.number`) and whose bytes up to `i` are already checked.
    fn number_from<'a, S: Sink + ?Sized>(
        &mut self,
        input: &'a [u8],
        valid: &mut Validated<'a>,
        start: usize,
        mut i: usize,
        mut num: Num,
        sink: &mut S,
    ) -> Result<usize, Error> {
        while let Some(&byte) = input.get(i) {
            if matches!(num, Num::Int | Num::Frac | Num::ExpDigits) && byte.is_ascii_digit() {
                // Fast path: a run of digits does not change the state.
                i += 1;
                while input.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                continue;
            }
            if let Some(next) = num.step(byte) {
                num = next;
                i += 1;
                continue;
            }
            if num == Num::Minus && byte == b'I' && self.options.allow_nan {
                self.state = State::Literal {
                    literal: Literal::NegInfinity,
                    matched: 2,
                };
                return Ok(i + 1);
            }
            if !num.can_end() {
                return Err(self.unexpected(i, byte, num.expected()));
            }
            if num == Num::Zero && byte.is_ascii_digit() {
                return Err(self.unexpected(
                    i,
                    byte,
                    "'.', 'e' or the end of the number (no leading zeros)",
                ));
            }
            // Only a byte that may follow a value here finishes the number: `12x` is an error, not 12.
            if !self.may_follow_value(byte) {
                return Err(self.unexpected(i, byte, self.after_number_expected()));
            }
            if self.number.is_empty() {
                // Number bytes are ASCII: slicing them out of the validated chunk avoids a `from_utf8` per number.
                let text = match valid.slice(input, start, i) {
                    Some(text) => text,
                    None => std::str::from_utf8(&input[start..i]).unwrap_or("0"),
                };
                self.send(
                    sink,
                    Event::Number(Number {
                        text,
                        is_integer: num.is_integer(),
                    }),
                )?;
            } else {
                let mut number = std::mem::take(&mut self.number);
                number.extend_from_slice(&input[start..i]);
                let result = self.emit_number(&number, num.is_integer(), sink);
                number.clear();
                self.number = number;
                result?;
            }
            self.value_done();
            return Ok(i);
        }
        self.number.extend_from_slice(&input[start..i]);
        self.state = State::Number(num);
        Ok(i)
    }

    fn emit_number<S: Sink + ?Sized>(
        &mut self,
        text: &[u8],
        is_integer: bool,
        sink: &mut S,
    ) -> Result<(), Error> {
        // Every byte was checked against the number grammar, so the text is ASCII.
        let text = std::str::from_utf8(text).unwrap_or("0");
        self.send(sink, Event::Number(Number { text, is_integer }))
    }

    fn string<'a, S: Sink + ?Sized>(
        &mut self,
        input: &'a [u8],
        valid: &mut Validated<'a>,
        mut i: usize,
        key: bool,
        mut escape: Escape,
        sink: &mut S,
    ) -> Result<usize, Error> {
        loop {
            if escape == Escape::None && self.utf8_len > 0 {
                i = self.finish_utf8_sequence(input, i, sink)?;
            }
            let Some(&byte) = input.get(i) else {
                self.state = State::Str { key, escape };
                return Ok(i);
            };
            match escape {
                Escape::None => {
                    let end = scan::find_special(input, i);
                    if end > i {
                        self.plain_run(input, valid, i, end, sink)?;
                    }
                    i = end;
                    let Some(&byte) = input.get(i) else {
                        continue;
                    };
                    match byte {
                        b'"' => {
                            self.send(sink, if key { Event::EndKey } else { Event::EndString })?;
                            if key {
                                self.state = State::Colon;
                            } else {
                                self.value_done();
                            }
                            return Ok(i + 1);
                        }
                        b'\\' => {
                            // Fast path: a short escape wholly in this chunk.
                            if let Some(decoded) = input.get(i + 1).and_then(|&b| short_escape(b)) {
                                self.send(sink, Event::Fragment(decoded))?;
                                i += 2;
                                continue;
                            }
                            escape = Escape::Backslash;
                        }
                        _ => {
                            let error = ErrorKind::ControlCharacter { found: byte };
                            return Err(self.error_at(self.at(i), error));
                        }
                    }
                    i += 1;
                }
                Escape::Backslash => {
                    if byte == b'u' {
                        escape = Escape::Hex { digits: 0, code: 0 };
                    } else if let Some(decoded) = short_escape(byte) {
                        self.send(sink, Event::Fragment(decoded))?;
                        escape = Escape::None;
                    } else {
                        return Err(self.unexpected(
                            i,
                            byte,
                            "an escape: one of \" \\ / b f n r t u",
                        ));
                    }
                    i += 1;
                }
                Escape::Hex { digits, code } | Escape::LowHex { digits, code, .. } => {
                    let Some(digit) = hex_value(byte) else {
                        return Err(self.unexpected(i, byte, "a hex digit in a \\u escape"));
                    };
                    let code = code << 4 | digit;
                    i += 1;
                    let high = match escape {
                        Escape::LowHex { high, .. } => Some(high),
                        _ => None,
                    };
                    if digits < 3 {
                        escape = match high {
                            Some(high) => Escape::LowHex {
                                high,
                                digits: digits + 1,
                                code,
                            },
                            None => Escape::Hex {
                                digits: digits + 1,
                                code,
                            },
                        };
                        continue;
                    }
                    escape = match high {
                        Some(high) if (0xDC00..=0xDFFF).contains(&code) => {
                            let scalar = 0x10000
                                + ((u32::from(high) - 0xD800) << 10)
                                + (u32::from(code) - 0xDC00);
                            self.send_char(scalar, sink)?;
                            Escape::None
                        }
                        Some(high) => {
                            self.send(sink, Event::LoneSurrogate(high))?;
                            self.code_unit(code, sink)?
                        }
                        None => self.code_unit(code, sink)?,
                    };
                }
                Escape::High { high } => {
                    if byte == b'\\' {
                        escape = Escape::HighBackslash { high };
                        i += 1;
                    } else {
                        // Not followed by an escape: the high surrogate stands alone. Re-read this byte as plain.
                        self.send(sink, Event::LoneSurrogate(high))?;
                        escape = Escape::None;
                    }
                }
                Escape::HighBackslash { high } => {
                    if byte == b'u' {
                        escape = Escape::LowHex {
                            high,
                            digits: 0,
                            code: 0,
                        };
                        i += 1;
                    } else {
                        // Another kind of escape: the high surrogate stands alone; re-read this byte as an escape.
                        self.send(sink, Event::LoneSurrogate(high))?;
                        escape = Escape::Backslash;
                    }
                }
            }
        }
    }

    /// A complete `\uXXXX` code unit outside a pair: hold a high surrogate, send anything else.
    fn code_unit<S: Sink + ?Sized>(&mut self, code: u16, sink: &mut S) -> Result<Escape, Error> {
        match code {
            0xD800..=0xDBFF => Ok(Escape::High { high: code }),
            0xDC00..=0xDFFF => {
                self.send(sink, Event::LoneSurrogate(code))?;
                Ok(Escape::None)
            }
            _ => {
                self.send_char(u32::from(code), sink)?;
                Ok(Escape::None)
            }
        }
    }

    fn send_char<S: Sink + ?Sized>(&mut self, scalar: u32, sink: &mut S) -> Result<(), Error> {
        // Callers pass a non-surrogate BMP code point or a combined pair, both valid scalar values.
        let c = char::from_u32(scalar).unwrap_or(char::REPLACEMENT_CHARACTER);
        let mut buffer = [0u8; 4];
        self.send(sink, Event::Fragment(c.encode_utf8(&mut buffer)))
    }

    /// Validate and send `input[start..end]`, a run with no quote, backslash or control byte.
    fn plain_run<'a, S: Sink + ?Sized>(
        &mut self,
        input: &'a [u8],
        valid: &mut Validated<'a>,
        start: usize,
        end: usize,
        sink: &mut S,
    ) -> Result<(), Error> {
        if let Some(text) = valid.run(input, start, end) {
            return self.send(sink, Event::Fragment(text));
        }
        // Only a run holding invalid or unfinished UTF-8 gets here (at most once per chunk). The validated region
        // now covers `start` and ends inside the run, at the first byte that is not valid UTF-8.
        let bad_start = (valid.from + valid.text.len()).clamp(start, end);
        let prefix = valid
            .text
            .get(start.saturating_sub(valid.from)..bad_start - valid.from);
        if let Some(prefix) = prefix.filter(|prefix| !prefix.is_empty()) {
            self.send(sink, Event::Fragment(prefix))?;
        }
        let bad = &input[bad_start..end];
        let offending = if scan::is_unfinished_sequence(bad) {
            // The run ends inside a sequence that more bytes could complete: hold it if the chunk ends here;
            // otherwise the quote, backslash or control byte that ended the run broke it.
            if end == input.len() {
                self.utf8[..bad.len()].copy_from_slice(bad);
                self.utf8_len = bad.len() as u8;
                return Ok(());
            }
            end
        } else if scan::sequence_len(bad[0]).is_none() {
            // A byte that can never start a sequence.
            bad_start
        } else {
            // The sequence broke at the byte after its longest valid part.
            let len = std::str::from_utf8(bad)
                .err()
                .and_then(|e| e.error_len())
                .unwrap_or(1);
            bad_start + len
        };
        let found = input.get(offending).copied().unwrap_or(0);
        Err(self.error_at(self.at(offending), ErrorKind::InvalidUtf8 { found }))
    }

    /// Complete a UTF-8 sequence begun in an earlier chunk, one byte at a time.
    fn finish_utf8_sequence<S: Sink + ?Sized>(
        &mut self,
        input: &[u8],
        mut i: usize,
        sink: &mut S,
    ) -> Result<usize, Error> {
        while let Some(&byte) = input.get(i) {
            let len = self.utf8_len as usize;
            self.utf8[len] = byte;
            let sequence = &self.utf8[..=len];
            match std::str::from_utf8(sequence) {
                Ok(text) => {
                    self.send(sink, Event::Fragment(text))?;
                    self.utf8_len = 0;
                    return Ok(i + 1);
                }
                Err(_) if scan::is_unfinished_sequence(sequence) => {
                    self.utf8_len += 1;
                    i += 1;
                }
                Err(_) => {
                    return Err(self.error_at(self.at(i), ErrorKind::InvalidUtf8 { found: byte }));
                }
            }
        }
        Ok(i)
    }
}
