//! Shared helpers for the integration tests and the cargo-fuzz harness (`rust/core/fuzz` includes this file with
//! `#[path]`): feed a document under many chunkings, record a chunking-independent view of the events, check the
//! event grammar and the partial-value contract after every chunk, and compare values with serde_json exactly.
//!
//! Needs only `midstream-core` and serde_json (with `arbitrary_precision`). Nothing here recurses on the depth of
//! the input: values are walked, hashed, compared and normalised with explicit stacks, so a deeply nested
//! document cannot overflow the stack of a test or of the fuzzer.
//!
//! Not every user includes every helper.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

use midstream_core::{
    Error, ErrorKind, Event, IgnoreEvents, Options, Parser, Reject, ScalarKind, Sink, Value,
    ValueBuilder,
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

/// The cuts that feed chunks of the given sizes in turn until the input runs out (the cargo-fuzz layout); a size
/// of 0 feeds an empty chunk. `sizes` must hold a non-zero size.
pub fn cuts_from_sizes(len: usize, sizes: &[usize]) -> Vec<usize> {
    assert!(
        sizes.iter().any(|&s| s > 0),
        "chunk sizes without a non-zero size"
    );
    let mut cuts = Vec::new();
    let mut at = 0;
    for &size in sizes.iter().cycle() {
        at = (at + size).min(len);
        if at >= len {
            break;
        }
        cuts.push(at);
    }
    cuts
}

/// The chunks between the cuts (non-decreasing; a repeated cut feeds an empty chunk).
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

/// Records events (merged), checks their grammar as they arrive, and feeds a [`ValueBuilder`].
///
/// The grammar: strings are `Begin…`, non-empty fragments and lone surrogates (`0xD800..=0xDFFF`), then the
/// matching `End…`; every `Begin(kind)` is followed by a value of that kind before anything else; end events
/// close the matching kind of container; keys only inside objects; `Number` text is a JSON number (or `NaN`,
/// `Infinity`, `-Infinity`) and its `is_integer` is right.
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    pub events: Vec<Ev>,
    pub builder: ValueBuilder,
    pub fragments: usize,
    pub lone_surrogates: usize,
    /// The deepest nesting of containers seen.
    pub max_depth: usize,
    /// Some object repeated a key (which legitimately breaks the partial-value contract).
    pub duplicate_keys: bool,
    /// Some number was `NaN` or an infinity.
    pub non_finite: bool,
    /// The open containers: the keys seen so far for an object, `None` for an array.
    open: Vec<Option<HashSet<Vec<u16>>>>,
    /// The key being read, if any.
    key: Option<Vec<u16>>,
    in_text: bool,
    /// A `Begin(kind)` whose value has not arrived yet.
    pending: Option<ScalarKind>,
}

impl Recorder {
    fn push_text(&mut self, units: &[u16]) {
        assert!(
            self.in_text,
            "text outside a key or string: {:?}",
            self.events
        );
        if let Some(key) = &mut self.key {
            key.extend_from_slice(units);
        }
        if let Some(Ev::Text(text)) = self.events.last_mut() {
            text.extend_from_slice(units);
        } else {
            self.events.push(Ev::Text(units.to_vec()));
        }
    }

    fn value_event(&mut self, kind: ScalarKind, event: Ev) {
        assert_eq!(
            self.pending.take(),
            Some(kind),
            "{event:?} without its Begin"
        );
        self.events.push(event);
    }

    /// A copy without the event record (cheap enough to take at every byte), for finishing a copy of the parser.
    pub fn fork(&self) -> Recorder {
        Recorder {
            events: Vec::new(),
            builder: self.builder.clone(),
            fragments: self.fragments,
            lone_surrogates: self.lone_surrogates,
            max_depth: self.max_depth,
            duplicate_keys: self.duplicate_keys,
            non_finite: self.non_finite,
            open: self.open.clone(),
            key: self.key.clone(),
            in_text: self.in_text,
            pending: self.pending,
        }
    }

    /// Open containers (objects and arrays).
    pub fn depth(&self) -> usize {
        self.open.len()
    }
}

