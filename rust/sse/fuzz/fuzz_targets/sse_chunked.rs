//! Arbitrary bytes as an event stream, cut into arbitrary chunks: the events, the last event ID and the
//! reconnection time must be those of the whole stream, fed at once, in chunks, one byte at a time, and (what the
//! bytes decode to) as text cut between characters. The decoder must never panic.
//!
//! Input layout: the first byte says how many cut points follow (at most 15), each one byte (a position in the
//! stream, modulo its length + 1); the rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use midstream_sse::{Decoder, Event};

type Outcome = (Vec<Event>, Option<String>, Option<String>);

fn outcome(decoder: &mut Decoder, events: Vec<Event>) -> Outcome {
    decoder.finish();
    let id = decoder.last_event_id().map(str::to_owned);
    let retry = decoder.retry().map(str::to_owned);
    (events, id, retry)
}

fn from_bytes<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut decoder = Decoder::new();
    let mut events = Vec::new();
    for piece in pieces {
        decoder.feed(piece, &mut events);
    }
    outcome(&mut decoder, events)
}

fuzz_target!(|data: &[u8]| {
    let Some((&count, rest)) = data.split_first() else {
        return;
    };
    let count = usize::from(count % 16).min(rest.len());
    let (cuts, stream) = rest.split_at(count);
    let whole = from_bytes([stream]);

    let mut cuts: Vec<usize> = cuts
        .iter()
        .map(|&cut| usize::from(cut) % (stream.len() + 1))
        .collect();
    cuts.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for &cut in &cuts {
        pieces.push(&stream[start..cut]);
        start = cut;
    }
    pieces.push(&stream[start..]);
    assert_eq!(from_bytes(pieces), whole, "chunked");
    assert_eq!(from_bytes(stream.chunks(1)), whole, "byte by byte");

    // The same stream as the text it decodes to, cut between characters at the same places where they fall.
    let text = String::from_utf8_lossy(stream).into_owned();
    let mut decoder = Decoder::new();
    let mut events = Vec::new();
    let mut start = 0;
    for cut in cuts.iter().map(|&cut| cut.min(text.len())) {
        if cut > start && text.is_char_boundary(cut) {
            decoder.feed_str(&text[start..cut], &mut events);
            start = cut;
        }
    }
    decoder.feed_str(&text[start..], &mut events);
    assert_eq!(
        outcome(&mut decoder, events),
        from_bytes([text.as_bytes()]),
        "text"
    );
});
