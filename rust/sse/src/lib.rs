//! # midstream-sse
//!
//! Incremental Server-Sent Events decoding, exactly as the WHATWG HTML standard interprets an event stream
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>). Feed the raw
//! bytes of a `text/event-stream` response cut anywhere (mid-UTF-8, between a CR and its LF) and get the
//! dispatched events; the result does not depend on where the cuts fall.
//!
//! ```
//! use midstream_sse::Decoder;
//!
//! let mut decoder = Decoder::new();
//! let mut events = Vec::new();
//! for chunk in [&b"\xef\xbb\xbfevent: delta\nid: 7\ndata: {\"x\""[..], b": 1}\r", b"\n\r\n: ping\n\ndata: \xe2\x82"] {
//!     decoder.feed(chunk, &mut events);
//! }
//! decoder.feed(b"\xac\n\n", &mut events);
//! assert_eq!(events.len(), 2);
//! assert_eq!((events[0].event_type(), &*events[0].data, events[0].id.as_deref()), ("delta", "{\"x\": 1}", Some("7")));
//! assert_eq!((events[1].event_type(), &*events[1].data), ("message", "€"));
//! decoder.finish();
//! ```
//!
//! What the decoder does, as the standard says:
//!
//! - bytes are decoded as UTF-8 across chunk boundaries, each maximal ill-formed subpart becoming one U+FFFD (the
//!   WHATWG Encoding standard's decoder); one U+FEFF byte order mark is dropped at the very start of the stream,
//!   and only there. Text given already decoded ([`Decoder::feed_str`]) is taken as it is.
//! - lines end at CRLF, LF or CR. A lone CR ends its line at once (nothing waits for the next chunk); an LF that
//!   then starts the next chunk is skipped, so a CRLF split across two chunks is one line end.
//! - a line starting with `:` is a comment; otherwise the field name is the text before the first `:` and the
//!   value the text after it, less one leading space (a line without `:` is a field with an empty value). `event`
//!   sets the event type, `data` adds a line of data, `id` sets the last event ID (unless the value contains
//!   U+0000), `retry` sets the reconnection time (only when the value is all ASCII digits); other fields are
//!   ignored.
//! - a blank line dispatches the event: nothing if no `data` field was seen since the last blank line, else an
//!   [`Event`]. The event type resets at each blank line; the last event ID persists from event to event.
//! - a block that the stream's end cuts off before its blank line is discarded ([`Decoder::finish`]).
//!
//! The work is linear in the input: each byte is looked at a bounded number of times (line ends are found with
//! `memchr`), and only the unfinished last line is kept between chunks.

#![forbid(unsafe_code)]

/// A `retry` value longer than this (leading zeros aside) is ignored, as CPython's `int()` refuses longer digit
/// strings by default (`sys.get_int_max_str_digits`): the Python binding and this crate agree on every stream.
pub const MAX_RETRY_DIGITS: usize = 4300;

const BOM: char = '\u{FEFF}';

/// `std::str::from_utf8`, with valid input (nearly all of it) checked with SIMD first. The error's positions are
/// std's: a maximal ill-formed subpart, and "cut off" only for a true prefix of a character (simdutf8's own errors
/// call `ED A0` cut off, where std, and the Encoding standard, see `ED` as a subpart of its own).
fn utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(bytes),
    }
}

/// One dispatched server-sent event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    /// The type given by the block's `event` field; empty when it had none (or an empty one): see
    /// [`Event::event_type`].
    pub event: String,
    /// The block's `data` lines joined with `"\n"` (empty for a single empty `data:` line).
    pub data: String,
    /// The stream's last event ID at this event: the latest `id` field's value, in this block or an earlier one
    /// (empty after an empty `id:`, which clears it); `None` if no `id` field has been seen.
    pub id: Option<String>,
    /// The reconnection time in milliseconds set by this block's `retry` field, if it had a valid one, as its
    /// decimal digits without leading zeros (the standard sets no bound; see [`Event::retry_ms`]).
    pub retry: Option<String>,
}

impl Event {
    /// The event type: the `event` field's value, or `"message"` when the block had none.
    pub fn event_type(&self) -> &str {
        if self.event.is_empty() {
            "message"
        } else {
            &self.event
        }
    }

    /// The reconnection time as a number, if the block set one that fits in a `u64`.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry.as_deref().and_then(|digits| digits.parse().ok())
    }
}

/// A dispatched event, borrowed from the decoder: what a [`Sink`] sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// As [`Event::event`]: empty for the default type.
    pub event: &'a str,
    pub data: &'a str,
    pub id: Option<&'a str>,
    pub retry: Option<&'a str>,
}

