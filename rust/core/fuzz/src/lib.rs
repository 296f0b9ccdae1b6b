//! The checks behind the fuzz targets of `midstream-core` (docs/fuzzing.md).
//!
//! Nothing here recurses on the depth of the input: values are compared and walked with explicit stacks, so a
//! deeply nested document cannot overflow the harness's stack before it finds a bug in the parser.

use std::collections::HashSet;

use midstream_core::{
    Error, ErrorKind, Event, IgnoreEvents, Options, Parser, Reject, ScalarKind, Sink, Value,
    ValueBuilder,
};

/// serde_json refuses documents nested deeper than 128 containers ("recursion limit exceeded"); our default limit
/// is 512. Beyond this depth the two verdicts are not compared.
const SERDE_DEPTH: usize = 127;

/// The key serde_json's `arbitrary_precision` uses internally to carry a number through an object.
const SERDE_TOKEN: &[u8] = b"$serde_json::private::Number";

// -------------------------------------------------------------------------------------------------------------
// A chunking-independent record of the events.

/// One event, with consecutive string pieces (fragments and lone surrogates) merged into one `Text` of UTF-16
/// code units, so that the record does not depend on where the input was cut.
#[derive(Debug, Clone, PartialEq)]
pub enum Ev {
    BeginObject,
    EndObject,
    BeginArray,
    EndArray,
    BeginKey,
    EndKey,
    BeginString,
    EndString,
    Text(Vec<u16>),
    Begin(ScalarKind),
    Number(String, bool),
    Bool(bool),
    Null,
}

/// Records the events, checks their grammar as they arrive, and feeds a [`ValueBuilder`].
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    pub events: Vec<Ev>,
    pub builder: ValueBuilder,
    /// The open containers: the keys seen so far for an object, `None` for an array.
    open: Vec<Option<HashSet<Vec<u16>>>>,
    /// The key being read, if any.
    key: Option<Vec<u16>>,
    in_text: bool,
    /// A `Begin(kind)` whose value has not arrived yet.
    pending: Option<ScalarKind>,
    pub max_depth: usize,
    pub lone_surrogates: usize,
    pub duplicate_keys: bool,
    pub non_finite: bool,
}

impl Recorder {
    fn text(&mut self, units: &[u16]) {
        assert!(self.in_text, "text outside a key or string");
        if let Some(key) = &mut self.key {
            key.extend_from_slice(units);
        }
        match self.events.last_mut() {
            Some(Ev::Text(text)) => text.extend_from_slice(units),
            _ => self.events.push(Ev::Text(units.to_vec())),
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
            open: self.open.clone(),
            key: self.key.clone(),
            in_text: self.in_text,
            pending: self.pending,
            max_depth: self.max_depth,
            lone_surrogates: self.lone_surrogates,
            duplicate_keys: self.duplicate_keys,
            non_finite: self.non_finite,
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
                assert!(!text.is_empty(), "an empty fragment");
                let units: Vec<u16> = text.encode_utf16().collect();
                self.text(&units);
            }
            Event::LoneSurrogate(unit) => {
                assert!(
                    (0xD800..=0xDFFF).contains(&unit),
                    "LoneSurrogate({unit:#X})"
                );
                self.lone_surrogates += 1;
                self.text(&[unit]);
            }
            Event::Begin(kind) => {
                self.pending = Some(kind);
                self.events.push(Ev::Begin(kind));
            }
            Event::Number(number) => {
                let text = number.text;
                let finite = !matches!(text, "NaN" | "Infinity" | "-Infinity");
                self.non_finite |= !finite;
                let integer = finite && !text.contains(['.', 'e', 'E']);
                assert_eq!(number.is_integer, integer, "is_integer of {text:?}");
                if finite {
                    assert!(
                        serde_json::from_str::<serde_json::Number>(text).is_ok(),
                        "Number({text:?}) is not a JSON number"
                    );
                }
                self.value_event(ScalarKind::Number, Ev::Number(text.to_owned(), integer));
            }
            Event::Bool(b) => self.value_event(ScalarKind::Bool, Ev::Bool(b)),
            Event::Null => self.value_event(ScalarKind::Null, Ev::Null),
        }
        self.builder.event(event)
    }
}

