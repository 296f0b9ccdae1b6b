//! Arbitrary bytes as a provider's event stream, cut into arbitrary chunks: the updates must be those of the whole
//! stream fed at once, and the reader must never panic, whatever the events hold (JSON or not, any shape).
//!
//! Input layout: the first byte picks the provider (modulo 4) and how many cut points follow (its high nibble, at
//! most 15), each one byte (a position in the stream, modulo its length + 1); the rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use midstream_providers::{Provider, Reader, Update};

fn read<'a>(provider: Provider, pieces: impl IntoIterator<Item = &'a [u8]>) -> Vec<Update> {
    let mut reader = Reader::new(provider);
    let mut updates = Vec::new();
    for piece in pieces {
        reader.feed(piece, &mut updates);
    }
    reader.finish(&mut updates);
    updates
}

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let provider = Provider::ALL[usize::from(head % 4)];
    let count = usize::from(head >> 4).min(rest.len());
    let (cuts, stream) = rest.split_at(count);
    let whole = read(provider, [stream]);

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
    assert_eq!(read(provider, pieces), whole, "chunked");
    assert_eq!(read(provider, stream.chunks(1)), whole, "byte by byte");
});
