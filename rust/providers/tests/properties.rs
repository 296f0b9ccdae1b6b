//! Every recorded provider stream read from its raw SSE bytes: the same updates however the bytes are cut, the same
//! updates as its events' payloads read one by one, and the answer's text as the payloads hold it. Arbitrary bytes
//! never panic the reader.

use std::fs;
use std::path::{Path, PathBuf};

use midstream_providers::{Provider, Reader, Update};
use proptest::prelude::*;

/// `tests/data/streams` of the repository (the recordings the Python tests use, with their licence).
fn streams_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/streams")
}

/// A recording: its provider, its events as (SSE event type, data), and the SSE bytes that carry them.
struct Recording {
    name: String,
    provider: Provider,
    events: Vec<(Option<String>, String)>,
    body: Vec<u8>,
}

fn provider_of(name: &str) -> Provider {
    if name.starts_with("anthropic") {
        Provider::Anthropic
    } else if name.starts_with("google") {
        Provider::Gemini
    } else if name.starts_with("openai") || name.starts_with("parallel-tool-call-wrapper") {
        Provider::OpenAIResponses
    } else {
        Provider::OpenAIChat
    }
}

/// The `"type"` of a payload, read without parsing (some recorded payloads are cut short).
fn type_of(data: &str) -> Option<String> {
    let rest = data.strip_prefix("{\"type\":\"")?;
    Some(rest[..rest.find('"')?].to_string())
}

fn recordings() -> Vec<Recording> {
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = ["openai-chat", "vercel-ai"]
        .iter()
        .flat_map(|folder| fs::read_dir(streams_dir().join(folder)).expect("recordings"))
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("sse" | "jsonl")
            )
        })
        .collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(&path).expect("utf-8 recording");
        let (provider, events): (Provider, Vec<(Option<String>, String)>) =
            if name.ends_with(".sse") {
                let events = text
                    .lines()
                    .filter_map(|line| line.strip_prefix("data: "))
                    .map(|data| (None, data.to_string()))
                    .collect();
                (Provider::OpenAIChat, events)
            } else {
                let provider = provider_of(&name);
                let typed = matches!(provider, Provider::Anthropic | Provider::OpenAIResponses);
                let events = text
                    .lines()
                    .filter(|line| !line.trim().is_empty())
                    .map(|line| (if typed { type_of(line) } else { None }, line.to_string()))
                    .collect();
                (provider, events)
            };
        let body = if name.ends_with(".sse") {
            text.into_bytes()
        } else {
            framed(&events)
        };
        out.push(Recording {
            name,
            provider,
            events,
            body,
        });
    }
    assert!(
        out.len() >= 20,
        "the recordings are missing: {}",
        streams_dir().display()
    );
    out
}

fn framed(events: &[(Option<String>, String)]) -> Vec<u8> {
    let mut body = String::new();
    for (kind, data) in events {
        if let Some(kind) = kind {
            body.push_str(&format!("event: {kind}\n"));
        }
        body.push_str(&format!("data: {data}\n\n"));
    }
    body.into_bytes()
}

fn read_cut(provider: Provider, body: &[u8], cuts: &[usize]) -> Vec<Update> {
    let mut reader = Reader::new(provider);
    let mut out = Vec::new();
    let mut at = 0;
    for &cut in cuts {
        let end = cut.clamp(at, body.len());
        reader.feed(&body[at..end], &mut out);
        at = end;
    }
    reader.feed(&body[at..], &mut out);
    reader.finish(&mut out);
    out
}

fn read_payloads(recording: &Recording) -> Vec<Update> {
    let mut reader = Reader::new(recording.provider);
    let mut out = Vec::new();
    for (kind, data) in &recording.events {
        reader.payload(data, kind.as_deref(), &mut out);
    }
    out
}

