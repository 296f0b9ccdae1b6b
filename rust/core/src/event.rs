//! The events the parser emits: the interface for building values or other bindings on top of the core.

/// What kind of scalar has begun (emitted at its first byte, before it is complete).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    /// A number (`-`, or a digit; `N`/`I` when NaN and Infinity are allowed).
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
}

/// One step of the document, in order. Strings (keys and values) arrive as `BeginKey`/`BeginString`, any number
/// of `Fragment`/`LoneSurrogate` pieces, then `EndKey`/`EndString`. A fragment never splits a character, an
/// escape or a surrogate pair. Numbers are announced by `Begin(ScalarKind::Number)` at their first byte and
/// delivered whole as `Number` once the byte after them (or `finish`) proves them finished.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event<'a> {
    /// `{`.
    BeginObject,
    /// `}`: the object and everything in it are complete.
    EndObject,
    /// `[`.
    BeginArray,
    /// `]`: the array and everything in it are complete.
    EndArray,
    /// The opening quote of an object key; its text follows as fragments.
    BeginKey,
    /// The closing quote of a key.
    EndKey,
    /// The opening quote of a string value; its text follows as fragments.
    BeginString,
    /// The closing quote of a string value: the string is complete.
    EndString,
    /// Decoded text of the open key or string.
    Fragment(&'a str),
    /// A `\uXXXX` escape of a surrogate with no partner (JSON allows it; it is not valid Unicode).
    LoneSurrogate(u16),
    /// A scalar began; its value follows as `Number`, `Bool` or `Null`.
    Begin(ScalarKind),
    /// A finished number, exactly as written (`-0`, `1E400`, or `NaN`/`Infinity`/`-Infinity` when allowed).
    Number(Number<'a>),
    /// A finished `true` or `false`.
    Bool(bool),
    /// A finished `null`.
    Null,
}

/// The text of a finished number, validated against the JSON grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Number<'a> {
    /// The number's text in the input.
    pub text: &'a str,
    /// No fraction and no exponent: an integer of any size.
    pub is_integer: bool,
}

/// Returned by a [`Sink`] to stop parsing; becomes [`ErrorKind::Rejected`](crate::ErrorKind::Rejected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject(
    /// Why: it becomes the error message.
    pub String,
);

/// Receives the events of a [`Parser`](crate::Parser).
pub trait Sink {
    /// Called for each event, in document order; an `Err` stops the parser at this value.
    fn event(&mut self, event: Event<'_>) -> Result<(), Reject>;

    /// Called just before each `BeginObject`, `BeginArray`, `EndObject` and `EndArray` with the offset of its
    /// bracket in the whole input (the bytes of earlier chunks included), for sinks that slice the input by
    /// value. Ignored by default.
    #[inline]
    fn bracket_at(&mut self, offset: u64) {
        let _ = offset;
    }
}

/// A sink that ignores every event: the parser then only validates.
#[derive(Debug, Default, Clone, Copy)]
pub struct IgnoreEvents;

impl Sink for IgnoreEvents {
    #[inline]
    fn event(&mut self, _event: Event<'_>) -> Result<(), Reject> {
        Ok(())
    }
}

impl<F: FnMut(Event<'_>)> Sink for F {
    #[inline]
    fn event(&mut self, event: Event<'_>) -> Result<(), Reject> {
        self(event);
        Ok(())
    }
}