impl EventRef<'_> {
    /// The event type: the `event` field's value, or `"message"` when the block had none.
    pub fn event_type(&self) -> &str {
        if self.event.is_empty() {
            "message"
        } else {
            self.event
        }
    }

    pub fn to_owned(&self) -> Event {
        Event {
            event: self.event.to_owned(),
            data: self.data.to_owned(),
            id: self.id.map(str::to_owned),
            retry: self.retry.map(str::to_owned),
        }
    }
}

/// Where the decoder puts the events it dispatches: a `Vec<Event>` collects them (owned); a closure taking an
/// [`EventRef`] sees each one borrowed, with nothing allocated per event.
pub trait Sink {
    fn event(&mut self, event: EventRef<'_>);
}

impl Sink for Vec<Event> {
    fn event(&mut self, event: EventRef<'_>) {
        self.push(event.to_owned());
    }
}

impl<F: FnMut(EventRef<'_>)> Sink for F {
    fn event(&mut self, event: EventRef<'_>) {
        self(event);
    }
}

/// Incremental event-stream decoder: [`feed`](Decoder::feed) chunks cut anywhere, and
/// [`finish`](Decoder::finish) at the end. After `finish` it is ready for the next stream of the same source (a
/// reconnection): it keeps [`last_event_id`](Decoder::last_event_id) and [`retry`](Decoder::retry).
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    /// The bytes of a UTF-8 sequence the last chunk cut off (at most 3).
    utf8_tail: Vec<u8>,
    /// Whether the stream's first character (a possible byte order mark) has been seen.
    started: bool,
    /// The text so far ended with a CR: an LF that comes next belongs to its line end.
    skip_lf: bool,
    /// The unfinished last line.
    line: String,
    /// The data buffer: the block's `data` lines joined with LF, and how many there were.
    data: String,
    data_lines: usize,
    /// The event type buffer.
    event: String,
    /// The last event ID buffer (`None`: no `id` field yet).
    last_id: Option<String>,
    /// The current block's `retry` value.
    block_retry: Option<String>,
    /// The stream's last event ID as of the latest blank line, and its reconnection time.
    dispatched_id: Option<String>,
    reconnect: Option<String>,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// The last event ID as of the latest blank line (what a reconnecting client sends as `Last-Event-ID`).
    pub fn last_event_id(&self) -> Option<&str> {
        self.dispatched_id.as_deref()
    }

    /// The reconnection time in milliseconds set by the latest valid `retry` field, as its digits.
    pub fn retry(&self) -> Option<&str> {
        self.reconnect.as_deref()
    }

    /// Take the next piece of the stream's bytes; hand the events it completes to `events` (a `Vec<Event>`, or any
    /// [`Sink`]).
    pub fn feed<S: Sink + ?Sized>(&mut self, chunk: &[u8], events: &mut S) {
        if chunk.is_empty() {
            return;
        }
        if self.utf8_tail.is_empty() {
            self.decode(chunk, events);
            return;
        }
        // Complete the cut-off sequence with the first bytes of this chunk (it needs at most 3 more).
        let mut joined = std::mem::take(&mut self.utf8_tail);
        let kept = joined.len();
        let take = chunk.len().min(4 - kept);
        joined.extend_from_slice(&chunk[..take]);
        let used = match utf8(&joined) {
            Ok(text) => {
                self.text(text, events);
                joined.len()
            }
            Err(error) if error.valid_up_to() > 0 => {
                let text =
                    std::str::from_utf8(&joined[..error.valid_up_to()]).expect("valid up to here");
                self.text(text, events);
                error.valid_up_to()
            }
            Err(error) => match error.error_len() {
                // Still cut off (the chunk was too short to finish it): keep waiting.
                None => {
                    self.utf8_tail = joined;
                    return;
                }
                // Ill-formed: its maximal subpart (which holds all of the kept bytes) is one U+FFFD.
                Some(invalid) => {
                    self.text("\u{FFFD}", events);
                    invalid
                }
            },
        };
        // What the joined piece took of this chunk (it holds every kept byte: they were a character's prefix).
        let from = used - kept;
        if from < chunk.len() {
            self.decode(&chunk[from..], events);
        }
    }