// -------------------------------------------------------------------------------------------------------------
// Runs.

/// What the parser reports between two chunks, compactly: events are append-only except that the trailing
/// `Text` grows, so (event count, trailing text length) pins the event prefix once the final lists are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snap {
    pub events: usize,
    pub trailing_text: usize,
    pub depth: usize,
    pub root_complete: bool,
    pub root_pending: bool,
    pub awaiting_value: bool,
}

fn snap(parser: &Parser, recorder: &Recorder) -> Snap {
    let trailing_text = match recorder.events.last() {
        Some(Ev::Text(text)) => text.len(),
        _ => 0,
    };
    assert_eq!(
        parser.depth(),
        recorder.depth(),
        "depth() disagrees with the events"
    );
    Snap {
        events: recorder.events.len(),
        trailing_text,
        depth: parser.depth(),
        root_complete: parser.is_root_complete(),
        root_pending: parser.is_root_pending(),
        awaiting_value: parser.is_awaiting_value(),
    }
}

#[derive(Debug)]
pub struct Run {
    pub recorder: Recorder,
    pub result: Result<(), Error>,
    pub value: Option<Value>,
    /// `(bytes fed, snapshot)` before the first chunk and after every chunk fed without error.
    pub snaps: Vec<(usize, Snap)>,
}

/// How a run cuts its input.
pub enum Cuts<'a> {
    Whole,
    ByteByByte,
    /// Chunk sizes, used in turn until the input runs out; 0 feeds an empty chunk.
    Sizes(&'a [usize]),
}

fn chunk_list<'a>(doc: &'a [u8], cuts: &Cuts<'_>) -> Vec<&'a [u8]> {
    match cuts {
        Cuts::Whole => vec![doc],
        Cuts::ByteByByte => doc.chunks(1).collect(),
        Cuts::Sizes(sizes) => {
            let mut out = Vec::new();
            let mut at = 0;
            let mut k = 0;
            // Every cycle through the sizes makes progress (`sizes` holds a non-zero size).
            while at < doc.len() {
                let size = sizes[k % sizes.len()];
                k += 1;
                let end = (at + size).min(doc.len());
                out.push(&doc[at..end]);
                at = end;
            }
            out
        }
    }
}

