//! Records the typed layer validates from their text are not built as untyped values.
//!
//! A record of a type that runs no Python while it validates (`_native_plan.record_whole_validator`) and that
//! begins and ends within the chunk being fed is validated by the typed layer from its JSON text, in one
//! pydantic-core call. Building its untyped value (a dict, its keys and values, nested containers) and telling the
//! typed layer about each of its values would be wasted, so the value builder, which follows the type's plan as it
//! goes (the node of every open container, the place of the next child), does neither: at the record's `{` it looks
//! ahead in the chunk (`Lookahead`: the core itself, from that bracket, by midstream's rules) and, if the record
//! ends within it and holds nothing that midstream reads differently from pydantic's JSON parser, it puts a
//! placeholder (the record's text, a `bytes`) where the record goes, ignores the core's events up to its `}`, and
//! tells the typed layer `Whole(step, text)`. The placeholder is a *hole*: the untyped value is built from the text
//! when someone reads the untyped value (`fill_holes`), or at once if the typed layer finds the record invalid and
//! follows it part by part after all (`expand`).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use midstream_core::{Event, Options, Reject, Sink};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::builder::{Builder, Feeding};
use crate::errors::to_py_err;
use crate::typed::builder::{record_whole_validator, Hooks};
use crate::typed::event::{JsonKind, TypedEvent, TypedStep};
use crate::typed::plan::{Fnv, Node, NodeId, Place, Plan};

/// The plan the value builder follows, and what it skips.
pub(crate) struct Skipping {
    pub(crate) plan: Arc<Plan>,
    hooks: Arc<Hooks>,
    options: Options,
    /// Where the chunk being fed begins in the whole input.
    pub(crate) start: u64,
    lookahead: Lookahead,
    /// The record being skipped: how many containers are open inside it.
    pub(crate) active: Option<usize>,
    /// Placeholders not filled yet.
    holes: Vec<Hole>,
}

/// A placeholder in the untyped value: `text` (a `bytes`) stands where the record's value goes.
struct Hole {
    /// The dict or list holding it; `None`: it is the root.
    container: Option<Py<PyAny>>,
    /// Its key or index in the container.
    slot: Option<Py<PyAny>>,
    text: Py<PyBytes>,
}

impl Skipping {
    pub(crate) fn new(plan: Arc<Plan>, hooks: Arc<Hooks>, options: Options) -> Skipping {
        Skipping {
            plan,
            hooks,
            options,
            start: 0,
            lookahead: Lookahead::default(),
            active: None,
            holes: Vec::new(),
        }
    }

    /// A new chunk, beginning at `start` in the whole input.
    pub(crate) fn new_chunk(&mut self, start: u64) {
        self.start = start;
        self.lookahead.until = 0;
    }

    /// The text of the record of `node` whose `{` is at `open` (at `depth`, the containers open around it), if
    /// the typed layer may validate it from its text: its type allows it and it ends within `chunk`.
    pub(crate) fn whole_text<'a>(
        &mut self,
        py: Python<'_>,
        node: NodeId,
        open: u64,
        depth: usize,
        chunk: &'a [u8],
    ) -> PyResult<Option<&'a [u8]>> {
        let node = &self.plan.nodes[node];
        let within = open >= self.start && ((open - self.start) as usize) < chunk.len();
        let limit = self.options.max_depth.checked_sub(depth);
        let (true, Node::Record { .. }, Some(limit)) = (within, node, limit) else {
            return Ok(None);
        };
        let options = self.options.clone().max_depth(limit);
        let Some(close) = self.lookahead.close_of(open, self.start, chunk, options) else {
            return Ok(None);
        };
        // Asked only now: working it out walks the type's core schema, which token-sized chunks never need.
        if record_whole_validator(py, node, &self.hooks)?.is_none() {
            return Ok(None);
        }
        Ok(Some(
            &chunk[(open - self.start) as usize..=(close - self.start) as usize],
        ))
    }

    /// Remember a placeholder put in the untyped value.
    pub(crate) fn hole(
        &mut self,
        container: Option<Py<PyAny>>,
        slot: Option<Py<PyAny>>,
        text: Py<PyBytes>,
    ) {
        self.holes.push(Hole {
            container,
            slot,
            text,
        });
    }

    pub(crate) fn has_holes(&self) -> bool {
        !self.holes.is_empty()
    }

    /// Put the untyped value of every skipped record in its place (a placeholder a repeated key replaced since
    /// stays replaced).
    pub(crate) fn fill_holes(
        &mut self,
        py: Python<'_>,
        root: &mut Option<Py<PyAny>>,
    ) -> PyResult<()> {
        for hole in std::mem::take(&mut self.holes) {
            let (value, _) = parse_region(py, hole.text.bind(py).as_bytes(), &self.options, false)?;
            fill(py, &hole, value, root)?;
        }
        Ok(())
    }

    /// The typed layer follows the skipped record with text `text` part by part after all: its events (the first
    /// is its `Begin`), its untyped value put in its place.
    pub(crate) fn expand(
        &mut self,
        py: Python<'_>,
        text: &Py<PyBytes>,
        root: &mut Option<Py<PyAny>>,
    ) -> PyResult<Vec<TypedEvent>> {
        let (value, events) = parse_region(py, text.bind(py).as_bytes(), &self.options, true)?;
        if let Some(index) = self.holes.iter().position(|hole| hole.text.is(text)) {
            let hole = self.holes.swap_remove(index);
            fill(py, &hole, value, root)?;
        }
        Ok(events)
    }
}

