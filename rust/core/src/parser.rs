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
    /// Offset of the first byte of the value being parsed (for errors raised by the sink).
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

#[inline]
fn hex_value(byte: u8) -> Option<u16> {
    (byte as char).to_digit(16).map(|d| d as u16)
}

impl Parser {
    /// A strict RFC 8259 parser with the default options.
    pub fn new() -> Self {
        Parser::with_options(Options::default())
    }

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
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if self.state == State::Done {
            return Err(self.error_at(self.consumed, ErrorKind::Finished));
        }
        let result = self.run(input, sink);
        self.consumed += input.len() as u64;
        result.map_err(|error| {
            self.error = Some(error.clone());
            error
        })
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
        while i < input.len() {
            i = match self.state {
                State::Str { key, escape } => self.string(input, i, key, escape, sink)?,
                State::Number(num) => self.number(input, i, num, sink)?,
                State::Literal { literal, matched } => {
                    self.literal(input, i, literal, matched, sink)?
                }
                State::Done => return Err(self.error_at(self.at(i), ErrorKind::Finished)),
                _ => self.structural(input, i, sink)?,
            };
        }
        Ok(())
    }

    /// Whitespace, punctuation and the first byte of each value.
    fn structural<S: Sink + ?Sized>(
        &mut self,
        input: &[u8],
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
            State::Value => self.begin_value(input, i, byte, "a JSON value", sink),
            State::ArrayFirst if byte == b']' => {
                self.close(Container::Array, sink)?;
                Ok(i + 1)
            }
            State::ArrayFirst => self.begin_value(input, i, byte, "a JSON value or ']'", sink),
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
                self.close(Container::Object, sink)?;
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
                    (Container::Array, b']') => self.close(Container::Array, sink)?,
                    (Container::Object, b'}') => self.close(Container::Object, sink)?,
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

    fn close<S: Sink + ?Sized>(&mut self, container: Container, sink: &mut S) -> Result<(), Error> {
        self.stack.pop();
        let event = match container {
            Container::Array => Event::EndArray,
            Container::Object => Event::EndObject,
        };
        self.send(sink, event)?;
        self.value_done();
        Ok(())
    }

    fn begin_value<S: Sink + ?Sized>(
        &mut self,
        input: &[u8],
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
                return self.number_from(input, i, i + 1, num, sink);
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

    fn number<S: Sink + ?Sized>(
        &mut self,
        input: &[u8],
        i: usize,
        num: Num,
        sink: &mut S,
    ) -> Result<usize, Error> {
        self.number_from(input, i, i, num, sink)
    }

    /// Continue a number whose text starts at `input[start..]` (or, if it began in an earlier chunk, in
    /// `self.number`) and whose bytes up to `i` are already checked.
    fn number_from<S: Sink + ?Sized>(
        &mut self,
        input: &[u8],
        start: usize,
        mut i: usize,
        mut num: Num,
        sink: &mut S,
    ) -> Result<usize, Error> {
        while let Some(&byte) = input.get(i) {
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
            if self.number.is_empty() {
                self.emit_number(&input[start..i], num.is_integer(), sink)?;
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

    fn string<S: Sink + ?Sized>(
        &mut self,
        input: &[u8],
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
                        self.plain_run(input, i, end, sink)?;
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
                        b'\\' => escape = Escape::Backslash,
                        _ => {
                            let error = ErrorKind::ControlCharacter { found: byte };
                            return Err(self.error_at(self.at(i), error));
                        }
                    }
                    i += 1;
                }
                Escape::Backslash => {
                    let decoded = match byte {
                        b'"' => "\"",
                        b'\\' => "\\",
                        b'/' => "/",
                        b'b' => "\u{8}",
                        b'f' => "\u{c}",
                        b'n' => "\n",
                        b'r' => "\r",
                        b't' => "\t",
                        b'u' => "",
                        _ => {
                            return Err(self.unexpected(
                                i,
                                byte,
                                "an escape: one of \" \\ / b f n r t u",
                            ));
                        }
                    };
                    if byte == b'u' {
                        escape = Escape::Hex { digits: 0, code: 0 };
                    } else {
                        self.send(sink, Event::Fragment(decoded))?;
                        escape = Escape::None;
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
    fn plain_run<S: Sink + ?Sized>(
        &mut self,
        input: &[u8],
        start: usize,
        end: usize,
        sink: &mut S,
    ) -> Result<(), Error> {
        let run = &input[start..end];
        let Some(chunk) = run.utf8_chunks().next() else {
            return Ok(());
        };
        let valid = chunk.valid();
        if !valid.is_empty() {
            self.send(sink, Event::Fragment(valid))?;
        }
        let invalid = chunk.invalid();
        if invalid.is_empty() {
            return Ok(());
        }
        let bad_start = start + valid.len();
        let at_chunk_end = end == input.len() && bad_start + invalid.len() == end;
        if at_chunk_end && scan::is_unfinished_sequence(invalid) {
            self.utf8[..invalid.len()].copy_from_slice(invalid);
            self.utf8_len = invalid.len() as u8;
            return Ok(());
        }
        // The sequence broke at its lead byte if that byte can never start one, else at the byte after the
        // longest valid part (which may be the quote, backslash or control byte that ended the run).
        let offending = if scan::sequence_len(invalid[0]).is_none() {
            bad_start
        } else {
            bad_start + invalid.len()
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