impl Sink for Recorder {
    fn event(&mut self, event: Event<'_>) -> Result<(), Reject> {
        if !matches!(event, Event::Number(_) | Event::Bool(_) | Event::Null) {
            assert_eq!(self.pending, None, "{event:?} while a scalar is open");
        }
        if !matches!(
            event,
            Event::Fragment(_) | Event::LoneSurrogate(_) | Event::EndKey | Event::EndString
        ) {
            assert!(!self.in_text, "{event:?} inside a string");
        }
        match event {
            Event::BeginObject | Event::BeginArray => {
                let object = event == Event::BeginObject;
                self.open.push(object.then(HashSet::new));
                self.max_depth = self.max_depth.max(self.open.len());
                self.events.push(if object {
                    Ev::BeginObject
                } else {
                    Ev::BeginArray
                });
            }
            Event::EndObject | Event::EndArray => {
                let object = event == Event::EndObject;
                let top = self
                    .open
                    .pop()
                    .expect("an end event without an open container");
                assert_eq!(
                    top.is_some(),
                    object,
                    "{event:?} closes the wrong kind of container"
                );
                self.events
                    .push(if object { Ev::EndObject } else { Ev::EndArray });
            }
            Event::BeginKey => {
                assert!(
                    matches!(self.open.last(), Some(Some(_))),
                    "a key outside an object"
                );
                self.in_text = true;
                self.key = Some(Vec::new());
                self.events.push(Ev::BeginKey);
            }
            Event::BeginString => {
                self.in_text = true;
                self.events.push(Ev::BeginString);
            }
            Event::EndKey => {
                assert!(self.in_text && self.key.is_some(), "EndKey outside a key");
                self.in_text = false;
                let key = self.key.take().unwrap_or_default();
                if let Some(Some(keys)) = self.open.last_mut() {
                    if !keys.insert(key) {
                        self.duplicate_keys = true;
                    }
                }
                self.events.push(Ev::EndKey);
            }
            Event::EndString => {
                assert!(
                    self.in_text && self.key.is_none(),
                    "EndString outside a string"
                );
                self.in_text = false;
                self.events.push(Ev::EndString);
            }
            Event::Fragment(text) => {
                assert!(!text.is_empty(), "empty fragment");
                self.fragments += 1;
                let units: Vec<u16> = text.encode_utf16().collect();
                self.push_text(&units);
            }
            Event::LoneSurrogate(unit) => {
                assert!(
                    (0xD800..=0xDFFF).contains(&unit),
                    "LoneSurrogate({unit:#X}) is not a surrogate"
                );
                self.lone_surrogates += 1;
                self.push_text(&[unit]);
            }
            Event::Begin(kind) => {
                self.pending = Some(kind);
                self.events.push(Ev::Begin(kind));
            }
            Event::Number(number) => {
                let text = number.text;
                let finite = !matches!(text, "NaN" | "Infinity" | "-Infinity");
                self.non_finite |= !finite;
                let int = finite && !text.contains(['.', 'e', 'E']);
                assert_eq!(number.is_integer, int, "is_integer of {text:?}");
                if finite {
                    assert!(
                        serde_json::from_str::<serde_json::Number>(text).is_ok(),
                        "Number({text:?}) is not a JSON number"
                    );
                }
                self.value_event(ScalarKind::Number, Ev::Number(text.to_owned(), int));
            }
            Event::Bool(b) => self.value_event(ScalarKind::Bool, Ev::Bool(b)),
            Event::Null => self.value_event(ScalarKind::Null, Ev::Null),
        }
        self.builder.event(event)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// One run of the parser over one chunking.

/// What the parser had reported after `fed` bytes, compactly: the events are append-only (only a trailing
/// `Text` grows), so with the final event lists equal, their count and the trailing text's length pin the prefix;
/// then the state queries; the partial value (when tracked) is kept as a hash (see [`value_hash`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub fed: usize,
    pub events: usize,
    pub trailing_text: usize,
    pub depth: usize,
    pub root_complete: bool,
    pub root_pending: bool,
    pub awaiting_value: bool,
    pub partial: Option<u64>,
}

impl Snapshot {
    fn take(fed: usize, parser: &Parser, sink: &Recorder, partial: Option<&Option<Value>>) -> Self {
        let trailing_text = match sink.events.last() {
            Some(Ev::Text(text)) => text.len(),
            _ => 0,
        };
        assert_eq!(
            parser.depth(),
            sink.depth(),
            "depth() disagrees with the events"
        );
        Snapshot {
            fed,
            events: sink.events.len(),
            trailing_text,
            depth: parser.depth(),
            root_complete: parser.is_root_complete(),
            root_pending: parser.is_root_pending(),
            awaiting_value: parser.is_awaiting_value(),
            partial: partial.map(|value| value_hash(value.as_ref())),
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
    pub max_depth: usize,
    pub duplicate_keys: bool,
    pub non_finite: bool,
}

impl Run {
    /// A run from what its recorder saw.
    pub fn new(
        sink: Recorder,
        result: Result<(), Error>,
        value: Option<Value>,
        snapshots: Vec<Snapshot>,
    ) -> Run {
        Run {
            events: sink.events,
            result,
            value,
            snapshots,
            lone_surrogates: sink.lone_surrogates,
            max_depth: sink.max_depth,
            duplicate_keys: sink.duplicate_keys,
            non_finite: sink.non_finite,
        }
    }

    pub fn error(&self) -> Option<&Error> {
        self.result.as_ref().err()
    }
}

/// Feed `input` cut at `cuts`, then finish, recording the events and the state queries after every chunk
/// (checking `offset()` and `depth()`). With `track`, also take a partial value after every chunk and check that
/// each one refines the one before it (the partial-value contract; skipped once an object repeats a key, which
/// legitimately breaks it) and that a complete root already has its value. Always checks that errors are sticky
/// and where they point, and that a finished parser refuses more input.
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
    snapshots.push(Snapshot::take(0, &parser, &sink, track.then_some(&None)));
    for chunk in chunks(input, cuts) {
        result = parser.feed(chunk, &mut sink);
        if result.is_err() {
            break;
        }
        fed += chunk.len();
        assert_eq!(parser.offset(), fed as u64, "offset()");
        if track {
            let partial = sink.builder.partial();
            if !sink.duplicate_keys {
                if let Err(why) = refines(previous.as_ref(), partial.as_ref()) {
                    panic!(
                        "partial value after {fed} bytes of {} does not refine the previous one: {why}",
                        show(input)
                    );
                }
            }
            if parser.is_root_complete() {
                assert!(partial.is_some(), "a complete root has a value");
                assert!(
                    sink.builder.clone().into_value().is_some(),
                    "a complete root is built"
                );
            }
            snapshots.push(Snapshot::take(fed, &parser, &sink, Some(&partial)));
            previous = partial;
        } else {
            snapshots.push(Snapshot::take(fed, &parser, &sink, None));
        }
    }
    if result.is_ok() {
        result = parser.finish(&mut sink);
    }
    match &result {
        Ok(()) => {
            assert!(
                parser.is_root_complete(),
                "finished but the root is not complete"
            );
            assert_eq!(parser.finish(&mut sink), Ok(()), "finish after finish");
            let again = parser
                .feed(b" ", &mut sink)
                .expect_err("feed after finish must fail");
            assert_eq!(again.kind, ErrorKind::Finished);
            assert_eq!(again.offset, input.len() as u64);
            assert!(parser.feed(b"", &mut IgnoreEvents).is_err());
        }
        Err(error) => {
            assert_ne!(error.kind, ErrorKind::Finished);
            assert_eq!(parser.error(), Some(error), "the parser keeps its error");
            for more in [&b"["[..], b"]", b""] {
                assert_eq!(
                    parser.feed(more, &mut sink).as_ref(),
                    Err(error),
                    "errors are sticky (feed {more:?})"
                );
            }
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
    if track && !sink.duplicate_keys {
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
            assert!(
                values_equal(partial.as_ref(), value.as_ref()),
                "partial() of a finished document is its value"
            );
            value
        }
        Err(_) => None,
    };
    Run::new(sink, result, value, snapshots)
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
    assert!(
        values_equal(expected.value.as_ref(), actual.value.as_ref()),
        "value differs: {}",
        ctx()
    );
}

/// Every snapshot of `actual` (taken after `n` bytes) must equal the byte-by-byte snapshot after `n` bytes:
/// what the parser has reported depends only on the bytes fed, never on where they were cut. (The final event
/// lists are compared separately, so equal counts mean equal events.) The partial values' hashes are compared
/// when both runs tracked them.
pub fn assert_same_snapshots(by_byte: &Run, actual: &Run, input: &[u8]) {
    for snapshot in &actual.snapshots {
        let Some(reference) = by_byte.snapshots.get(snapshot.fed) else {
            panic!(
                "a run fed {} bytes of {} without error, the byte-by-byte run failed earlier",
                snapshot.fed,
                show(input)
            );
        };
        assert_eq!(reference.fed, snapshot.fed);
        let reference = Snapshot {
            partial: snapshot.partial.and(reference.partial),
            ..*reference
        };
        let snapshot = Snapshot {
            partial: reference.partial.and(snapshot.partial),
            ..*snapshot
        };
        assert_eq!(
            snapshot,
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
// Values, refined, compared and hashed with explicit stacks.

/// `Ok` if `next` refines `prev` (the partial-value contract between consecutive snapshots): everything finished
/// is unchanged (numbers, booleans and nulls never change, keys never vanish or change, containers never shrink or
/// change kind), the one open value at the end of each open container may only grow (strings by appending,
/// containers by refining their last member and adding more).
pub fn refines(prev: Option<&Value>, next: Option<&Value>) -> Result<(), String> {
    match (prev, next) {
        (None, _) => Ok(()),
        (Some(p), None) => Err(format!("{} vanished", short(p))),
        (Some(p), Some(n)) => walk(true, p, n),
    }
}

/// One step of the path to a place in a value, for messages.
#[derive(Clone, Copy)]
enum Step<'a> {
    Root,
    Index(usize),
    Key(&'a str),
}

/// The path to the place being visited by a depth-first walk with an explicit stack: the walk pops an entry at
/// depth `d` only after every entry pushed after its parent, so `trail[..d]` still holds its ancestors.
#[derive(Default)]
struct Trail<'a>(Vec<Step<'a>>);

impl<'a> Trail<'a> {
    fn enter(&mut self, depth: usize, step: Step<'a>) {
        self.0.truncate(depth);
        self.0.push(step);
    }

    /// `what` at the current place, prefixed with its path (`[3]["key"]: …`) unless it is the root.
    fn at(&self, what: String) -> String {
        let mut path = String::new();
        for step in &self.0 {
            match step {
                Step::Root => {}
                Step::Index(k) => path.push_str(&format!("[{k}]")),
                Step::Key(key) => path.push_str(&format!("[{key:?}]")),
            }
        }
        if path.is_empty() {
            what
        } else {
            format!("{path}: {what}")
        }
    }
}

/// With `refine`, [`refines`]; without, equality (no recursion, unlike the derived `PartialEq`). Errors name the
/// path to the difference.
fn walk(refine: bool, prev: &Value, next: &Value) -> Result<(), String> {
    // (refine, depth, step, prev, next): `refine == false` means the two must be equal.
    let mut stack = vec![(refine, 0, Step::Root, prev, next)];
    let mut trail = Trail::default();
    while let Some((refine, depth, step, p, n)) = stack.pop() {
        trail.enter(depth, step);
        match (p, n) {
            (Value::String(p), Value::String(n)) if refine => {
                if !n.starts_with(p.as_str()) {
                    return Err(trail.at(format!("string {p:?} became {n:?}, not an extension")));
                }
            }
            (Value::Array(p), Value::Array(n)) => {
                sizes(refine, "items", p.len(), n.len()).map_err(|e| trail.at(e))?;
                for (k, (pi, ni)) in p.iter().zip(n).enumerate() {
                    stack.push((
                        refine && k + 1 == p.len(),
                        depth + 1,
                        Step::Index(k),
                        pi,
                        ni,
                    ));
                }
            }
            (Value::Object(p), Value::Object(n)) => {
                sizes(refine, "members", p.len(), n.len()).map_err(|e| trail.at(e))?;
                for (k, ((pk, pv), (nk, nv))) in p.iter().zip(n).enumerate() {
                    if pk != nk {
                        return Err(trail.at(format!("key {pk:?} became {nk:?}")));
                    }
                    stack.push((refine && k + 1 == p.len(), depth + 1, Step::Key(pk), pv, nv));
                }
            }
            (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => {
                return Err(trail.at(format!("{} changed to {}", short(p), short(n))))
            }
            (p, n) if p == n => {}
            (p, n) => return Err(trail.at(format!("{p:?} changed to {n:?}"))),
        }
    }
    Ok(())
}

/// A container of `prev` members may become one of `next` members: never fewer, and as many unless refining.
fn sizes(refine: bool, what: &str, prev: usize, next: usize) -> Result<(), String> {
    if prev > next || (!refine && prev != next) {
        Err(format!("{prev} {what} became {next} {what}"))
    } else {
        Ok(())
    }
}

/// Equality of two optional values, without recursion.
pub fn values_equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => walk(false, a, b).is_ok(),
        _ => false,
    }
}

/// A hash of an optional value (equal values hash equal), without recursion.
pub fn value_hash(value: Option<&Value>) -> u64 {
    enum Item<'a> {
        Key(&'a str),
        Value(&'a Value),
    }
    let mut hasher = DefaultHasher::new();
    let mut stack: Vec<Item<'_>> = value.map(Item::Value).into_iter().collect();
    value.is_some().hash(&mut hasher);
    while let Some(item) = stack.pop() {
        match item {
            Item::Key(key) => (0u8, key).hash(&mut hasher),
            Item::Value(Value::Null) => 1u8.hash(&mut hasher),
            Item::Value(Value::Bool(b)) => (2u8, b).hash(&mut hasher),
            Item::Value(Value::Number(text)) => (3u8, text).hash(&mut hasher),
            Item::Value(Value::String(text)) => (4u8, text).hash(&mut hasher),
            Item::Value(Value::Array(items)) => {
                (5u8, items.len()).hash(&mut hasher);
                stack.extend(items.iter().rev().map(Item::Value));
            }
            Item::Value(Value::Object(members)) => {
                (6u8, members.len()).hash(&mut hasher);
                for (key, value) in members.iter().rev() {
                    stack.push(Item::Value(value));
                    stack.push(Item::Key(key));
                }
            }
        }
    }
    hasher.finish()
}

/// A value for messages: containers by size only (their debug form would recurse).
pub fn short(value: &Value) -> String {
    match value {
        Value::Array(items) => format!("array of {}", items.len()),
        Value::Object(members) => format!("object of {}", members.len()),
        scalar => format!("{scalar:?}"),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing values with serde_json, exactly.

/// A representation-independent JSON value: objects as maps (last duplicate wins, as both parsers do), numbers
/// as exact decimals. Built, compared ([`norm_diff`]) and dropped without recursion.
#[derive(Debug, Clone)]
pub enum Norm {
    Null,
    Bool(bool),
    Number(Decimal),
    String(String),
    Array(Vec<Norm>),
    Object(BTreeMap<String, Norm>),
}

impl PartialEq for Norm {
    fn eq(&self, other: &Norm) -> bool {
        norm_diff(self, other).is_ok()
    }
}

impl Drop for Norm {
    fn drop(&mut self) {
        // Move the children out onto a stack, so that dropping them never recurses.
        let mut stack = Vec::new();
        let take = |norm: &mut Norm, stack: &mut Vec<Norm>| match norm {
            Norm::Array(items) => stack.append(items),
            Norm::Object(members) => stack.extend(std::mem::take(members).into_values()),
            _ => {}
        };
        take(self, &mut stack);
        while let Some(mut norm) = stack.pop() {
            take(&mut norm, &mut stack);
        }
    }
}

/// `Ok` if the two are equal, else where they first differ (scalars and container sizes shown).
pub fn norm_diff(a: &Norm, b: &Norm) -> Result<(), String> {
    let short = |n: &Norm| match n {
        Norm::Array(items) => format!("array of {}", items.len()),
        Norm::Object(members) => format!("object of {}", members.len()),
        scalar => format!("{scalar:?}"),
    };
    let mut stack = vec![(0, Step::Root, a, b)];
    let mut trail = Trail::default();
    while let Some((depth, step, a, b)) = stack.pop() {
        trail.enter(depth, step);
        match (a, b) {
            (Norm::Null, Norm::Null) => {}
            (Norm::Bool(x), Norm::Bool(y)) if x == y => {}
            (Norm::Number(x), Norm::Number(y)) if x == y => {}
            (Norm::String(x), Norm::String(y)) if x == y => {}
            (Norm::Array(x), Norm::Array(y)) if x.len() == y.len() => {
                for (k, (x, y)) in x.iter().zip(y).enumerate() {
                    stack.push((depth + 1, Step::Index(k), x, y));
                }
            }
            (Norm::Object(x), Norm::Object(y)) if x.len() == y.len() => {
                for ((kx, x), (ky, y)) in x.iter().zip(y) {
                    if kx != ky {
                        return Err(trail.at(format!("key {kx:?} vs {ky:?}")));
                    }
                    stack.push((depth + 1, Step::Key(kx), x, y));
                }
            }
            (a, b) => return Err(trail.at(format!("{} vs {}", short(a), short(b)))),
        }
    }
    Ok(())
}

/// An exact decimal `(-1)^negative × 0.digits × 10^exponent`, digits without leading or trailing zeros (none for
/// zero, whose exponent is 0; `-0` differs from `0`). An exponent beyond `i128` (only in absurd inputs like
/// `1e999…9`) is kept exactly as its normalised text plus the shift the mantissa adds to it.
#[derive(Debug, Clone, PartialEq)]
pub enum Decimal {
    Exact {
        negative: bool,
        digits: String,
        exponent: i128,
    },
    Huge {
        negative: bool,
        digits: String,
        /// The written exponent: sign (`-` or none) and digits without leading zeros.
        exponent: String,
        shift: i128,
    },
}

/// The exact decimal value of a JSON number's text. serde_json's `arbitrary_precision` mostly keeps a number's
/// text as written, but not always (it writes `0e1` as `0e+1`), hence texts are compared as decimals.
pub fn decimal(text: &str) -> Decimal {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exp) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.strip_prefix('+').unwrap_or(e)),
        None => (rest, "0"),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_matches('0').to_owned();
    if digits.is_empty() {
        return Decimal::Exact {
            negative,
            digits,
            exponent: 0,
        };
    }
    let shift = int.len() as i128 - leading as i128;
    match exp.parse::<i128>().ok().and_then(|e| e.checked_add(shift)) {
        Some(exponent) => Decimal::Exact {
            negative,
            digits,
            exponent,
        },
        None => {
            let (sign, magnitude) = match exp.strip_prefix('-') {
                Some(m) => ("-", m),
                None => ("", exp),
            };
            Decimal::Huge {
                negative,
                digits,
                exponent: format!("{sign}{}", magnitude.trim_start_matches('0')),
                shift,
            }
        }
    }
}

/// The children of a value, for [`normalise`].
enum View<'a, T> {
    Leaf(Norm),
    Array(Vec<&'a T>),
    Object(Vec<(&'a str, &'a T)>),
}

/// Build the [`Norm`] of a tree with an explicit stack.
fn normalise<'a, T>(root: &'a T, view: impl Fn(&'a T) -> View<'a, T>) -> Norm {
    enum Step<'a, T> {
        Enter(&'a T),
        Array(usize),
        Object(Vec<&'a str>),
    }
    let mut todo = vec![Step::Enter(root)];
    let mut done: Vec<Norm> = Vec::new();
    while let Some(step) = todo.pop() {
        match step {
            Step::Enter(value) => match view(value) {
                View::Leaf(norm) => done.push(norm),
                View::Array(items) => {
                    todo.push(Step::Array(items.len()));
                    todo.extend(items.into_iter().rev().map(Step::Enter));
                }
                View::Object(members) => {
                    todo.push(Step::Object(members.iter().map(|(k, _)| *k).collect()));
                    todo.extend(members.into_iter().rev().map(|(_, v)| Step::Enter(v)));
                }
            },
            Step::Array(len) => {
                let items = done.split_off(done.len() - len);
                done.push(Norm::Array(items));
            }
            Step::Object(keys) => {
                let values = done.split_off(done.len() - keys.len());
                // Collecting into the map keeps the last of repeated keys.
                let map = keys.into_iter().map(str::to_owned).zip(values).collect();
                done.push(Norm::Object(map));
            }
        }
    }
    done.pop().expect("one normalised value")
}

pub fn norm_ours(value: &Value) -> Norm {
    normalise(value, |value| match value {
        Value::Null => View::Leaf(Norm::Null),
        Value::Bool(b) => View::Leaf(Norm::Bool(*b)),
        Value::Number(text) => View::Leaf(Norm::Number(decimal(text))),
        Value::String(s) => View::Leaf(Norm::String(s.clone())),
        Value::Array(items) => View::Array(items.iter().collect()),
        Value::Object(members) => {
            View::Object(members.iter().map(|(k, v)| (k.as_str(), v)).collect())
        }
    })
}

pub fn norm_serde(value: &serde_json::Value) -> Norm {
    use serde_json::Value as J;
    normalise(value, |value| match value {
        J::Null => View::Leaf(Norm::Null),
        J::Bool(b) => View::Leaf(Norm::Bool(*b)),
        J::Number(n) => View::Leaf(Norm::Number(decimal(n.as_str()))),
        J::String(s) => View::Leaf(Norm::String(s.clone())),
        J::Array(items) => View::Array(items.iter().collect()),
        J::Object(map) => View::Object(map.iter().map(|(k, v)| (k.as_str(), v)).collect()),
    })
}