/// Put `value` where `hole`'s placeholder is, if it still is.
fn fill(
    py: Python<'_>,
    hole: &Hole,
    value: Py<PyAny>,
    root: &mut Option<Py<PyAny>>,
) -> PyResult<()> {
    let placeholder = hole.text.bind(py).as_any();
    match (&hole.container, &hole.slot) {
        (Some(container), Some(slot)) => {
            let container = container.bind(py);
            if let Ok(dict) = container.cast::<PyDict>() {
                if dict
                    .get_item(slot)?
                    .is_some_and(|held| held.is(placeholder))
                {
                    dict.set_item(slot, value)?;
                }
            } else if let Ok(list) = container.cast::<PyList>() {
                let index: usize = slot.extract(py)?;
                if list.get_item(index).is_ok_and(|held| held.is(placeholder)) {
                    list.set_item(index, value)?;
                }
            }
        }
        _ => {
            if root.as_ref().is_some_and(|held| held.is(placeholder)) {
                *root = Some(value);
            }
        }
    }
    Ok(())
}

/// The untyped value of a whole JSON value, `text`, already checked by the core (and, with `typed`, the typed
/// layer's events of it).
fn parse_region(
    py: Python<'_>,
    text: &[u8],
    options: &Options,
    typed: bool,
) -> PyResult<(Py<PyAny>, Vec<TypedEvent>)> {
    let mut builder = Builder::new(false, None);
    if typed {
        builder.typed = Some(Vec::new());
    }
    let mut core = midstream_core::Parser::with_options(options.clone());
    let mut sink = Feeding {
        py,
        builder: &mut builder,
        failure: None,
        chunk: &[],
    };
    let parsed = core
        .feed(text, &mut sink)
        .and_then(|()| core.finish(&mut sink));
    if let Some(failure) = sink.failure.take() {
        return Err(failure);
    }
    parsed.map_err(|error| to_py_err(py, &error))?;
    let value = builder.value(py)?;
    Ok((value, builder.typed.take().unwrap_or_default()))
}

/// Where the containers that begin in the chunk end in it, found by the core itself: from a record's `{` to its
/// `}` (or the end of the chunk), by the parser's own rules and options, so a record found whole here is one the
/// real parse accepts. One pass answers for the containers inside; the next record after it starts a new one.
#[derive(Default)]
struct Lookahead {
    /// From the `{` offset: where it closes, and whether it holds nothing midstream reads its own way.
    closes: HashMap<u64, (u64, bool), BuildHasherDefault<Fnv>>,
    /// The end of the last pass: containers that begin before it were answered by it.
    until: u64,
}

impl Lookahead {
    fn close_of(&mut self, open: u64, start: u64, chunk: &[u8], options: Options) -> Option<u64> {
        if open >= self.until {
            let rest = &chunk[(open - start) as usize..];
            if !rest[1..].contains(&b'}') {
                // No `}` after it in the chunk (token-sized chunks): nothing beginning here ends in it.
                self.until = u64::MAX;
                return None;
            }
            self.closes.clear();
            let mut sink = Brackets {
                base: open,
                bracket: 0,
                open: Vec::new(),
                closes: &mut self.closes,
                end: None,
            };
            let mut core = midstream_core::Parser::with_options(options);
            let _ = core.feed(rest, &mut sink); // stops at its `}`, or fails
            self.until = sink.end.unwrap_or(u64::MAX);
        }
        match self.closes.get(&open) {
            Some(&(close, true)) => Some(close),
            _ => None,
        }
    }
}