/// Feed `doc` in the chunks of `cuts`, then finish. With `partials`, check after every chunk that the partial
/// value refines the one before (the partial-value contract) and that a complete root is the final value.
/// Always checks sticky errors, refusal after finish, and the error position's invariants.
pub fn run(doc: &[u8], cuts: &Cuts<'_>, options: &Options, partials: bool) -> Run {
    let mut parser = Parser::with_options(options.clone());
    let mut recorder = Recorder::default();
    let mut snaps = vec![(0, snap(&parser, &recorder))];
    let mut previous: Option<Value> = None;
    let mut result = Ok(());
    let mut fed = 0;
    for chunk in chunk_list(doc, cuts) {
        result = parser.feed(chunk, &mut recorder);
        if result.is_err() {
            break;
        }
        fed += chunk.len();
        assert_eq!(parser.offset(), fed as u64, "offset()");
        snaps.push((fed, snap(&parser, &recorder)));
        if partials {
            let partial = recorder.builder.partial();
            if !recorder.duplicate_keys {
                if let Err(why) = refines(previous.as_ref(), partial.as_ref()) {
                    panic!("partial after {fed} bytes does not refine the previous one: {why}");
                }
            }
            if parser.is_root_complete() {
                assert!(partial.is_some(), "a complete root has a value");
                assert!(
                    recorder.builder.clone().into_value().is_some(),
                    "a complete root is built"
                );
            }
            previous = partial;
        }
    }
    if result.is_ok() {
        result = parser.finish(&mut recorder);
    }
    let mut value = None;
    match &result {
        Ok(()) => {
            assert!(
                parser.is_root_complete(),
                "finished but the root is not complete"
            );
            assert_eq!(parser.finish(&mut recorder), Ok(()), "finish after finish");
            let refused = parser
                .feed(b" ", &mut recorder)
                .expect_err("feed after finish");
            assert_eq!(refused.kind, ErrorKind::Finished);
            assert_eq!(refused.offset, doc.len() as u64);
            let built = recorder.builder.clone().into_value();
            assert!(built.is_some(), "a finished document has a value");
            assert!(
                values_equal(recorder.builder.partial().as_ref(), built.as_ref()),
                "partial() != value"
            );
            if partials && !recorder.duplicate_keys {
                if let Err(why) = refines(previous.as_ref(), built.as_ref()) {
                    panic!("the final value does not refine the last partial: {why}");
                }
            }
            value = built;
        }
        Err(error) => {
            assert_ne!(error.kind, ErrorKind::Finished);
            assert_eq!(parser.error(), Some(error), "error() keeps the error");
            assert_eq!(
                parser.feed(b"]", &mut recorder).as_ref(),
                Err(error),
                "sticky error (feed)"
            );
            assert_eq!(
                parser.finish(&mut recorder).as_ref(),
                Err(error),
                "sticky error (finish)"
            );
            if error.is_incomplete() {
                assert_eq!(
                    error.offset,
                    doc.len() as u64,
                    "Incomplete is at the end of the input"
                );
            } else {
                assert!(
                    error.offset < doc.len() as u64,
                    "a syntax error points at a byte of the input"
                );
            }
            check_line_column(doc, error);
        }
    }
    Run {
        recorder,
        result,
        value,
        snaps,
    }
}

fn check_line_column(doc: &[u8], error: &Error) {
    let before = &doc[..error.offset as usize];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count() as u64;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1) as u64;
    assert_eq!(
        (error.line, error.column),
        (line, error.offset - line_start + 1),
        "line/column of {error:?}"
    );
}

// -------------------------------------------------------------------------------------------------------------
// Values, compared and refined with explicit stacks.

/// `Ok` if `next` refines `prev`: finished values unchanged (numbers never change, keys never vanish), the last
/// member of each open container refined in turn, strings only extended.
pub fn refines(prev: Option<&Value>, next: Option<&Value>) -> Result<(), String> {
    let (prev, next) = match (prev, next) {
        (None, _) => return Ok(()),
        (Some(p), None) => return Err(format!("{} vanished", short(p))),
        (Some(p), Some(n)) => (p, n),
    };
    walk(true, prev, next)
}

/// With `refine`, [`refines`]; without, equality (no recursion, unlike the derived `PartialEq`).
fn walk(refine: bool, prev: &Value, next: &Value) -> Result<(), String> {
    // (refine, prev, next): `refine == false` means the two must be equal.
    let mut stack = vec![(refine, prev, next)];
    while let Some((refine, p, n)) = stack.pop() {
        match (p, n) {
            (Value::String(p), Value::String(n)) if refine => {
                if !n.starts_with(p.as_str()) {
                    return Err(format!("string {p:?} became {n:?}"));
                }
            }
            (Value::Array(p), Value::Array(n)) => {
                if p.len() > n.len() || (!refine && p.len() != n.len()) {
                    return Err(format!(
                        "array of {} items became {} items",
                        p.len(),
                        n.len()
                    ));
                }
                for (k, (pi, ni)) in p.iter().zip(n).enumerate() {
                    stack.push((refine && k + 1 == p.len(), pi, ni));
                }
            }
            (Value::Object(p), Value::Object(n)) => {
                if p.len() > n.len() || (!refine && p.len() != n.len()) {
                    return Err(format!(
                        "object of {} members became {} members",
                        p.len(),
                        n.len()
                    ));
                }
                for (k, ((pk, pv), (nk, nv))) in p.iter().zip(n).enumerate() {
                    if pk != nk {
                        return Err(format!("key {pk:?} became {nk:?}"));
                    }
                    stack.push((refine && k + 1 == p.len(), pv, nv));
                }
            }
            (Value::Array(_) | Value::Object(_), _) => {
                return Err("a container changed kind".into())
            }
            (p, n) if p == n => {}
            (p, n) => return Err(format!("{p:?} changed to {n:?}")),
        }
    }
    Ok(())
}

