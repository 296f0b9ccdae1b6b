//! Throughput of the core parser, side by side with serde_json and jiter, on six deterministic workloads
//! generated here (the shapes of the Python bench suite): string-heavy (LLM-like prose), structured (the mixed
//! document of the design card's `workload.py`, the model of `midstream bench`'s `structured`), number-heavy, long-string (one ~1 MB string), deep (nested trees) and
//! wide (records of 40 fields).
//!
//! Run: `cargo bench -p midstream-core --bench throughput` (add a filter such as `-- deep/` for one workload).
//! Each workload is a criterion group with `Throughput::Bytes` (criterion prints MiB/s or GiB/s), benching:
//! - `midstream/whole`: one `feed` of the whole buffer, events to `IgnoreEvents` (validation only);
//! - `midstream/16B`: the same in 16-byte chunks;
//! - `midstream/Value`: `midstream_core::parse`, which also builds a `Value` tree;
//! - `serde_json/Value`: `serde_json::from_slice::<serde_json::Value>`;
//! - `jiter/JsonValue` and `jiter/JsonValue-partial`: `jiter::JsonValue::parse` (Rust API, no Python), the latter
//!   with `PartialMode::TrailingStrings` on the same complete buffer.
//!
//! Targets (README): >= 1 GB/s whole-buffer on string-heavy JSON, >= 500 MB/s in 16-byte chunks, >= 2x
//! serde_json's `Value` parse in the same run.
//!
//! Note: the dev-dependency serde_json has `arbitrary_precision` on (for exact comparisons in the tests), so its
//! numbers are parsed into strings; that slows its number-heavy case compared with a default build.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jiter::{JsonValue, PartialMode};
use midstream_core::{Event, IgnoreEvents, Parser, Reject, Sink};

// ---------------------------------------------------------------------------------------------------------------
// Deterministic workloads.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Words as they appear inside a JSON string (escapes already written out), mostly ASCII prose.
const PROSE: &[&str] = &[
    "the",
    "model",
    "returns",
    "a",
    "structured",
    "answer",
    "with",
    "several",
    "fields",
    "and",
    "long",
    "text",
    "that",
    "streams",
    "token",
    "by",
    "token",
    "over",
    "server-sent",
    "events",
    "so",
    "every",
    "chunk",
    "is",
    "small",
    "parser",
    "state",
    "machine",
    "resumes",
    "where",
    "it",
    "stopped",
    "values",
    "are",
    "complete",
    "only",
    "when",
    "proven",
    "notes",
    "ideas",
    "plans",
    "summary",
    "of",
    "the",
    "meeting",
    "in",
    "which",
    "we",
    "decided",
    "to",
    "ship",
    "on",
    "Tuesday",
    "because",
    "tests",
    "passed",
    "(mostly),",
    "see",
    "below:",
    "café",
    "naïve",
    "東京",
    "🚀",
    "\\\"quoted\\\"",
    "line\\nbreak",
    "tab\\there",
    "\\u00e9t\\u00e9",
    "C:\\\\path",
];

/// Words for the mixed workload, as in the design card's workload.py.
const WORDS: &[&str] = &[
    "note",
    "ninja",
    "capture",
    "ideas",
    "speed",
    "thought",
    "think",
    "ink",
    "where",
    "messy",
    "thoughts",
    "become",
    "organized",
    "plans",
    "brain",
    "dump",
    "pro",
    "second",
    "always",
    "ready",
    "snack",
    "healthy",
    "quick",
    "dinner",
    "recipe",
    "tomato",
    "basil",
    "garlic",
    "olive",
    "oil",
    "pasta",
    "simmer",
    "stir",
    "serve",
    "café",
    "naïve",
    "東京",
    "emoji",
    "🚀",
    "quote",
    "\\\"q\\\"",
    "backslash",
    "\\\\",
    "tab\\t",
    "newline\\n",
];

fn sentence(rng: &mut Rng, words: &[&str], n: u64, out: &mut String) {
    for k in 0..n {
        if k > 0 {
            out.push(' ');
        }
        out.push_str(rng.pick(words));
    }
}

/// A list of chat-like messages with long prose strings: ~90% of the bytes are string content.
fn string_heavy(target: usize) -> Vec<u8> {
    let mut rng = Rng(1);
    let mut out = String::from("{\"messages\": [\n");
    let mut id = 0;
    while out.len() < target {
        if id > 0 {
            out.push_str(",\n");
        }
        out.push_str(&format!(
            "  {{\"id\": {id}, \"role\": \"assistant\", \"title\": \""
        ));
        sentence(&mut rng, PROSE, 6, &mut out);
        out.push_str("\", \"content\": \"");
        let words = 80 + rng.below(400);
        sentence(&mut rng, PROSE, words, &mut out);
        out.push_str("\", \"tags\": [\"");
        sentence(&mut rng, PROSE, 1, &mut out);
        out.push_str("\", \"");
        sentence(&mut rng, PROSE, 1, &mut out);
        out.push_str("\"]}");
        id += 1;
    }
    out.push_str("\n]}");
    out.into_bytes()
}

