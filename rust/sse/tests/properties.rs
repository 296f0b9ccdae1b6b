//! The decoder against a literal reading of the standard (the whole stream decoded at once with `from_utf8_lossy`,
//! split into lines, interpreted line by line), whatever the chunking.

use midstream_sse::{Decoder, Event};
use proptest::prelude::*;

/// The standard's algorithm, written as directly as possible, on the whole stream.
fn reference(stream: &[u8]) -> (Vec<Event>, Option<String>, Option<String>) {
    let text = String::from_utf8_lossy(stream);
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut line));
            }
            '\n' => lines.push(std::mem::take(&mut line)),
            c => line.push(c),
        }
    }
    let (mut events, mut data, mut event_type) = (Vec::new(), None::<String>, String::new());
    let (mut last_id, mut dispatched, mut retry, mut reconnect) = (None, None, None, None);
    for line in lines {
        if line.is_empty() {
            dispatched.clone_from(&last_id);
            if let Some(data) = data.take() {
                events.push(Event {
                    event: std::mem::take(&mut event_type),
                    data,
                    id: last_id.clone(),
                    retry: retry.take(),
                });
            }
            event_type.clear();
            retry = None;
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (
                name.to_owned(),
                value.strip_prefix(' ').unwrap_or(value).to_owned(),
            ),
            None => (line.clone(), String::new()),
        };
        match name.as_str() {
            "data" => {
                data = Some(match data.take() {
                    Some(mut so_far) => {
                        so_far.push('\n');
                        so_far.push_str(&value);
                        so_far
                    }
                    None => value,
                });
            }
            "event" => event_type = value,
            "id" if !value.contains('\0') => last_id = Some(value),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                let digits = value.trim_start_matches('0');
                let digits = if digits.is_empty() { "0" } else { digits };
                if digits.len() <= midstream_sse::MAX_RETRY_DIGITS {
                    retry = Some(digits.to_owned());
                    reconnect = Some(digits.to_owned());
                }
            }
            _ => {}
        }
    }
    (events, dispatched, reconnect)
}

fn decode(chunks: &[&[u8]]) -> (Vec<Event>, Option<String>, Option<String>) {
    let mut decoder = Decoder::new();
    let mut events = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk, &mut events);
    }
    decoder.finish();
    let id = decoder.last_event_id().map(str::to_owned);
    let retry = decoder.retry().map(str::to_owned);
    (events, id, retry)
}

fn split<'a>(stream: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut % (stream.len() + 1)).collect();
    cuts.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for cut in cuts {
        pieces.push(&stream[start..cut]);
        start = cut;
    }
    pieces.push(&stream[start..]);
    pieces
}

/// Streams made of the pieces that matter: field names, separators, every kind of line end, a BOM, multi-byte
/// and broken UTF-8, NULs.
fn streams() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(&b"data"[..]),
        Just(&b"event"[..]),
        Just(&b"id"[..]),
        Just(&b"retry"[..]),
        Just(&b":"[..]),
        Just(&b": "[..]),
        Just(&b" "[..]),
        Just(&b"\n"[..]),
        Just(&b"\r"[..]),
        Just(&b"\r\n"[..]),
        Just(&b"\n\n"[..]),
        Just(&b"\xef\xbb\xbf"[..]),
        Just(&b"\xe2\x82\xac"[..]),
        Just(&b"\xf0\x9f\x9a\x80"[..]),
        Just(&b"\xe2\x82"[..]),
        Just(&b"\xff"[..]),
        Just(&b"\xc0\xaf"[..]),
        Just(&b"\xed\xa0\x80"[..]),
        Just(&b"\0"[..]),
        Just(&b"007"[..]),
        Just(&b"42"[..]),
        Just(&b"x"[..]),
        Just(&b"{\"a\": 1}"[..]),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn whole_stream_matches_the_reference(stream in streams()) {
        prop_assert_eq!(decode(&[&stream]), reference(&stream));
    }

    #[test]
    fn every_chunking_gives_the_whole_streams_events(
        stream in streams(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        prop_assert_eq!(decode(&split(&stream, &cuts)), decode(&[&stream]));
    }

    #[test]
    fn a_closure_sees_what_a_vec_collects(stream in streams(), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        let mut decoder = Decoder::new();
        let mut seen = Vec::new();
        let mut sink = |event: midstream_sse::EventRef<'_>| seen.push(event.to_owned());
        for piece in split(&stream, &cuts) {
            decoder.feed(piece, &mut sink);
        }
        prop_assert_eq!(seen, decode(&[&stream]).0);
    }

    #[test]
    fn one_byte_at_a_time(stream in streams()) {
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        prop_assert_eq!(decode(&bytes), decode(&[&stream]));
    }

    #[test]
    fn text_cut_between_characters_gives_the_same_events(stream in streams(), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        let text = String::from_utf8_lossy(&stream).into_owned();
        let mut decoder = Decoder::new();
        let mut events = Vec::new();
        let boundaries: Vec<usize> = text.char_indices().map(|(at, _)| at).collect();
        let mut pieces = vec![0];
        for cut in cuts {
            if !boundaries.is_empty() {
                pieces.push(boundaries[cut % boundaries.len()]);
            }
        }
        pieces.push(text.len());
        pieces.sort_unstable();
        for pair in pieces.windows(2) {
            decoder.feed_str(&text[pair[0]..pair[1]], &mut events);
        }
        decoder.finish();
        // Decoding first replaces the broken bytes; the events are those of the replaced text.
        prop_assert_eq!(events, decode(&[text.as_bytes()]).0);
    }
}

#[test]
fn a_lone_cr_ends_its_line_at_once_and_a_split_crlf_is_one_line_end() {
    let mut decoder = Decoder::new();
    let mut events = Vec::new();
    decoder.feed(b"data: a\r", &mut events);
    assert!(events.is_empty());
    decoder.feed(b"\r", &mut events);
    assert_eq!(events.len(), 1); // not held back waiting for a possible LF
    decoder.feed(b"\n", &mut events); // the same line end as the CR before it
    decoder.feed(b"data: b\r", &mut events);
    decoder.feed(b"\n", &mut events);
    assert_eq!(events.len(), 1);
    decoder.feed(b"\n", &mut events);
    assert_eq!(events[1].data, "b");
}

#[test]
fn finish_keeps_what_a_reconnection_needs() {
    let mut decoder = Decoder::new();
    let mut events = Vec::new();
    decoder.feed(
        b"retry: 1500\nid: 1\ndata: a\n\nid: 2\ndata: b\n\xe2",
        &mut events,
    );
    assert_eq!(events.len(), 1);
    assert_eq!(
        (decoder.last_event_id(), decoder.retry()),
        (Some("1"), Some("1500"))
    );
    decoder.finish();
    decoder.feed(b"\xef\xbb\xbf\ndata: c\n\n", &mut events); // the BOM is dropped again
    assert_eq!(
        (events[1].data.as_str(), events[1].id.as_deref()),
        ("c", Some("1"))
    );
    assert_eq!(events[1].retry_ms(), None);
    assert_eq!(events[0].retry_ms(), Some(1500));
}

#[test]
fn bytes_cut_off_by_text_are_one_replacement_character() {
    let mut decoder = Decoder::new();
    let mut events = Vec::new();
    decoder.feed(b"data: \xe2\x82", &mut events);
    decoder.feed_str("x\n\n", &mut events);
    assert_eq!(events[0].data, "\u{FFFD}x");
}
