//! The fast reading of one whole event's JSON: a small validating pull reader that decodes only the members a
//! [`Want`] names and steps over the rest.
//!
//! A provider event is a few hundred bytes of metadata around a few bytes of answer: an OpenAI chunk has ~11 keys
//! (`id`, `object`, `created`, `model`, `system_fingerprint`, `choices`, `index`, `delta`, `content`, `logprobs`,
//! `finish_reason`). Keys are compared as written, strings that are not wanted are stepped over with
//! `midstream-core`'s eight-bytes-at-a-time scan, and nothing is built for them. The tree of the wanted parts is
//! written into the previous event's tree ([`pull_into`]): events of a stream have the same shape, so its vectors
//! and strings are reused and a steady stream allocates nothing here. Whatever this reader is not sure of — an
//! escape in a key, a lone surrogate escape, containers nested deeper than [`MAX_SKIPPED_DEPTH`], anything that
//! is not valid JSON — it gives up on ([`Bail`]) and the caller reads the payload again with `midstream-core`, which decides. So the reading's
//! result never depends on which reader ran: `extract`'s property tests hold the two to the same results.
//!
//! Recursion follows the `Want` tree, whose depth the provider fixes; skipped values are stepped over with an
//! explicit stack, never by recursion on the input's depth.

use std::borrow::Cow;

use crate::extract::{Json, Want};

/// This reader gave up: the payload goes to `midstream-core`'s reading, which decides what it is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Bail;

type Pulled<T> = Result<T, Bail>;

/// How deeply nested a skipped value may be (its open containers are bits of a `u128`).
const MAX_SKIPPED_DEPTH: u32 = 128;

/// The wanted parts of `data`, if it is one JSON value this reader is sure of.
#[cfg(test)]
pub(crate) fn pull(data: &str, want: &'static Want) -> Pulled<Json> {
    let mut value = Json::Null;
    pull_into(data, want, &mut value)?;
    Ok(value)
}

/// [`pull`] written into `slot`, reusing the vectors and strings of what it holds (the previous event's tree).
/// After a [`Bail`], `slot` holds a mix of both and must be overwritten.
pub(crate) fn pull_into(data: &str, want: &'static Want, slot: &mut Json) -> Pulled<()> {
    let mut reader = Reader { text: data, pos: 0 };
    reader.value(want, slot)?;
    if reader.peek().is_some() {
        return Err(Bail); // something after the value
    }
    Ok(())
}

/// Whether `key` is `field`: compared in line (keys are a few bytes; a call to `memcmp` costs more than the
/// comparison).
fn same_key(field: &str, key: &str) -> bool {
    field.len() == key.len() && field.bytes().zip(key.bytes()).all(|(a, b)| a == b)
}

/// Item `count` of `items`, the previous tree's if it had one, else a new one made by `blank`.
fn next_slot<T>(items: &mut Vec<T>, count: usize, blank: impl FnOnce() -> T) -> &mut T {
    if count == items.len() {
        items.push(blank());
    }
    &mut items[count]
}

/// `slot` made a string, emptied, keeping its buffer if it was one.
fn reuse_string(slot: &mut Json) -> &mut String {
    if !matches!(slot, Json::String(_)) {
        *slot = Json::String(String::new());
    }
    let Json::String(text) = slot else {
        unreachable!("just made a string")
    };
    text.clear();
    text
}

/// `slot`'s text made a number's, keeping its buffer if it held one.
fn write_number(slot: &mut Json, text: &str) {
    if let Json::Number(number) = slot {
        number.clear();
        number.push_str(text);
    } else {
        *slot = Json::Number(text.to_owned());
    }
}

struct Reader<'a> {
    text: &'a str,
    /// The next byte to read: always at a character boundary (it only ever stops after an ASCII byte).
    pos: usize,
}