/// An array of numbers: integers, negatives, decimals, exponents, big integers.
fn number_heavy(target: usize) -> Vec<u8> {
    let mut rng = Rng(2);
    let mut out = String::from("[");
    let mut first = true;
    while out.len() < target {
        if !first {
            out.push_str(", ");
        }
        first = false;
        let n = rng.next();
        match n % 6 {
            0 => out.push_str(&(n % 1000).to_string()),
            1 => out.push_str(&format!("-{}", n % 1_000_000)),
            2 => out.push_str(&format!("{}.{:03}", n % 10_000, (n >> 20) % 1000)),
            3 => out.push_str(&format!("{:e}", (n % 1_000_000) as f64 / 7.0)),
            4 => out.push_str(&format!(
                "-{}.{}e-{}",
                n % 10,
                (n >> 8) % 100_000,
                (n >> 30) % 300
            )),
            _ => out.push_str(&format!("{n}{}", n % 1000)),
        }
    }
    out.push(']');
    out.into_bytes()
}

/// The mixed ("structured") document of the design card's workload.py: `{"items": [item, ...]}`.
fn mixed(n_items: u64) -> Vec<u8> {
    let mut rng = Rng(3);
    let mut out = String::from("{\"items\": [");
    for i in 0..n_items {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&format!("{{\"id\": {i}, \"title\": \""));
        sentence(&mut rng, WORDS, 3, &mut out);
        out.push_str("\", \"blurb\": \"");
        let words = 8 + rng.below(13);
        sentence(&mut rng, WORDS, words, &mut out);
        out.push_str(&format!(
            "\", \"score\": {:.3}, \"tags\": [",
            rng.below(100_000) as f64 / 1000.0
        ));
        for t in 0..1 + rng.below(5) {
            if t > 0 {
                out.push_str(", ");
            }
            out.push('"');
            out.push_str(rng.pick(WORDS));
            out.push('"');
        }
        out.push_str(&format!(
            "], \"active\": {}, \"owner\": {{\"name\": \"",
            rng.below(2) == 0
        ));
        sentence(&mut rng, WORDS, 2, &mut out);
        let email = if rng.below(10) < 3 {
            "null"
        } else {
            "\"a@b.c\""
        };
        let level = ["low", "mid", "high"][rng.below(3) as usize];
        out.push_str(&format!(
            "\", \"email\": {email}, \"level\": \"{level}\"}}}}"
        ));
    }
    out.push_str("]}");
    out.into_bytes()
}

/// One object whose one field is a single long string of prose (escapes and multibyte UTF-8 included).
fn long_string(target: usize) -> Vec<u8> {
    let mut rng = Rng(4);
    let mut out = String::from("{\"text\": \"");
    while out.len() < target {
        sentence(&mut rng, PROSE, 64, &mut out);
        out.push(' ');
    }
    out.push_str("\"}");
    out.into_bytes()
}

/// Nodes per chain in the deep workload. Each node nests an object and an array, so the deepest leaf sits at
/// depth 2 + 2 * 48 + 2 = 100: within serde_json's recursion limit (128), jiter's (200) and ours (512).
const CHAIN_NODES: u32 = 48;

/// Writes `{"name": ..., "weight": ..., "children": [` (the caller closes it with `]}`).
fn open_node(rng: &mut Rng, out: &mut String) {
    out.push_str("{\"name\": \"");
    sentence(rng, WORDS, 2, out);
    out.push_str(&format!(
        "\", \"weight\": {:.2}, \"children\": [",
        rng.below(10_000) as f64 / 100.0
    ));
}

/// Repeated trees, each a chain of `CHAIN_NODES` nodes whose children are a leaf and the next node.
fn deep(target: usize) -> Vec<u8> {
    let mut rng = Rng(5);
    let mut out = String::from("{\"trees\": [");
    let mut first = true;
    while out.len() < target {
        if !first {
            out.push_str(",\n");
        }
        first = false;
        for level in 0..CHAIN_NODES {
            open_node(&mut rng, &mut out);
            open_node(&mut rng, &mut out);
            out.push_str("]}");
            if level + 1 < CHAIN_NODES {
                out.push_str(", ");
            }
        }
        for _ in 0..CHAIN_NODES {
            out.push_str("]}");
        }
    }
    out.push_str("]}");
    out.into_bytes()
}

