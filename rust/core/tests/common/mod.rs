//! Shared helpers for the integration tests: feed a document under many chunkings, record a chunking-independent
//! view of the events, check the partial-value contract after every chunk, and compare values with serde_json.
//!
//! Not every test binary uses every helper.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

use midstream_core::{
    Error, ErrorKind, Event, Options, Parser, Reject, ScalarKind, Sink, Value, ValueBuilder,
};

// ---------------------------------------------------------------------------------------------------------------
// Deterministic pseudo-random numbers (SplitMix64): no `rand` crate, reproducible from a seed.

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    pub fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        self.next_u64() % denominator < numerator
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.range(0, items.len() - 1)]
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Chunkings, as the sorted cut positions strictly inside the input.

pub fn whole() -> Vec<usize> {
    Vec::new()
}

pub fn byte_by_byte(len: usize) -> Vec<usize> {
    (1..len).collect()
}

/// Random chunk sizes in `1..=max_chunk`.
pub fn random_cuts(len: usize, rng: &mut Rng, max_chunk: usize) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut at = 0;
    loop {
        at += rng.range(1, max_chunk);
        if at >= len {
            return cuts;
        }
        cuts.push(at);
    }
}

pub fn chunks<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts {
        out.push(&input[start..cut]);
        start = cut;
    }
    out.push(&input[start..]);
    out
}

// ---------------------------------------------------------------------------------------------------------------
// A chunking-independent record of the events: consecutive text pieces of a string are merged.

#[derive(Clone, PartialEq)]
pub enum Ev {
    BeginObject,
    EndObject,
    BeginArray,
    EndArray,
    BeginKey,
    EndKey,
    BeginString,
    EndString,
    /// Concatenated fragments and lone surrogates, as UTF-16 code units (lossless).
    Text(Vec<u16>),
    Begin(ScalarKind),
    Number(String, bool),
    Bool(bool),
    Null,
}

impl fmt::Debug for Ev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ev::Text(units) => {
                let mut shown = String::new();
                for c in char::decode_utf16(units.iter().copied()) {
                    match c {
                        Ok(c) => shown.push(c),
                        Err(lone) => {
                            shown.push_str(&format!("\\u{{{:04X}}}", lone.unpaired_surrogate()))
                        }
                    }
                }
                write!(f, "Text({shown:?})")
            }
            Ev::BeginObject => write!(f, "BeginObject"),
            Ev::EndObject => write!(f, "EndObject"),
            Ev::BeginArray => write!(f, "BeginArray"),
            Ev::EndArray => write!(f, "EndArray"),
            Ev::BeginKey => write!(f, "BeginKey"),
            Ev::EndKey => write!(f, "EndKey"),
            Ev::BeginString => write!(f, "BeginString"),
            Ev::EndString => write!(f, "EndString"),
            Ev::Begin(kind) => write!(f, "Begin({kind:?})"),
            Ev::Number(text, int) => write!(f, "Number({text:?}, int={int})"),
            Ev::Bool(b) => write!(f, "Bool({b})"),
            Ev::Null => write!(f, "Null"),
        }
    }
}

/// Records events (merged) and feeds a [`ValueBuilder`], checking the event grammar as it goes.
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    pub events: Vec<Ev>,
    pub builder: ValueBuilder,
    pub fragments: usize,
    pub lone_surrogates: usize,
    in_text: bool,
}

impl Recorder {
    fn push_text(&mut self, units: impl IntoIterator<Item = u16>) {
        assert!(
            self.in_text,
            "text outside a key or string: {:?}",
            self.events
        );
        if let Some(Ev::Text(text)) = self.events.last_mut() {
            text.extend(units);
        } else {
            self.events.push(Ev::Text(units.into_iter().collect()));
        }
    }
}