fn values_equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => walk(false, a, b).is_ok(),
        _ => false,
    }
}

/// Compare our value with serde_json's: same shape, same strings, numbers with the same exact decimal value (see
/// [`same_number`]), objects as maps (a repeated key keeps the last value in both).
pub fn same_as_serde(ours: &Value, theirs: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value as J;
    let mut stack = vec![(ours, theirs)];
    while let Some((o, t)) = stack.pop() {
        match (o, t) {
            (Value::Null, J::Null) => {}
            (Value::Bool(a), J::Bool(b)) if a == b => {}
            (Value::Number(a), J::Number(b)) if same_number(a, b.as_str()) => {}
            (Value::String(a), J::String(b)) if a == b => {}
            (Value::Array(a), J::Array(b)) if a.len() == b.len() => stack.extend(a.iter().zip(b)),
            (Value::Object(a), J::Object(b)) if a.len() == b.len() => {
                for (key, value) in a {
                    let Some(other) = b.get(key) else {
                        return Err(format!("key {key:?} missing in serde_json's value"));
                    };
                    stack.push((value, other));
                }
            }
            (o, t) => {
                return Err(format!(
                    "ours {} vs serde_json {}",
                    short(o),
                    short_serde(t)
                ))
            }
        }
    }
    Ok(())
}

/// Two JSON number texts denote the same decimal, compared exactly (`-0` differs from `0`). serde_json's
/// `arbitrary_precision` mostly keeps a number's text as written, but not always (it writes `0e1` as `0e+1`).
pub fn same_number(a: &str, b: &str) -> bool {
    a == b || decimal(a) == decimal(b)
}

/// A JSON number as `(negative, significant digits, exponent)` with value `0.digits × 10^exponent`; the exponent
/// is `None` when it does not fit an `i128` (then only the digits and sign are compared: never in practice).
fn decimal(text: &str) -> (bool, String, Option<i128>) {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.strip_prefix('+').unwrap_or(e).parse::<i128>().ok()),
        None => (rest, Some(0)),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{int}{frac}");
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_matches('0').to_owned();
    if digits.is_empty() {
        return (negative, digits, Some(0));
    }
    let exponent = exponent.and_then(|e| e.checked_add(int.len() as i128 - leading as i128));
    (negative, digits, exponent)
}

fn short(value: &Value) -> String {
    match value {
        Value::Array(items) => format!("array of {}", items.len()),
        Value::Object(members) => format!("object of {}", members.len()),
        scalar => format!("{scalar:?}"),
    }
}

fn short_serde(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Array(items) => format!("array of {}", items.len()),
        serde_json::Value::Object(members) => format!("object of {}", members.len()),
        scalar => format!("{scalar:?}"),
    }
}