/// The text of choice 0's content, and of each tool call's arguments, as the updates give them.
fn outputs(updates: &[Update]) -> (String, Vec<String>) {
    let mut content = String::new();
    let mut calls: Vec<String> = Vec::new();
    for update in updates {
        match update {
            Update::Text { choice: 0, text } => content.push_str(text),
            Update::ToolCall {
                choice: 0,
                index,
                arguments,
                ..
            } => {
                if calls.len() <= *index {
                    calls.resize(index + 1, String::new());
                }
                calls[*index].push_str(arguments);
            }
            _ => {}
        }
    }
    (content, calls)
}

#[test]
fn raw_bytes_read_as_the_payloads_one_by_one() {
    for recording in recordings() {
        let whole = read_cut(recording.provider, &recording.body, &[]);
        assert_eq!(whole, read_payloads(&recording), "{}", recording.name);
        let byte_by_byte: Vec<usize> = (1..recording.body.len()).collect();
        assert_eq!(
            whole,
            read_cut(recording.provider, &recording.body, &byte_by_byte),
            "{}: byte by byte",
            recording.name
        );
    }
}

#[test]
fn the_answers_are_in_the_updates() {
    let recordings = recordings();
    let find = |name: &str| recordings.iter().find(|r| r.name == name).expect(name);
    // Known answers of a few recordings, written out from the files.
    let weather = find("json-schema-content.sse");
    let (content, calls) = outputs(&read_cut(weather.provider, &weather.body, &[]));
    assert!(
        content.starts_with('{') && content.ends_with('}'),
        "{content}"
    );
    assert!(calls.is_empty());
    let parallel = find("parallel-tool-calls.sse");
    let (_, calls) = outputs(&read_cut(parallel.provider, &parallel.body, &[]));
    assert!(
        calls.len() >= 2 && calls.iter().all(|c| c.starts_with('{') && c.ends_with('}')),
        "{calls:?}"
    );
    let anthropic = find("anthropic-json-tool.1.jsonl");
    let updates = read_cut(anthropic.provider, &anthropic.body, &[]);
    assert!(updates.iter().any(|u| matches!(
        u,
        Update::ToolCall {
            id: Some(_),
            name: Some(_),
            ..
        }
    )));
    assert!(updates
        .iter()
        .any(|u| matches!(u, Update::Finished { reason: Some(r), .. } if r == "tool_use")));
    let error = find("openai-error.1.jsonl");
    let updates = read_cut(error.provider, &error.body, &[]);
    assert!(
        updates.iter().any(|u| matches!(u, Update::Error { .. })),
        "{updates:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_cutting_gives_the_same_updates(pick in 0usize..64, mut cuts in proptest::collection::vec(0usize..100_000, 0..40)) {
        let recordings = recordings();
        let recording = &recordings[pick % recordings.len()];
        let whole = read_cut(recording.provider, &recording.body, &[]);
        let len = recording.body.len();
        for cut in &mut cuts {
            *cut %= len + 1;
        }
        cuts.sort_unstable();
        prop_assert_eq!(whole, read_cut(recording.provider, &recording.body, &cuts), "{}", &recording.name);
    }

    #[test]
    fn arbitrary_bytes_do_not_panic(provider in 0usize..4, body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut reader = Reader::new(Provider::ALL[provider]);
        let mut out = Vec::new();
        reader.feed(&body, &mut out);
        reader.finish(&mut out);
    }

    #[test]
    fn arbitrary_json_events_do_not_panic(provider in 0usize..4, data in "\\{(\"[a-z_]{1,12}\": ?(\"[a-z_ ]{0,8}\"|[0-9]{1,3}|null|true|\\[\\]|\\{\\}), ?){0,6}\"type\": \"[a-z_.]{0,30}\"\\}") {
        let mut reader = Reader::new(Provider::ALL[provider]);
        let mut out = Vec::new();
        reader.payload(&data, None, &mut out);
        reader.feed(format!("data: {data}\n\n").as_bytes(), &mut out);
    }
}