impl Sink for Recorder {
    fn event(&mut self, event: Event<'_>) -> Result<(), Reject> {
        match event {
            Event::BeginObject => self.events.push(Ev::BeginObject),
            Event::EndObject => self.events.push(Ev::EndObject),
            Event::BeginArray => self.events.push(Ev::BeginArray),
            Event::EndArray => self.events.push(Ev::EndArray),
            Event::BeginKey | Event::BeginString => {
                assert!(!self.in_text, "string begins inside a string");
                self.in_text = true;
                self.events.push(if event == Event::BeginKey {
                    Ev::BeginKey
                } else {
                    Ev::BeginString
                });
            }
            Event::EndKey | Event::EndString => {
                assert!(self.in_text, "string ends outside a string");
                self.in_text = false;
                self.events.push(if event == Event::EndKey {
                    Ev::EndKey
                } else {
                    Ev::EndString
                });
            }
            Event::Fragment(text) => {
                assert!(!text.is_empty(), "empty fragment");
                self.fragments += 1;
                self.push_text(text.encode_utf16().collect::<Vec<_>>());
            }
            Event::LoneSurrogate(unit) => {
                assert!(
                    (0xD800..=0xDFFF).contains(&unit),
                    "LoneSurrogate({unit:#X}) is not a surrogate"
                );
                self.lone_surrogates += 1;
                self.push_text([unit]);
            }
            Event::Begin(kind) => self.events.push(Ev::Begin(kind)),
            Event::Number(number) => {
                let int = !number.text.contains(['.', 'e', 'E'])
                    && !number.text.contains("Infinity")
                    && number.text != "NaN";
                assert_eq!(number.is_integer, int, "is_integer of {:?}", number.text);
                self.events
                    .push(Ev::Number(number.text.to_owned(), number.is_integer));
            }
            Event::Bool(b) => self.events.push(Ev::Bool(b)),
            Event::Null => self.events.push(Ev::Null),
        }
        self.builder.event(event)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// One run of the parser over one chunking.

/// What the parser had reported after `fed` bytes, compactly: the events are append-only (only a trailing
/// `Text` grows), so with the final event lists equal, their count and the trailing text's length pin the prefix;
/// the partial value is kept as a hash of its debug form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub fed: usize,
    pub events: usize,
    pub trailing_text: usize,
    pub partial: Option<u64>,
}

impl Snapshot {
    fn take(fed: usize, events: &[Ev], partial: Option<&Option<Value>>) -> Self {
        let trailing_text = match events.last() {
            Some(Ev::Text(text)) => text.len(),
            _ => 0,
        };
        let partial = partial.map(|value| {
            let mut hasher = DefaultHasher::new();
            format!("{value:?}").hash(&mut hasher);
            hasher.finish()
        });
        Snapshot {
            fed,
            events: events.len(),
            trailing_text,
            partial,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Run {
    pub events: Vec<Ev>,
    pub result: Result<(), Error>,
    /// The finished value (only when `result` is `Ok`).
    pub value: Option<Value>,
    /// After each successfully fed chunk, and before the first.
    pub snapshots: Vec<Snapshot>,
    pub lone_surrogates: usize,
}

impl Run {
    pub fn error(&self) -> Option<&Error> {
        self.result.as_ref().err()
    }
}

/// Feed `input` cut at `cuts`, then finish, recording the events after every chunk. With `track`, also take a
/// partial value after every chunk and check that each one refines the one before it (the partial-value
/// contract; documents with duplicate keys legitimately break it). Always checks that errors are sticky and that
/// a finished parser refuses more input.
pub fn run(input: &[u8], cuts: &[usize], options: &Options, track: bool) -> Run {
    let mut parser = Parser::with_options(options.clone());
    let mut sink = Recorder::default();
    let mut snapshots = Vec::new();
    let mut previous: Option<Value> = None;
    let mut fed = 0;
    let mut result = Ok(());
    assert_eq!(
        sink.builder.partial(),
        None,
        "partial value before any input"
    );
    snapshots.push(Snapshot::take(0, &[], track.then_some(&None)));
    for chunk in chunks(input, cuts) {
        result = parser.feed(chunk, &mut sink);
        if result.is_err() {
            break;
        }
        fed += chunk.len();
        assert_eq!(parser.offset(), fed as u64);
        if track {
            let partial = sink.builder.partial();
            if let Err(why) = refines(previous.as_ref(), partial.as_ref()) {
                panic!(
                    "partial value after {fed} bytes of {} does not refine the previous one: {why}\n before: {previous:?}\n after:  {partial:?}",
                    show(input)
                );
            }
            snapshots.push(Snapshot::take(fed, &sink.events, Some(&partial)));
            previous = partial;
        } else {
            snapshots.push(Snapshot::take(fed, &sink.events, None));
        }
    }
    if result.is_ok() {
        result = parser.finish(&mut sink);
    }
    match &result {
        Ok(()) => {
            assert!(parser.is_root_complete());
            assert_eq!(parser.finish(&mut sink), Ok(()), "finish after finish");
            let again = parser
                .feed(b" ", &mut sink)
                .expect_err("feed after finish must fail");
            assert_eq!(again.kind, ErrorKind::Finished);
            assert_eq!(again.offset, input.len() as u64);
            assert!(parser.feed(b"", &mut IgnoreAll).is_err());
        }
        Err(error) => {
            assert_ne!(error.kind, ErrorKind::Finished);
            assert_eq!(parser.error(), Some(error), "the parser keeps its error");
            assert_eq!(
                parser.feed(b"[", &mut sink).as_ref(),
                Err(error),
                "errors are sticky (feed)"
            );
            assert_eq!(
                parser.feed(b"", &mut sink).as_ref(),
                Err(error),
                "errors are sticky (empty feed)"
            );
            assert_eq!(
                parser.finish(&mut sink).as_ref(),
                Err(error),
                "errors are sticky (finish)"
            );
            assert!(
                error.offset <= input.len() as u64,
                "offset {} past the input",
                error.offset
            );
            if error.is_incomplete() {
                assert_eq!(
                    error.offset,
                    input.len() as u64,
                    "Incomplete is at the end of the input"
                );
            } else {
                assert!(
                    error.offset < input.len() as u64,
                    "a syntax error points at a byte of the input"
                );
            }
            check_line_column(input, error);
        }
    }
    let partial = sink.builder.partial();
    if track {
        if let Err(why) = refines(previous.as_ref(), partial.as_ref()) {
            panic!(
                "partial value at the end of {} does not refine the previous one: {why}",
                show(input)
            );
        }
    }
    let value = match result {
        Ok(()) => {
            let value = sink.builder.clone().into_value();
            assert!(value.is_some(), "a finished document has a value");
            assert_eq!(
                partial, value,
                "partial() of a finished document is its value"
            );
            value
        }
        Err(_) => None,
    };
    Run {
        events: sink.events,
        result,
        value,
        snapshots,
        lone_surrogates: sink.lone_surrogates,
    }
}

struct IgnoreAll;

impl Sink for IgnoreAll {
    fn event(&mut self, _: Event<'_>) -> Result<(), Reject> {
        Ok(())
    }
}

/// `line` and `column` must agree with the offset: 1-based, column in bytes from the last `\n`.
pub fn check_line_column(input: &[u8], error: &Error) {
    let before = &input[..error.offset as usize];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count() as u64;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1) as u64;
    assert_eq!(
        (error.line, error.column),
        (line, error.offset - line_start + 1),
        "line/column of {error:?} in {}",
        show(input)
    );
}

pub fn show(input: &[u8]) -> String {
    if input.len() > 300 {
        format!(
            "{:?}... ({} bytes)",
            String::from_utf8_lossy(&input[..300]),
            input.len()
        )
    } else {
        format!("{:?}", String::from_utf8_lossy(input))
    }
}

/// Two runs over different chunkings must be indistinguishable: same events, outcome and value.
pub fn assert_same_run(expected: &Run, actual: &Run, input: &[u8], cuts: &[usize]) {
    let ctx = || format!("input {} cut at {cuts:?}", show(input));
    assert_eq!(expected.result, actual.result, "outcome differs: {}", ctx());
    assert_eq!(expected.events, actual.events, "events differ: {}", ctx());
    assert_eq!(expected.value, actual.value, "value differs: {}", ctx());
}

/// Every snapshot of `actual` (taken after `n` bytes) must equal the byte-by-byte snapshot after `n` bytes:
/// what the parser has reported depends only on the bytes fed, never on where they were cut. (The final event
/// lists are compared separately, so equal counts mean equal events.)
pub fn assert_same_snapshots(by_byte: &Run, actual: &Run, input: &[u8]) {
    for snapshot in &actual.snapshots {
        let reference = by_byte.snapshots[snapshot.fed];
        assert_eq!(reference.fed, snapshot.fed);
        assert_eq!(
            *snapshot,
            reference,
            "after {} bytes of {}, what was reported depends on chunking",
            snapshot.fed,
            show(input)
        );
    }
}

/// How thoroughly [`check_chunkings`] cuts the input.
#[derive(Debug, Clone, Copy)]
pub struct Thoroughness {
    /// Cut at every single position (two chunks).
    pub every_cut: bool,
    /// Cut at every pair of positions (three chunks): quadratic, for short inputs.
    pub every_pair: bool,
    /// Number of random chunkings (chunk sizes 1..=8 and 1..=64 alternately).
    pub random: usize,
    pub seed: u64,
    /// Check the partial value after every chunk.
    pub partials: bool,
}

pub const EXHAUSTIVE: Thoroughness = Thoroughness {
    every_cut: true,
    every_pair: true,
    random: 8,
    seed: 7,
    partials: true,
};

/// Feed `input` whole, byte by byte and under the chunkings of `how`; assert every run is identical, that the
/// state after `n` bytes never depends on the chunking, and that partial values only ever refine. Returns the
/// whole-buffer run.
pub fn check_chunkings(input: &[u8], options: &Options, how: Thoroughness) -> Run {
    let reference = run(input, &whole(), options, how.partials);
    let by_byte = run(input, &byte_by_byte(input.len()), options, how.partials);
    assert_same_run(&reference, &by_byte, input, &byte_by_byte(input.len()));
    assert_same_snapshots(&by_byte, &reference, input);
    let check = |cuts: Vec<usize>| {
        let other = run(input, &cuts, options, how.partials);
        assert_same_run(&reference, &other, input, &cuts);
        assert_same_snapshots(&by_byte, &other, input);
    };
    if how.every_cut {
        for cut in 1..input.len() {
            check(vec![cut]);
        }
    }
    if how.every_pair {
        for a in 1..input.len() {
            for b in a + 1..input.len() {
                check(vec![a, b]);
            }
        }
    }
    let mut rng = Rng::new(how.seed);
    for k in 0..how.random {
        let max = if k % 2 == 0 { 8 } else { 64 };
        check(random_cuts(input.len(), &mut rng, max));
    }
    reference
}

// ---------------------------------------------------------------------------------------------------------------
// The partial-value contract as a relation between consecutive snapshots.

/// `Ok` if `next` refines `prev`: everything finished is unchanged, the one open value at the end of each open
/// container may only grow (strings by appending, containers by refining their last member and adding more).
pub fn refines(prev: Option<&Value>, next: Option<&Value>) -> Result<(), String> {
    match (prev, next) {
        (None, _) => Ok(()),
        (Some(p), None) => Err(format!("{p:?} vanished")),
        (Some(p), Some(n)) => refines_value(p, n),
    }
}

fn refines_value(prev: &Value, next: &Value) -> Result<(), String> {
    match (prev, next) {
        (Value::String(p), Value::String(n)) => {
            if n.starts_with(p.as_str()) {
                Ok(())
            } else {
                Err(format!("string {p:?} became {n:?}, not an extension"))
            }
        }
        (Value::Array(p), Value::Array(n)) => {
            if p.len() > n.len() {
                return Err(format!(
                    "array shrank from {} to {} items",
                    p.len(),
                    n.len()
                ));
            }
            let Some((last, done)) = p.split_last() else {
                return Ok(());
            };
            for (k, item) in done.iter().enumerate() {
                if *item != n[k] {
                    return Err(format!(
                        "finished item {k} changed from {item:?} to {:?}",
                        n[k]
                    ));
                }
            }
            refines_value(last, &n[done.len()]).map_err(|e| format!("[{}]: {e}", done.len()))
        }
        (Value::Object(p), Value::Object(n)) => {
            if p.len() > n.len() {
                return Err(format!(
                    "object shrank from {} to {} members",
                    p.len(),
                    n.len()
                ));
            }
            let Some((last, done)) = p.split_last() else {
                return Ok(());
            };
            for (k, member) in done.iter().enumerate() {
                if *member != n[k] {
                    return Err(format!("finished member {member:?} changed to {:?}", n[k]));
                }
            }
            let other = &n[done.len()];
            if last.0 != other.0 {
                return Err(format!("key {:?} became {:?}", last.0, other.0));
            }
            refines_value(&last.1, &other.1).map_err(|e| format!("[{:?}]: {e}", last.0))
        }
        (p, n) if p == n => Ok(()),
        (p, n) => Err(format!("{p:?} changed to {n:?}")),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing values with serde_json, exactly.

/// A representation-independent JSON value: objects as maps (last duplicate wins, as both parsers do), numbers
/// as exact decimals.
#[derive(Debug, Clone, PartialEq)]
pub enum Norm {
    Null,
    Bool(bool),
    Number(Decimal),
    String(String),
    Array(Vec<Norm>),
    Object(BTreeMap<String, Norm>),
}

/// An exact decimal `(-1)^negative × 0.digits × 10^exponent`, digits without leading or trailing zeros, or a
/// float when the exponent does not fit an `i64` (only in absurd inputs like `1e999…9`).
#[derive(Debug, Clone, PartialEq)]
pub enum Decimal {
    Exact {
        negative: bool,
        digits: String,
        exponent: i64,
    },
    Huge(f64),
}

pub fn decimal(text: &str) -> Decimal {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(k) => (&rest[..k], &rest[k + 1..]),
        None => (rest, "0"),
    };
    let Ok(exp) = exp.strip_prefix('+').unwrap_or(exp).parse::<i64>() else {
        return Decimal::Huge(text.parse::<f64>().expect("a JSON number parses as f64"));
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = format!("{int}{frac}");
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0').to_owned();
    if digits.is_empty() {
        return Decimal::Exact {
            negative,
            digits,
            exponent: 0,
        };
    }
    let exponent = exp + int.len() as i64 - leading as i64;
    Decimal::Exact {
        negative,
        digits,
        exponent,
    }
}

pub fn norm_ours(value: &Value) -> Norm {
    match value {
        Value::Null => Norm::Null,
        Value::Bool(b) => Norm::Bool(*b),
        Value::Number(text) => Norm::Number(decimal(text)),
        Value::String(s) => Norm::String(s.clone()),
        Value::Array(items) => Norm::Array(items.iter().map(norm_ours).collect()),
        Value::Object(members) => {
            let mut map = BTreeMap::new();
            for (k, v) in members {
                map.insert(k.clone(), norm_ours(v));
            }
            Norm::Object(map)
        }
    }
}

pub fn norm_serde(value: &serde_json::Value) -> Norm {
    match value {
        serde_json::Value::Null => Norm::Null,
        serde_json::Value::Bool(b) => Norm::Bool(*b),
        serde_json::Value::Number(n) => Norm::Number(decimal(n.as_str())),
        serde_json::Value::String(s) => Norm::String(s.clone()),
        serde_json::Value::Array(items) => Norm::Array(items.iter().map(norm_serde).collect()),
        serde_json::Value::Object(map) => Norm::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), norm_serde(v)))
                .collect(),
        ),
    }
}