/// Our verdict on `doc` against serde_json's, outside the documented, intentional differences:
/// - lone surrogate escapes (`"\ud800"`): JSON's grammar allows them and we accept them (like Python's
///   `json.loads`); serde_json refuses them;
/// - nesting deeper than serde_json's recursion limit (128; ours defaults to 512) or than a small `max_depth`
///   chosen by the fuzzer;
/// - `NaN`/`Infinity` with `allow_nan`, which serde_json never accepts;
/// - documents holding serde_json's private `arbitrary_precision` key (serde_json reads that object as a number).
///
/// Otherwise both accept with the same value or both refuse; and when we call the input truncated, serde_json
/// must call it truncated too (not the converse: serde_json checks a string's UTF-8 only at its end, so it calls
/// `"\xFF` truncated where we report the bad byte).
pub fn compare_with_serde(doc: &[u8], run: &Run, options: &Options) {
    let rec = &run.recorder;
    if rec.lone_surrogates > 0 || rec.max_depth >= SERDE_DEPTH {
        return;
    }
    // With `arbitrary_precision`, serde_json reads an object whose key is this magic token as a number: a serde
    // artefact, not JSON.
    if doc.windows(SERDE_TOKEN.len()).any(|w| w == SERDE_TOKEN) {
        return;
    }
    let theirs = serde_json::from_slice::<serde_json::Value>(doc);
    match (&run.result, &theirs) {
        (Ok(()), Ok(theirs)) => {
            let ours = run.value.as_ref().expect("a finished run has a value");
            if let Err(why) = same_as_serde(ours, theirs) {
                panic!("both accept, values differ: {why}");
            }
        }
        (Ok(()), Err(e)) => {
            assert!(
                options.allow_nan && rec.non_finite,
                "we accept, serde_json refuses: {e}"
            );
        }
        (Err(ours), Ok(_)) => {
            assert!(
                matches!(ours.kind, ErrorKind::DepthLimit { .. })
                    && options.max_depth < SERDE_DEPTH,
                "we refuse ({ours}), serde_json accepts"
            );
        }
        (Err(ours), Err(theirs)) => {
            if ours.is_incomplete() && !options.allow_nan {
                assert!(
                    theirs.is_eof(),
                    "we call it truncated ({ours}), serde_json does not: {theirs}"
                );
            }
        }
    }
}

// -------------------------------------------------------------------------------------------------------------
// The targets.

/// Options and chunk sizes from the leading bytes of a `chunked` input, and the document after them.
///
/// Byte 0: bits 0-3 `% 9` = number of chunk-size bytes that follow (0 = feed one byte at a time); bits 4-5 = the
/// depth limit (3 means `max_depth(2)`, anything else the default 512); bit 7 = `allow_nan`. Each size byte gives
/// a chunk length `byte % 64`; 0 feeds an empty chunk. The sizes are used in turn until the document runs out.
pub fn split_chunked(data: &[u8]) -> Option<(Options, Vec<usize>, &[u8])> {
    let (&control, rest) = data.split_first()?;
    let count = usize::from(control & 0x0F) % 9;
    if rest.len() < count {
        return None;
    }
    let (size_bytes, doc) = rest.split_at(count);
    let mut options = Options::default().allow_nan(control & 0x80 != 0);
    if (control >> 4) & 3 == 3 {
        options = options.max_depth(2);
    }
    let mut sizes: Vec<usize> = size_bytes.iter().map(|&b| usize::from(b % 64)).collect();
    if sizes.iter().all(|&s| s == 0) {
        sizes = vec![1];
    }
    Some((options, sizes, doc))
}