impl Reader<'_> {
    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        let bytes = self.text.as_bytes();
        while let Some(&byte) = bytes.get(self.pos) {
            if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(byte);
            }
            self.pos += 1;
        }
        None
    }

    fn next(&mut self) -> Pulled<u8> {
        self.peek().ok_or(Bail)
    }

    /// Consume `byte`, which must come next (after whitespace).
    fn expect(&mut self, byte: u8) -> Pulled<()> {
        if self.next()? != byte {
            return Err(Bail);
        }
        self.pos += 1;
        Ok(())
    }

    /// The wanted parts of the next value, written into `slot`.
    fn value(&mut self, want: &'static Want, slot: &mut Json) -> Pulled<()> {
        match (want, self.next()?) {
            (_, b'"') => self.string(reuse_string(slot)),
            (Want::Any, b'{' | b'[') => {
                // Kept whole: found by stepping over it, then built by midstream-core.
                let start = self.pos;
                self.skip()?;
                *slot = crate::extract::extract_events(
                    &self.text.as_bytes()[start..self.pos],
                    &Want::Any,
                )
                .ok_or(Bail)?;
                Ok(())
            }
            (Want::Object(fields), b'{') => self.object(fields, slot),
            (Want::Array(item), b'[') => self.array(item, slot),
            (_, open @ (b'{' | b'[')) => {
                // The wrong kind of container: kept empty, its contents skipped.
                self.skip()?;
                *slot = if open == b'[' {
                    Json::Array(Vec::new())
                } else {
                    Json::Object(Vec::new())
                };
                Ok(())
            }
            (_, b't') => self.literal("true").map(|()| *slot = Json::Bool(true)),
            (_, b'f') => self.literal("false").map(|()| *slot = Json::Bool(false)),
            (_, b'n') => self.literal("null").map(|()| *slot = Json::Null),
            _ => {
                let start = self.pos;
                self.number()?;
                write_number(slot, &self.text[start..self.pos]);
                Ok(())
            }
        }
    }

    fn object(&mut self, fields: &'static [(&'static str, Want)], slot: &mut Json) -> Pulled<()> {
        // The previous tree's members are overwritten in order, then cut to what this object has.
        let mut members = match std::mem::replace(slot, Json::Null) {
            Json::Object(members) => members,
            _ => Vec::new(),
        };
        let mut count = 0;
        self.items(b'}', |reader| {
            let key = reader.key()?;
            let Some((field, want)) = fields.iter().find(|(field, _)| same_key(field, key)) else {
                return reader.skip_member();
            };
            let member = next_slot(&mut members, count, || (Cow::Borrowed(*field), Json::Null));
            member.0 = Cow::Borrowed(*field);
            count += 1;
            reader.value(want, &mut member.1)
        })?;
        members.truncate(count);
        *slot = Json::Object(members);
        Ok(())
    }

    fn array(&mut self, item: &'static Want, slot: &mut Json) -> Pulled<()> {
        let mut items = match std::mem::replace(slot, Json::Null) {
            Json::Array(items) => items,
            _ => Vec::new(),
        };
        let mut count = 0;
        self.items(b']', |reader| {
            let slot = next_slot(&mut items, count, || Json::Null);
            count += 1;
            reader.value(item, slot)
        })?;
        items.truncate(count);
        *slot = Json::Array(items);
        Ok(())
    }

    /// The members or items of the container that opens here, up to `close`, each read by `each`; the commas
    /// between them checked.
    fn items(&mut self, close: u8, mut each: impl FnMut(&mut Self) -> Pulled<()>) -> Pulled<()> {
        self.pos += 1; // { or [
        if self.next()? == close {
            self.pos += 1;
            return Ok(());
        }
        loop {
            each(self)?;
            match self.next()? {
                b',' => self.pos += 1,
                byte if byte == close => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Bail),
            }
        }
    }

    /// A member's key as written, and its colon. A key with an escape is left to the slower reading.
    fn key(&mut self) -> Pulled<&str> {
        self.expect(b'"')?;
        let start = self.pos;
        let end = self.string_end(start)?;
        if self.text.as_bytes()[end] != b'"' {
            return Err(Bail);
        }
        self.pos = end + 1;
        self.expect(b':')?;
        Ok(&self.text[start..end])
    }

    /// Where the string content from `from` stops: the next `"` or `\`. A control character before it is not
    /// JSON, and neither is the text ending first.
    fn string_end(&self, from: usize) -> Pulled<usize> {
        let bytes = self.text.as_bytes();
        let end = midstream_core::find_special(bytes, from);
        match bytes.get(end) {
            Some(b'"' | b'\\') => Ok(end),
            _ => Err(Bail),
        }
    }

    /// The string that begins here, decoded into `out` (empty).
    fn string(&mut self, out: &mut String) -> Pulled<()> {
        self.pos += 1; // "
        let bytes = self.text.as_bytes();
        let mut from = self.pos;
        let mut end = self.string_end(from)?;
        loop {
            out.push_str(&self.text[from..end]);
            if bytes[end] == b'"' {
                self.pos = end + 1;
                return Ok(());
            }
            // A backslash: the escape after it.
            let escape = *bytes.get(end + 1).ok_or(Bail)?;
            from = end + 2;
            match escape {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let unit = self.hex4(from)?;
                    from += 4;
                    let code = match unit {
                        0xD800..=0xDBFF => {
                            // A high surrogate needs its low half next; a lone one is left to midstream-core.
                            if bytes.get(from..from + 2) != Some(&b"\\u"[..]) {
                                return Err(Bail);
                            }
                            let low = self.hex4(from + 2)?;
                            if !(0xDC00..=0xDFFF).contains(&low) {
                                return Err(Bail);
                            }
                            from += 6;
                            0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        }
                        0xDC00..=0xDFFF => return Err(Bail),
                        _ => unit,
                    };
                    out.push(char::from_u32(code).ok_or(Bail)?);
                }
                _ => return Err(Bail),
            }
            end = self.string_end(from)?;
        }
    }

    /// The four hex digits of a `\u` escape at `at`.
    fn hex4(&self, at: usize) -> Pulled<u32> {
        let digits = self.text.as_bytes().get(at..at + 4).ok_or(Bail)?;
        digits.iter().try_fold(0u32, |value, &digit| {
            let nibble = (digit as char).to_digit(16).ok_or(Bail)?;
            Ok(value << 4 | nibble)
        })
    }

    /// Step over the string that begins here, checking it is one.
    fn skip_string(&mut self) -> Pulled<()> {
        self.pos += 1; // "
        let bytes = self.text.as_bytes();
        let mut end = self.string_end(self.pos)?;
        while bytes[end] == b'\\' {
            let from = match bytes.get(end + 1) {
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => end + 2,
                // Any code unit is JSON (a lone surrogate too); the skipped value is not decoded.
                Some(b'u') => self.hex4(end + 2).map(|_| end + 6)?,
                _ => return Err(Bail),
            };
            end = self.string_end(from)?;
        }
        self.pos = end + 1;
        Ok(())
    }

    fn literal(&mut self, word: &str) -> Pulled<()> {
        if !self.text[self.pos..].starts_with(word) {
            return Err(Bail);
        }
        self.pos += word.len();
        Ok(())
    }

    /// Step over a number, checking its grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Pulled<()> {
        let bytes = self.text.as_bytes();
        let mut at = self.pos;
        let digits = |at: &mut usize| {
            let start = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at > start
        };
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        match bytes.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => {
                digits(&mut at);
            }
            _ => return Err(Bail),
        }
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            if !digits(&mut at) {
                return Err(Bail);
            }
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            if !digits(&mut at) {
                return Err(Bail);
            }
        }
        self.pos = at;
        Ok(())
    }

    /// Step over an unwanted member's value: a string or a number straight away (most are: ids, names,
    /// timestamps), anything else by [`Reader::skip`].
    fn skip_member(&mut self) -> Pulled<()> {
        match self.next()? {
            b'"' => self.skip_string(),
            b'-' | b'0'..=b'9' => self.number(),
            _ => self.skip(),
        }
    }

    /// Step over the value that begins here, checking it is JSON, without building it. Open containers are kept
    /// as bits (1: object), not by recursion.
    fn skip(&mut self) -> Pulled<()> {
        let mut open: u128 = 0;
        let mut depth = 0u32;
        loop {
            // A value.
            match self.next()? {
                b'"' => self.skip_string()?,
                open_byte @ (b'{' | b'[') => {
                    self.pos += 1;
                    let close = if open_byte == b'{' { b'}' } else { b']' };
                    if self.next()? == close {
                        self.pos += 1;
                    } else {
                        if depth == MAX_SKIPPED_DEPTH {
                            return Err(Bail);
                        }
                        open = open << 1 | u128::from(open_byte == b'{');
                        depth += 1;
                        if open_byte == b'{' {
                            self.skip_key()?;
                        }
                        continue;
                    }
                }
                b't' => self.literal("true")?,
                b'f' => self.literal("false")?,
                b'n' => self.literal("null")?,
                _ => self.number()?,
            }
            // After a value: close what ends here, or go on to the next item or member.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                let in_object = open & 1 == 1;
                match self.next()? {
                    b',' => {
                        self.pos += 1;
                        if in_object {
                            self.skip_key()?;
                        }
                        break;
                    }
                    b'}' if in_object => {}
                    b']' if !in_object => {}
                    _ => return Err(Bail),
                }
                self.pos += 1;
                open >>= 1;
                depth -= 1;
            }
        }
    }

    /// Step over a key (any string) and its colon.
    fn skip_key(&mut self) -> Pulled<()> {
        if self.next()? != b'"' {
            return Err(Bail);
        }
        self.skip_string()?;
        self.expect(b':')
    }
}
