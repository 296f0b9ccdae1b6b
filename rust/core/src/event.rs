//! The events the parser emits: the interface for building values or other bindings on top of the core.

/// What kind of scalar has begun (emitted at its first byte, before it is complete).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    Number,
    Bool,
    Null,
}

/// One step of the document, in order. Strings (keys and values) arrive as `BeginKey`/`BeginString`, any number
/// of `Fragment`/`LoneSurrogate` pieces, then `EndKey`/`EndString`. A fragment never splits a character, an
/// escape or a surrogate pair. Numbers are announced by `Begin(ScalarKind::Number)` at their first byte and
/// delivered whole as `Number` once the byte after them (or `finish`) proves them finished.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event<'a> {
    BeginObject,
    EndObject,
    BeginArray,
    EndArray,
    BeginKey,
    EndKey,
    BeginString,
    EndString,
    /// Decoded text of the open key or string.
    Fragment(&'a str),
    /// A `\uXXXX` escape of a surrogate with no partner (JSON allows it; it is not valid Unicode).
    LoneSurrogate(u16),
    /// A scalar began; its value follows as `Number`, `Bool` or `Null`.
    Begin(ScalarKind),
    /// A finished number, exactly as written (`-0`, `1E400`, or `NaN`/`Infinity`/`-Infinity` when allowed).
    Number(Number<'a>),
    Bool(bool),
    Null,
}

/// The text of a finished number, validated against the JSON grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Number<'a> {
    pub text: &'a str,
    /// No fraction and no exponent: an integer of any size.
    pub is_integer: bool,
}

/// Returned by a [`Sink`] to stop parsing; becomes [`ErrorKind::Rejected`](crate::ErrorKind::Rejected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject(pub String);

/// Receives the events of a [`Parser`](crate::Parser).
pub trait Sink {
    fn event(&mut self, event: Event<'_>) -> Result<(), Reject>;
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