/// The `chunked` target: the document fed whole, one byte at a time and in the fuzzer's chunks must give the same
/// events, outcome, error (kind, offset, line, column) and value; after every chunk, what was reported and the
/// state queries must equal the byte-by-byte run's at the same offset, and the partial value must refine the
/// previous one; a syntax error at offset E means the first E bytes are a JSON prefix and byte E is not; and the
/// verdict and value agree with serde_json (see [`compare_with_serde`]).
pub fn check_chunked(data: &[u8]) {
    let Some((options, sizes, doc)) = split_chunked(data) else {
        return;
    };
    let whole = run(doc, &Cuts::Whole, &options, false);
    let by_byte = run(doc, &Cuts::ByteByByte, &options, false);
    let chunked = run(doc, &Cuts::Sizes(&sizes), &options, doc.len() <= 1024);

    for other in [&by_byte, &chunked] {
        assert_eq!(
            whole.result, other.result,
            "outcome depends on the chunking"
        );
        assert_eq!(
            whole.recorder.events, other.recorder.events,
            "events depend on the chunking"
        );
        assert!(
            values_equal(whole.value.as_ref(), other.value.as_ref()),
            "value depends on the chunking"
        );
    }
    // by_byte.snaps[n] is the state after n bytes (fed without error).
    assert!(by_byte
        .snaps
        .iter()
        .enumerate()
        .all(|(k, (fed, _))| *fed == k));
    for (fed, snap) in whole.snaps.iter().chain(&chunked.snaps) {
        let Some((_, reference)) = by_byte.snaps.get(*fed) else {
            panic!(
                "a chunked run fed {fed} bytes without error, the byte-by-byte run failed earlier"
            );
        };
        assert_eq!(
            snap, reference,
            "after {fed} bytes, what was reported depends on the chunking"
        );
    }

    if let Err(error) = &whole.result {
        if !error.is_incomplete() {
            // The error is at the first byte at which the input stops being a JSON prefix.
            let offset = error.offset as usize;
            let before = run(&doc[..offset], &Cuts::Whole, &options, false);
            assert!(
                before
                    .result
                    .as_ref()
                    .map_or_else(Error::is_incomplete, |()| true),
                "the {offset} bytes before the error are not a JSON prefix: {:?}",
                before.result
            );
            let through = run(&doc[..=offset], &Cuts::Whole, &options, false);
            assert_eq!(
                through.result.as_ref(),
                Err(error),
                "the error byte alone does not fail"
            );
        }
    }
    compare_with_serde(doc, &whole, &options);
}

/// The `truncated` target: the input fed one byte at a time; before every byte (and at the end) a copy of the
/// parser is finished, which must give a value or `Incomplete` at that offset, never a syntax error (every prefix
/// fed without error is a JSON prefix). For up to ~64 evenly spaced prefixes the copy also builds its value: the
/// partial value before finishing must refine the finished value (finishing only completes a root number), and
/// the verdict and value must agree with serde_json on the truncated text.
pub fn check_truncations(doc: &[u8]) {
    let options = Options::default();
    let mut parser = Parser::with_options(options.clone());
    let mut recorder = Recorder::default();
    let stride = doc.len() / 64 + 1;
    for p in 0..=doc.len() {
        let mut early = parser.clone();
        if p % stride != 0 && p != doc.len() {
            if let Err(error) = early.finish(&mut IgnoreEvents) {
                assert!(
                    error.is_incomplete() && error.offset == p as u64,
                    "finishing after {p} bytes gave {error}"
                );
            }
        } else {
            let mut early_recorder = recorder.fork();
            let partial = recorder.builder.partial();
            let result = early.finish(&mut early_recorder);
            let value = match &result {
                Ok(()) => {
                    let value = early_recorder.builder.clone().into_value();
                    assert!(value.is_some(), "finished after {p} bytes without a value");
                    if !recorder.duplicate_keys {
                        if let Err(why) = refines(partial.as_ref(), value.as_ref()) {
                            panic!("finishing after {p} bytes changed the partial value: {why}");
                        }
                    }
                    value
                }
                Err(error) => {
                    assert!(
                        error.is_incomplete() && error.offset == p as u64,
                        "finishing after {p} bytes gave {error}"
                    );
                    None
                }
            };
            let early_run = Run {
                recorder: early_recorder,
                result,
                value,
                snaps: Vec::new(),
            };
            compare_with_serde(&doc[..p], &early_run, &options);
        }
        let Some(&byte) = doc.get(p) else {
            break;
        };
        if parser.feed(&[byte], &mut recorder).is_err() {
            break;
        }
    }
}