    /// Take the next piece of the stream as text already decoded. Bytes of a UTF-8 sequence that an earlier
    /// [`feed`](Decoder::feed) cut off decode to U+FFFD, as if the stream had ended there.
    pub fn feed_str<S: Sink + ?Sized>(&mut self, text: &str, events: &mut S) {
        if !self.utf8_tail.is_empty() {
            self.utf8_tail.clear();
            self.text(&char::REPLACEMENT_CHARACTER.to_string(), events);
        }
        self.text(text, events);
    }

    /// End the stream: discard an unfinished block (by the standard nothing is dispatched without its blank
    /// line) and get ready for the next stream, keeping the last event ID and the reconnection time.
    pub fn finish(&mut self) {
        let dispatched_id = self.dispatched_id.take();
        let reconnect = self.reconnect.take();
        *self = Decoder {
            last_id: dispatched_id.clone(),
            dispatched_id,
            reconnect,
            ..Decoder::default()
        };
    }

    /// Decode a piece of bytes that starts at a character boundary: complete characters go on as text, ill-formed
    /// subparts as U+FFFD, and a sequence cut off at the end waits for the next chunk.
    fn decode<S: Sink + ?Sized>(&mut self, mut bytes: &[u8], events: &mut S) {
        if let Ok(text) = utf8(bytes) {
            return self.text(text, events); // nearly always: checked with SIMD, once
        }
        // Past each ill-formed subpart, std's check stops at the next one, so the chunk is scanned once in all
        // (a SIMD check of the rest after every error would make a chunk of garbage cost its length squared).
        loop {
            match std::str::from_utf8(bytes) {
                Ok(text) => return self.text(text, events),
                Err(error) => {
                    let (valid, rest) = bytes.split_at(error.valid_up_to());
                    if !valid.is_empty() {
                        let text = std::str::from_utf8(valid).expect("checked above");
                        self.text(text, events);
                    }
                    match error.error_len() {
                        None => {
                            self.utf8_tail.extend_from_slice(rest);
                            return;
                        }
                        Some(invalid) => {
                            self.text("\u{FFFD}", events);
                            bytes = &rest[invalid..];
                        }
                    }
                }
            }
        }
    }

    /// Interpret decoded text: split it into lines (CRLF, LF or CR), each complete line interpreted.
    fn text<S: Sink + ?Sized>(&mut self, mut text: &str, events: &mut S) {
        if text.is_empty() {
            return;
        }
        if !self.started {
            self.started = true;
            text = text.strip_prefix(BOM).unwrap_or(text);
        }
        if self.skip_lf && !text.is_empty() {
            self.skip_lf = false;
            text = text.strip_prefix('\n').unwrap_or(text);
        }
        let bytes = text.as_bytes();
        let mut start = 0;
        while let Some(found) = memchr::memchr2(b'\r', b'\n', &bytes[start..]) {
            let end = start + found;
            let line = &text[start..end];
            if self.line.is_empty() {
                self.line_done(line, events);
            } else {
                // The line began in an earlier chunk: complete it, interpret it, keep its buffer.
                let mut whole = std::mem::take(&mut self.line);
                whole.push_str(line);
                self.line_done(&whole, events);
                whole.clear();
                self.line = whole;
            }
            start = end + 1;
            if bytes[end] == b'\r' {
                match bytes.get(start) {
                    Some(b'\n') => start += 1,
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
        }
        self.line.push_str(&text[start..]);
    }

    /// Interpret one complete line (without its line end).
    fn line_done<S: Sink + ?Sized>(&mut self, line: &str, events: &mut S) {
        if line.is_empty() {
            self.dispatch(events);
            return;
        }
        let (name, value) = match line.find(':') {
            Some(0) => return, // a comment
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line, ""),
        };
        match name {
            "data" => {
                if self.data_lines > 0 {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.data_lines += 1;
            }
            "event" => {
                self.event.clear();
                self.event.push_str(value);
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) => {
                let digits = value.trim_start_matches('0');
                let digits = if digits.is_empty() { "0" } else { digits };
                if digits.len() <= MAX_RETRY_DIGITS {
                    self.block_retry = Some(digits.to_owned());
                    self.reconnect = Some(digits.to_owned());
                }
            }
            _ => {}
        }
    }

    /// A blank line: dispatch the block's event, if it had data.
    fn dispatch<S: Sink + ?Sized>(&mut self, events: &mut S) {
        self.dispatched_id.clone_from(&self.last_id);
        if self.data_lines > 0 {
            events.event(EventRef {
                event: &self.event,
                data: &self.data,
                id: self.last_id.as_deref(),
                retry: self.block_retry.as_deref(),
            });
            self.data.clear();
            self.data_lines = 0;
        }
        self.event.clear();
        self.block_retry = None;
    }
}