/// Past this many characters a number may hit CPython's int digit limit (4,300 by default) when built.
const LONGEST_NUMBER: usize = 4_000;

/// Whether midstream reads this event its own way, where pydantic's JSON parser would read it otherwise: a number
/// too long for Python's int conversion, NaN and Infinity, a lone surrogate. A value holding one is never handed
/// to pydantic-core as text (not by the lookahead here, nor by `Parser::scan_whole`).
pub(crate) fn read_our_own_way(event: &Event<'_>) -> bool {
    match event {
        Event::Number(number) => {
            number.text.len() > LONGEST_NUMBER
                || !number.text.ends_with(|c: char| c.is_ascii_digit())
        }
        Event::LoneSurrogate(_) => true,
        _ => false,
    }
}

/// The lookahead's sink: pairs brackets, marks the containers around what midstream reads its own way (a number
/// too long for Python's int conversion, NaN and Infinity, a lone surrogate), stops at the first container's end.
struct Brackets<'a> {
    base: u64,
    bracket: u64,
    /// Open containers: where each began, and whether it holds something read midstream's way.
    open: Vec<(u64, bool)>,
    closes: &'a mut HashMap<u64, (u64, bool), BuildHasherDefault<Fnv>>,
    end: Option<u64>,
}

impl Sink for Brackets<'_> {
    fn bracket_at(&mut self, offset: u64) {
        self.bracket = self.base + offset;
    }

    fn event(&mut self, event: Event<'_>) -> Result<(), Reject> {
        match event {
            Event::BeginObject | Event::BeginArray => self.open.push((self.bracket, true)),
            Event::EndObject | Event::EndArray => {
                let (open, plain) = self.open.pop().expect("the core balances containers");
                self.closes.insert(open, (self.bracket, plain));
                if self.open.is_empty() {
                    self.end = Some(self.bracket);
                    return Err(Reject(String::new())); // what follows is the enclosing container's
                }
            }
            _ if read_our_own_way(&event) => {
                self.open.iter_mut().for_each(|(_, plain)| *plain = false);
            }
            _ => {}
        }
        Ok(())
    }
}

/// What the value builder keeps of the plan for each open container: its node, and the place of its next child.
#[derive(Clone, Copy, Default)]
pub(crate) struct Followed {
    pub(crate) node: Option<NodeId>,
    pub(crate) child: Option<Place>,
}

impl Followed {
    /// A container of `node` opens.
    pub(crate) fn container(plan: &Plan, node: Option<NodeId>) -> Followed {
        let child = node.and_then(|node| match &plan.nodes[node] {
            Node::List { item, .. } => Some(*item),
            Node::Dict { value, .. } => Some(*value),
            _ => None, // a record's child place comes with each key
        });
        Followed { node, child }
    }

    /// The record this container is read the key `key` of: the place of its value (the plan's unknown place for
    /// a key the type lacks; keys a record reads under its aliases are in its table).
    pub(crate) fn key(&mut self, plan: &Plan, key: Option<&str>) {
        let Some(Node::Record {
            fields, by_index, ..
        }) = self.node.map(|node| &plan.nodes[node])
        else {
            return;
        };
        self.child = Some(match key.and_then(|key| fields.get(key)) {
            Some(&field) => by_index[field].place,
            None => plan.unknown,
        });
    }

    /// The node of a child of kind `kind` beginning in this container.
    pub(crate) fn child_node(&self, plan: &Plan, kind: JsonKind) -> Option<NodeId> {
        self.child.map(|place| plan.resolve(&place, kind))
    }
}

/// The typed layer's step for a skipped record, as `Builder::typed_begin` gives it.
pub(crate) fn step_of(step: Option<crate::builder::Step<'_>>, py: Python<'_>) -> TypedStep {
    match step {
        None => TypedStep::Root,
        Some(crate::builder::Step::Key(key)) => TypedStep::Key(key.clone_ref(py)),
        Some(crate::builder::Step::Index(index)) => TypedStep::Index(index),
    }
}