/// Writes `"<prefix>_<k>": value`, the value's type chosen by `k` so that every record has the same shape.
fn field(rng: &mut Rng, prefix: &str, k: u64, out: &mut String) {
    out.push_str(&format!("\"{prefix}_{k:02}\": "));
    match k % 7 {
        0 => {
            out.push('"');
            let words = 1 + rng.below(4);
            sentence(rng, WORDS, words, out);
            out.push('"');
        }
        1 => out.push_str(&rng.below(1_000_000).to_string()),
        2 => out.push_str(&format!("{:.4}", rng.below(10_000_000) as f64 / 1000.0)),
        3 => out.push_str(if rng.below(2) == 0 { "true" } else { "false" }),
        4 => {
            if rng.below(4) == 0 {
                out.push_str("null");
            } else {
                out.push_str(&format!(
                    "\"2026-{:02}-{:02}\"",
                    1 + rng.below(12),
                    1 + rng.below(28)
                ));
            }
        }
        5 => {
            out.push('[');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&rng.below(1000).to_string());
            }
            out.push(']');
        }
        _ => {
            out.push('"');
            let words = 5 + rng.below(11);
            sentence(rng, WORDS, words, out);
            out.push('"');
        }
    }
}

/// `{"records": [record, ...]}`, each record with 40 fields: an id, 37 scalars and small arrays, and two nested
/// objects of 10 fields each.
fn wide(target: usize) -> Vec<u8> {
    let mut rng = Rng(6);
    let mut out = String::from("{\"records\": [");
    let mut id = 0;
    while out.len() < target {
        if id > 0 {
            out.push_str(",\n");
        }
        out.push_str(&format!("{{\"id\": {id}"));
        for k in 1..38 {
            out.push_str(", ");
            field(&mut rng, "field", k, &mut out);
        }
        for name in ["meta", "stats"] {
            out.push_str(&format!(", \"{name}\": {{"));
            for k in 0..10 {
                if k > 0 {
                    out.push_str(", ");
                }
                field(&mut rng, name, k, &mut out);
            }
            out.push('}');
        }
        out.push('}');
        id += 1;
    }
    out.push_str("]}");
    out.into_bytes()
}

// ---------------------------------------------------------------------------------------------------------------
// Sinks and runners.

/// Consumes every event: counts them and sums the text bytes (which chunking must not change).
#[derive(Default)]
struct Count {
    events: u64,
    text: u64,
}

impl Sink for Count {
    fn event(&mut self, event: Event<'_>) -> Result<(), Reject> {
        self.events += 1;
        match event {
            Event::Fragment(text) => self.text += text.len() as u64,
            Event::Number(number) => self.text += number.text.len() as u64,
            _ => {}
        }
        Ok(())
    }
}

fn parse_whole<S: Sink>(input: &[u8], sink: &mut S) {
    let mut parser = Parser::new();
    parser.feed(input, sink).expect("valid");
    parser.finish(sink).expect("complete");
}

fn parse_chunks<S: Sink>(input: &[u8], chunk: usize, sink: &mut S) {
    let mut parser = Parser::new();
    for piece in input.chunks(chunk) {
        parser.feed(piece, sink).expect("valid");
    }
    parser.finish(sink).expect("complete");
}

fn bench_workload(c: &mut Criterion, name: &str, input: &[u8]) {
    // Sanity: the workload is valid JSON to every parser, and chunking does not change the text.
    serde_json::from_slice::<serde_json::Value>(input).expect("serde_json parses the workload");
    JsonValue::parse(input, false).expect("jiter parses the workload");
    midstream_core::parse(input).expect("midstream parses the workload");
    let mut whole = Count::default();
    parse_whole(input, &mut whole);
    let mut chunked = Count::default();
    parse_chunks(input, 16, &mut chunked);
    assert_eq!(
        whole.text, chunked.text,
        "same text however the input is chunked"
    );
    eprintln!("{name}: {} bytes, {} events", input.len(), whole.events);

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("midstream/whole", |b| {
        b.iter(|| parse_whole(black_box(input), &mut IgnoreEvents))
    });
    group.bench_function("midstream/16B", |b| {
        b.iter(|| parse_chunks(black_box(input), 16, &mut IgnoreEvents))
    });
    group.bench_function("midstream/Value", |b| {
        b.iter(|| midstream_core::parse(black_box(input)).expect("valid"))
    });
    group.bench_function("serde_json/Value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(input)).expect("valid"))
    });
    group.bench_function("jiter/JsonValue", |b| {
        b.iter(|| JsonValue::parse(black_box(input), false).expect("valid"))
    });
    group.bench_function("jiter/JsonValue-partial", |b| {
        b.iter(|| {
            JsonValue::parse_with_config(black_box(input), false, PartialMode::TrailingStrings)
                .expect("valid")
        })
    });
    group.finish();
}

fn throughput(c: &mut Criterion) {
    bench_workload(c, "string-heavy", &string_heavy(2 << 20));
    bench_workload(c, "structured", &mixed(2000));
    bench_workload(c, "number-heavy", &number_heavy(1 << 20));
    bench_workload(c, "long-string", &long_string(1 << 20));
    bench_workload(c, "deep", &deep(1 << 20));
    bench_workload(c, "wide", &wide(1 << 20));
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = throughput
}
criterion_main!(benches);
