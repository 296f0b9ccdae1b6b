//! The typed builder: follows the value builder's events natively and keeps the partial value of the type, the
//! Rust twin of `midstream.pydantic._builder.PartialBuilder` for the shapes a plan covers.
//!
//! Python runs only where pydantic must: to create a record's partial instance when it begins, to validate a
//! record when it finishes (from its children's already-checked values, once), to check a scalar that is not a
//! plain `str`/`int`/`float`/`bool`/`None` of its own JSON kind (a Literal, an Enum, a constrained number), and
//! to copy an open record that a caller still holds. A string growing, a key, a plain scalar, a list item: no
//! Python call at all.
//!
//! Partials handed out are snapshots, exactly as in the Python builder: after a hand-out, the first change walks
//! the open path (`unshare`) and, for each open container someone besides the builder still holds (by reference
//! count), goes on with the partial handed out before it (brought up to date from the frame's log) if its holder
//! let go of it, or else with a shallow copy.

use std::sync::{Arc, OnceLock};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PySet, PyString, PyTuple};

use super::event::{JsonKind, TypedEvent, TypedStep};
use super::frames::{
    copy_model_partial, get_field, model_slots, new_model_partial, set_field, Frame, FrameKind, Op,
    Opaque,
};
use super::plan::{blank_from_py, Node, NodeId, Plain, Plan, RecordKind};

/// The Python functions the builder calls (`midstream.pydantic._native_plan`).
pub(crate) struct Hooks {
    pub(crate) new_partial: Py<PyAny>,
    pub(crate) blank_of: Py<PyAny>,
    pub(crate) record_validator: Py<PyAny>,
    pub(crate) record_whole_validator: Py<PyAny>,
    pub(crate) record_list_whole_validator: Py<PyAny>,
    pub(crate) record_errors: Py<PyAny>,
    pub(crate) validated: Py<PyAny>,
    pub(crate) validation_error_type: Py<PyAny>,
    pub(crate) check: Py<PyAny>,
    pub(crate) unset_field: Py<PyAny>,
    pub(crate) set_dataclass: Py<PyAny>,
    pub(crate) copy_partial: Py<PyAny>,
    pub(crate) locate: Py<PyAny>,
    pub(crate) string_too_long: Py<PyAny>,
    pub(crate) list_too_long: Py<PyAny>,
    pub(crate) check_root: Py<PyAny>,
    pub(crate) validation_error: Py<PyAny>,
}

impl Hooks {
    pub(crate) fn from_py(module: &Bound<'_, PyAny>) -> PyResult<Hooks> {
        let get = |name: &str| module.getattr(name).map(Bound::unbind);
        Ok(Hooks {
            new_partial: get("new_partial")?,
            blank_of: get("blank_of")?,
            record_validator: get("record_validator")?,
            record_whole_validator: get("record_whole_validator")?,
            record_list_whole_validator: get("record_list_whole_validator")?,
            record_errors: get("record_errors")?,
            validated: get("Validated")?,
            validation_error_type: get("ValidationError")?,
            check: get("check")?,
            unset_field: get("unset_field")?,
            set_dataclass: get("set_dataclass")?,
            copy_partial: get("copy_partial")?,
            locate: get("locate")?,
            string_too_long: get("string_too_long")?,
            list_too_long: get("list_too_long")?,
            check_root: get("check_root")?,
            validation_error: get("validation_error")?,
        })
    }
}

/// A finished part: what it shows, and what the part holding it is validated from; or its errors.
enum Outcome {
    Valid(Py<PyAny>, Py<PyAny>),
    Failed(Py<PyList>),
}

/// The scalar being parsed: its node and step, and whether its text is shown while it grows.
struct Leaf {
    node: NodeId,
    step: TypedStep,
}

pub(crate) struct TypedBuilder {
    plan: Arc<Plan>,
    hooks: Arc<Hooks>,
    stack: Vec<Frame>,
    fail_fast: bool,
    root_check: Option<Py<PyAny>>,
    title: Py<PyAny>,
    pub(crate) errors: Py<PyList>,
    pub(crate) changed: bool,
    /// Whether the partial was handed out since it last changed.
    shared: bool,
    pub(crate) complete: bool,
    /// A scalar has begun and not ended (its `End` is the leaf's, not a container's).
    scalar_open: bool,
    leaf: Option<Leaf>,
    text_shown: bool,
    /// The growing string's text last shown.
    text: Option<Py<PyString>>,
    /// Whether an open record may have no partial instance yet (one began since the last hand-out).
    unmade: bool,
}

/// What gives the events of a record the value builder skipped, for the typed layer to follow it part by part
/// after all (`Parser::expand`).
pub(crate) type Expand<'a> = dyn FnMut(Python<'_>, &Py<PyBytes>) -> PyResult<Vec<TypedEvent>> + 'a;

/// A partial only the builder holds has this reference count: its frame, and its parent's partial.
const ONLY_OURS: isize = 2;

impl TypedBuilder {
    pub(crate) fn new(
        py: Python<'_>,
        plan: Arc<Plan>,
        hooks: Arc<Hooks>,
        fail_fast: bool,
        root_check: Option<Py<PyAny>>,
        title: Py<PyAny>,
    ) -> TypedBuilder {
        let root = Frame::new(usize::MAX, FrameKind::Root, TypedStep::Root, None);
        TypedBuilder {
            plan,
            hooks,
            stack: vec![root],
            fail_fast,
            root_check,
            title,
            errors: PyList::empty(py).unbind(),
            changed: false,
            shared: false,
            complete: false,
            scalar_open: false,
            leaf: None,
            text_shown: false,
            text: None,
            unmade: false,
        }
    }

    /// The partial, for a caller to keep: the builder copies what it changes later instead of changing it.
    /// `copy_below(depth)` copies the untyped value's container at `depth` (and the open ones below it): what a
    /// container shown as parsed shows.
    pub(crate) fn hand_out(
        &mut self,
        py: Python<'_>,
        copy_below: &mut dyn FnMut(usize) -> PyResult<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        self.make_open_records(py)?;
        let top = self.stack.len() - 1;
        let frame = &self.stack[top];
        if let FrameKind::Opaque {
            how: Opaque::Live { stale: true },
            ..
        } = frame.kind
        {
            if frame.linked {
                if self.shared {
                    self.unshare(py)?;
                }
                // The typed frames above a live one follow every container, so the untyped value's depth is its.
                let copy = copy_below(top - 1)?;
                let frame = &mut self.stack[top];
                frame.display = Some(copy.clone_ref(py));
                if let FrameKind::Opaque { how, .. } = &mut frame.kind {
                    *how = Opaque::Live { stale: false }; // the values begun inside it stay counted
                }
                self.show_in(py, top - 1, copy.bind(py), false)?;
            }
        }
        self.shared = true;
        Ok(match &self.stack[0].display {
            Some(display) => display.clone_ref(py),
            None => py.None(),
        })
    }

    /// Make the partial of every open record that has none yet (top down), with what it shows, and link it.
    fn make_open_records(&mut self, py: Python<'_>) -> PyResult<()> {
        if !self.unmade {
            return Ok(()); // an unchanged partial is read at O(1)
        }
        self.unmade = false;
        let unmade = |frame: &Frame| {
            frame.display.is_none() && matches!(frame.kind, FrameKind::Record { .. })
        };
        let Some(first) = self.stack.iter().position(unmade) else {
            return Ok(());
        };
        if self.shared {
            // Before any new partial exists: what a caller holds above is copied first, and the new partials,
            // nobody's yet, are linked into what the builder goes on with.
            self.unshare(py)?;
        }
        for index in first..self.stack.len() {
            let frame = &mut self.stack[index];
            if frame.display.is_some() {
                continue;
            }
            let FrameKind::Record { kind, pending, .. } = &mut frame.kind else {
                continue;
            };
            let display = record_partial(py, &self.plan, &self.hooks, frame.node, *kind, pending)?;
            frame.display = Some(display.clone().unbind());
            frame.model_slots = None;
            if frame.linked {
                let linked = self.show_in(py, index - 1, &display, true)?;
                self.stack[index].linked = linked;
            }
        }
        Ok(())
    }

    /// Whether frame `index`'s partial shows its open child.
    fn would_hold(&self, index: usize) -> bool {
        match &self.stack[index].kind {
            FrameKind::Record { field, .. } => field.is_some(),
            FrameKind::Opaque { .. } => false,
            FrameKind::Root | FrameKind::List { .. } | FrameKind::Dict { .. } => true,
        }
    }

    /// The whole document was validated in one call (`TypedParser::validate_whole`): `value` is the final value.
    pub(crate) fn finish_whole(&mut self, value: Py<PyAny>) {
        debug_assert!(
            self.stack.len() == 1,
            "only a document not begun is validated whole"
        );
        self.stack[0].display = Some(value);
        self.complete = true;
        self.changed = true;
    }

    /// pydantic's `ValidationError`.
    pub(crate) fn validation_error_type<'py>(&self, py: Python<'py>) -> &Bound<'py, PyAny> {
        self.hooks.validation_error_type.bind(py)
    }

    /// The ValidationError of every part that failed so far.
    pub(crate) fn validation_error(&self, py: Python<'_>) -> PyResult<PyErr> {
        let error = self
            .hooks
            .validation_error
            .call1(py, (self.title.bind(py), self.errors.bind(py)))?;
        Ok(PyErr::from_value(error.into_bound(py)))
    }

    // ------------------------------------------------------------------------------------------------------------
    // events

    /// Follow the events of one chunk. `chunk`: its bytes and the offset of its first byte in the whole input, if
    /// the records that begin and end within it may be validated from their text (`whole_record`).
    pub(crate) fn apply(
        &mut self,
        py: Python<'_>,
        events: &mut Vec<TypedEvent>,
        expand: &mut Expand<'_>,
    ) -> PyResult<()> {
        let mut iter = events.drain(..);
        let mut index = 0;
        // Records skipped whole one after another in a list are validated together (`whole_items`), unless
        // that failed for the run this index is in.
        let mut single_until = 0;
        while let Some(event) = iter.next() {
            index += 1;
            let top = self.stack.last_mut().expect("the root frame stays");
            if let FrameKind::Opaque { nested, how } = &mut top.kind {
                if let Opaque::Live { stale } = how {
                    if top.linked && shows_in_live_value(py, &event) {
                        *stale = true;
                        self.changed = true;
                    }
                }
                match &event {
                    TypedEvent::Begin(..) => {
                        *nested += 1;
                        continue;
                    }
                    TypedEvent::Delta(_) | TypedEvent::Whole(..) => continue,
                    TypedEvent::End(..) if *nested > 0 => {
                        *nested -= 1;
                        continue;
                    }
                    TypedEvent::End(..) => {}
                }
            }
            match event {
                TypedEvent::Begin(kind, step, raw) => {
                    let Some(node) = self.enter(py, kind, &step)? else {
                        continue; // the list it began in is too long: it is inside that dead list now
                    };
                    self.begin(py, node, kind, step, raw)?;
                }
                TypedEvent::Whole(step, text) => {
                    let run = if index < single_until {
                        0
                    } else {
                        self.whole_run(iter.as_slice())
                    };
                    if run > 0 {
                        let later = &iter.as_slice()[..run];
                        if let Some(values) = self.whole_items(py, &text, later)? {
                            let mut steps = vec![step];
                            for event in later {
                                if let TypedEvent::Whole(step, _) = event {
                                    steps.push(step.clone_ref(py));
                                }
                            }
                            for (step, value) in steps.iter().zip(values) {
                                let node = self.enter(py, JsonKind::Object, step)?;
                                let node =
                                    node.expect("a run is checked against the list's max_length");
                                self.record_done(py, node, step, value)?;
                            }
                            iter.nth(run - 1);
                            index += run;
                            continue;
                        }
                        single_until = index + run; // one of them is invalid: each goes its own way
                    }
                    let Some(node) = self.enter(py, JsonKind::Object, &step)? else {
                        continue;
                    };
                    match self.whole_record(py, node, text.bind(py).as_bytes())? {
                        Some(value) => self.record_done(py, node, &step, value)?,
                        None => {
                            // Invalid: followed part by part after all, from its own events.
                            let mut events = expand(py, &text)?;
                            let mut inside = events.drain(..);
                            if let Some(TypedEvent::Begin(kind, _, raw)) = inside.next() {
                                self.begin(py, node, kind, step, raw)?;
                            }
                            let mut inside: Vec<TypedEvent> = inside.collect();
                            self.apply(py, &mut inside, expand)?;
                        }
                    }
                }
                TypedEvent::Delta(text) => self.delta(py, text)?,
                TypedEvent::End(value, ..) => self.end(py, value)?,
            }
        }
        Ok(())
    }

    /// A record that begins and ends within the chunk, validated from its text `text` by its class's own
    /// `validate_json` in one call, if its type allows it (`record_whole_validator`: no Python code runs while it
    /// validates, so nothing runs twice if it then goes the part-by-part way). `None`: not taken (no such
    /// validator, or the record is invalid: the part-by-part way then reports each invalid part where it is).
    fn whole_record(
        &self,
        py: Python<'_>,
        node: NodeId,
        text: &[u8],
    ) -> PyResult<Option<Py<PyAny>>> {
        let Some(whole) = record_whole_validator(py, &self.plan.nodes[node], &self.hooks)? else {
            return Ok(None);
        };
        match whole.call1(py, (PyBytes::new(py, text),)) {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.is_instance(py, self.hooks.validation_error_type.bind(py)) => {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// How many of the events at the start of `later` are records skipped whole right after the current one, in
    /// the list frame at the top: together with it, one run validated in one call (`whole_items`). 0 when the
    /// top frame is not a list, or the run could make it longer than its `max_length`.
    fn whole_run(&self, later: &[TypedEvent]) -> usize {
        let FrameKind::List {
            count, max_length, ..
        } = &self.stack.last().expect("the root frame stays").kind
        else {
            return 0;
        };
        let run = later
            .iter()
            .take_while(|event| matches!(event, TypedEvent::Whole(..)))
            .count();
        match max_length {
            Some(limit) if count + run + 1 > *limit => 0,
            _ => run,
        }
    }

    /// The records of the run `first` + `later` (all `Whole`), validated together as one JSON array by the
    /// list-of-records validator; `None` if that is not possible or one of them is invalid.
    fn whole_items(
        &self,
        py: Python<'_>,
        first: &Py<PyBytes>,
        later: &[TypedEvent],
    ) -> PyResult<Option<Vec<Py<PyAny>>>> {
        let top = self.stack.last().expect("the root frame stays");
        let Node::List { item, .. } = &self.plan.nodes[top.node] else {
            return Ok(None);
        };
        let node = &self.plan.nodes[self.plan.resolve(item, JsonKind::Object)];
        let Some(validate) = record_list_whole_validator(py, node, &self.hooks)? else {
            return Ok(None);
        };
        let texts: Vec<&[u8]> = std::iter::once(first.bind(py).as_bytes())
            .chain(later.iter().filter_map(|event| match event {
                TypedEvent::Whole(_, text) => Some(text.bind(py).as_bytes()),
                _ => None,
            }))
            .collect();
        let mut array =
            Vec::with_capacity(texts.iter().map(|text| text.len() + 1).sum::<usize>() + 1);
        array.push(b'[');
        for (index, text) in texts.iter().enumerate() {
            if index > 0 {
                array.push(b',');
            }
            array.extend_from_slice(text);
        }
        array.push(b']');
        match validate.call1(py, (PyBytes::new(py, &array),)) {
            Ok(values) => {
                let values = values.bind(py).cast::<PyList>()?;
                Ok(Some(values.iter().map(Bound::unbind).collect()))
            }
            Err(error) if error.is_instance(py, self.hooks.validation_error_type.bind(py)) => {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// The record at `step` of the top frame finished valid as `value` without being followed (`whole_record`).
    fn record_done(
        &mut self,
        py: Python<'_>,
        node: NodeId,
        step: &TypedStep,
        value: Py<PyAny>,
    ) -> PyResult<()> {
        let Node::Record { cls, bare, .. } = &self.plan.nodes[node] else {
            unreachable!("only a record is validated whole")
        };
        let given = if *bare {
            value.clone_ref(py)
        } else {
            self.hooks
                .validated
                .call1(py, (value.bind(py), cls.bind(py)))?
        };
        let parent = self.stack.len() - 1;
        self.done(py, parent, step, value.bind(py), given.bind(py), false)
    }

    /// A value began at `step` of the top frame: the frame notes it (its open field, key or item), and the node
    /// that follows the value is returned; `None` if the frame is a list that this item makes too long (the list
    /// is dead from now on, and the item inside it).
    fn enter(
        &mut self,
        py: Python<'_>,
        kind: JsonKind,
        step: &TypedStep,
    ) -> PyResult<Option<NodeId>> {
        let plan = &self.plan;
        let top = self.stack.last_mut().expect("the root frame stays");
        let place = match (&mut top.kind, step) {
            (FrameKind::Root, _) => plan.root,
            (FrameKind::Record { field, .. }, TypedStep::Key(key)) => {
                let Node::Record {
                    fields, by_index, ..
                } = &plan.nodes[top.node]
                else {
                    unreachable!("a record frame follows a record node")
                };
                *field = key
                    .bind(py)
                    .to_str()
                    .ok()
                    .and_then(|key| fields.get(key).copied());
                match *field {
                    Some(index) => by_index[index].place,
                    None => plan.unknown,
                }
            }
            (
                FrameKind::List {
                    count,
                    shown,
                    max_length,
                    ..
                },
                _,
            ) => {
                *count += 1;
                *shown = false;
                if max_length.is_some_and(|limit| *count > limit) {
                    self.list_too_long(py)?;
                    return Ok(None);
                }
                let Node::List { item, .. } = &plan.nodes[top.node] else {
                    unreachable!("a list frame follows a list node")
                };
                *item
            }
            (FrameKind::Dict { open_key, .. }, TypedStep::Key(key)) => {
                *open_key = Some(key.clone_ref(py));
                let Node::Dict { value, .. } = &plan.nodes[top.node] else {
                    unreachable!("a dict frame follows a dict node")
                };
                *value
            }
            _ => plan.unknown,
        };
        Ok(Some(self.plan.resolve(&place, kind)))
    }

    /// A value that `enter` gave `node` began: follow it.
    fn begin(
        &mut self,
        py: Python<'_>,
        node: NodeId,
        kind: JsonKind,
        step: TypedStep,
        raw: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        if kind.is_container() {
            let frame = self.open(py, node, kind, step, raw)?;
            let display = frame.display.as_ref().map(|display| display.clone_ref(py));
            self.stack.push(frame);
            let parent = self.stack.len() - 2;
            let record = matches!(self.stack[parent + 1].kind, FrameKind::Record { .. });
            let linked = match display {
                Some(display) => self.show(py, parent, display.bind(py), true)?,
                None if record => {
                    // A record's partial is made when one is handed out: it is shown from now on all the same.
                    self.unmade = true;
                    let holds = self.would_hold(parent);
                    self.changed |= holds;
                    holds
                }
                None => false, // a value checked whole: nothing shows until it finishes
            };
            self.stack.last_mut().expect("just pushed").linked = linked;
            return Ok(());
        }
        self.scalar_open = true;
        self.text_shown = kind == JsonKind::String
            && matches!(
                self.plan.nodes[node],
                Node::Leaf { grows: true, .. }
                    | Node::Live {
                        passthrough: true,
                        ..
                    }
            );
        self.leaf = Some(Leaf { node, step });
        if self.text_shown {
            let empty = PyString::new(py, "");
            self.text = Some(empty.clone().unbind());
            let top = self.stack.len() - 1;
            self.show(py, top, empty.as_any(), false)?;
        }
        Ok(())
    }

    fn open(
        &self,
        py: Python<'_>,
        node: NodeId,
        kind: JsonKind,
        step: TypedStep,
        raw: Option<Py<PyAny>>,
    ) -> PyResult<Frame> {
        Ok(match &self.plan.nodes[node] {
            Node::Record { kind: record, .. } if kind == JsonKind::Object => {
                let raw = match raw {
                    Some(raw) => raw.into_bound(py).cast_into::<PyDict>()?.unbind(),
                    None => PyDict::new(py).unbind(),
                };
                let frame_kind = FrameKind::Record {
                    kind: *record,
                    pending: Vec::new(),
                    raw,
                    inputs: None,
                    invalid: None,
                    field: None,
                };
                Frame::new(node, frame_kind, step, None)
            }
            Node::List { max_length, .. } if kind == JsonKind::Array => {
                let frame_kind = FrameKind::List {
                    inputs: None,
                    count: 0,
                    shown: false,
                    max_length: *max_length,
                };
                Frame::new(
                    node,
                    frame_kind,
                    step,
                    Some(PyList::empty(py).into_any().unbind()),
                )
            }
            Node::Dict { .. } if kind == JsonKind::Object => {
                let frame_kind = FrameKind::Dict {
                    inputs: PyDict::new(py).unbind(),
                    open_key: None,
                };
                Frame::new(
                    node,
                    frame_kind,
                    step,
                    Some(PyDict::new(py).into_any().unbind()),
                )
            }
            Node::Unknown => Frame::new(node, opaque(Opaque::Unknown), step, None),
            Node::Live { .. } => {
                // What the parser holds there is copied when a partial is read; empty until then.
                let display = if kind == JsonKind::Object {
                    PyDict::new(py).into_any()
                } else {
                    PyList::empty(py).into_any()
                };
                let live = opaque(Opaque::Live { stale: true });
                Frame::new(node, live, step, Some(display.unbind()))
            }
            _ => Frame::new(node, opaque(Opaque::Checked), step, None),
        })
    }

    fn delta(&mut self, py: Python<'_>, text: Py<PyString>) -> PyResult<()> {
        if !self.text_shown {
            return Ok(());
        }
        let Some(leaf) = &self.leaf else {
            return Ok(());
        };
        if let Node::Leaf {
            max_length: Some(limit),
            ..
        } = &self.plan.nodes[leaf.node]
        {
            if text.bind(py).len()? > *limit {
                // It can only grow: invalid as of now.
                let limit = *limit;
                self.text_shown = false;
                let leaf = self.leaf.take().expect("checked above");
                let errors = self
                    .hooks
                    .string_too_long
                    .call1(py, (text.bind(py), limit))?;
                let path = self.path_to(py, Some(&leaf.step))?;
                let top = self.stack.len() - 1;
                return self.fail(py, top, &leaf.step, path, errors.bind(py).cast::<PyList>()?);
            }
        }
        let top = self.stack.len() - 1;
        self.show(py, top, text.bind(py).as_any(), false)?;
        self.text = Some(text);
        Ok(())
    }

    fn end(&mut self, py: Python<'_>, value: Py<PyAny>) -> PyResult<()> {
        if self.scalar_open {
            self.scalar_open = false;
            let Some(leaf) = self.leaf.take() else {
                return Ok(()); // a string that already failed
            };
            return self.end_scalar(py, leaf, value.into_bound(py));
        }
        let mut frame = self.stack.pop().expect("the core balances containers");
        let parent = self.stack.len() - 1;
        let outcome = self.finish(py, &frame, value.bind(py))?;
        match outcome {
            Outcome::Failed(errors) => {
                if let (0, None, FrameKind::Record { kind, pending, .. }) =
                    (parent, &frame.display, &mut frame.kind)
                {
                    // An invalid root keeps its last partial: the one it had, made now if none was handed out
                    // while it was open (what arrived of it, its invalid parts left out).
                    let display =
                        record_partial(py, &self.plan, &self.hooks, frame.node, *kind, pending)?;
                    if self.shared {
                        self.unshare(py)?;
                    }
                    self.stack[0].display = Some(display.unbind());
                }
                let path = self.path_to(py, Some(&frame.step))?;
                self.fail(py, parent, &frame.step, path, errors.bind(py))
            }
            Outcome::Valid(display, given) => {
                // A container shown as parsed, copied since its last change, already shows its final value.
                let copied = matches!(
                    frame.kind,
                    FrameKind::Opaque {
                        how: Opaque::Live { stale: false },
                        ..
                    }
                ) && frame.linked;
                let shown = copied
                    || frame
                        .display
                        .as_ref()
                        .is_some_and(|shown| shown.is(&display));
                self.done(
                    py,
                    parent,
                    &frame.step,
                    display.bind(py),
                    given.bind(py),
                    shown,
                )
            }
        }
    }

    fn end_scalar(&mut self, py: Python<'_>, leaf: Leaf, raw: Bound<'_, PyAny>) -> PyResult<()> {
        let top = self.stack.len() - 1;
        let outcome = match &self.plan.nodes[leaf.node] {
            Node::Leaf {
                shape,
                plain,
                max_length,
                choices,
                ..
            } => {
                if let (true, Some(limit)) = (self.text_shown, max_length) {
                    // The last fragment made it too long: the error the growth check gives.
                    if raw.len()? > *limit {
                        let errors = self.hooks.string_too_long.call1(py, (&raw, *limit))?;
                        let path = self.path_to(py, Some(&leaf.step))?;
                        return self.fail(
                            py,
                            top,
                            &leaf.step,
                            path,
                            errors.bind(py).cast::<PyList>()?,
                        );
                    }
                }
                let checked = match (plain, choices) {
                    (Some(plain), _) => check_plain(py, *plain, &raw),
                    (None, Some(choices)) => choose(choices.bind(py), &raw)?,
                    (None, None) => None,
                };
                match checked {
                    Some(checked) => Outcome::Valid(checked.clone().unbind(), checked.unbind()),
                    None => self.check(py, shape.bind(py), &raw)?,
                }
            }
            Node::Checked { shape }
            | Node::Live {
                shape,
                passthrough: false,
            } => self.check(py, shape.bind(py), &raw)?,
            _ => Outcome::Valid(raw.clone().unbind(), raw.clone().unbind()),
        };
        match outcome {
            Outcome::Failed(errors) => {
                let path = self.path_to(py, Some(&leaf.step))?;
                self.fail(py, top, &leaf.step, path, errors.bind(py))
            }
            Outcome::Valid(display, given) => {
                let shown = self.text_shown
                    && self
                        .text
                        .as_ref()
                        .is_some_and(|text| display.bind(py).eq(text.bind(py)).unwrap_or(false));
                self.done(py, top, &leaf.step, display.bind(py), given.bind(py), shown)
            }
        }
    }

    fn check(
        &self,
        py: Python<'_>,
        shape: &Bound<'_, PyAny>,
        raw: &Bound<'_, PyAny>,
    ) -> PyResult<Outcome> {
        let result = self.hooks.check.call1(py, (shape, raw))?;
        outcome(result.bind(py))
    }

    /// A container finished: what it shows and what its parent is validated from, or its errors.
    fn finish(&self, py: Python<'_>, frame: &Frame, raw: &Bound<'_, PyAny>) -> PyResult<Outcome> {
        match &frame.kind {
            FrameKind::Record {
                raw,
                inputs,
                invalid,
                ..
            } => {
                let inputs = inputs.as_ref().unwrap_or(raw);
                let Node::Record {
                    shape,
                    cls,
                    validate,
                    bare,
                    ..
                } = &self.plan.nodes[frame.node]
                else {
                    unreachable!("a record frame follows a record node")
                };
                let validate = asked_once(validate, || {
                    self.hooks.record_validator.call1(py, (shape.bind(py),))
                })?;
                match validate.call1(py, (inputs.bind(py),)) {
                    Ok(value) if *bare => Ok(Outcome::Valid(value.clone_ref(py), value)),
                    Ok(value) => {
                        let given = self
                            .hooks
                            .validated
                            .call1(py, (value.bind(py), cls.bind(py)))?;
                        Ok(Outcome::Valid(value, given))
                    }
                    Err(error)
                        if error.is_instance(py, self.hooks.validation_error_type.bind(py)) =>
                    {
                        let invalid = match invalid {
                            Some(invalid) => invalid.clone_ref(py).into_any(),
                            None => py.None(),
                        };
                        let errors = self
                            .hooks
                            .record_errors
                            .call1(py, (error.value(py), invalid))?;
                        Ok(Outcome::Failed(
                            errors.into_bound(py).cast_into::<PyList>()?.unbind(),
                        ))
                    }
                    Err(error) => Err(error),
                }
            }
            FrameKind::List { inputs, .. } => {
                let display = frame.display.as_ref().expect("a list frame has a partial");
                let Node::List { container, .. } = &self.plan.nodes[frame.node] else {
                    unreachable!("a list frame follows a list node")
                };
                let inputs = match inputs {
                    Some(inputs) => inputs.clone_ref(py).into_any(),
                    None => display.clone_ref(py), // every item is validated from what it shows
                };
                Ok(match container {
                    None => Outcome::Valid(display.clone_ref(py), inputs),
                    Some(container) => Outcome::Valid(
                        container.call1(py, (display.bind(py),))?,
                        container.call1(py, (inputs.bind(py),))?,
                    ),
                })
            }
            FrameKind::Dict { inputs, .. } => {
                let display = frame.display.as_ref().expect("a dict frame has a partial");
                Ok(Outcome::Valid(
                    display.clone_ref(py),
                    inputs.clone_ref(py).into_any(),
                ))
            }
            FrameKind::Opaque {
                how: Opaque::Checked,
                ..
            } => match &self.plan.nodes[frame.node] {
                Node::Leaf { shape, .. } | Node::Checked { shape } => {
                    self.check(py, shape.bind(py), raw)
                }
                _ => Ok(Outcome::Valid(raw.clone().unbind(), raw.clone().unbind())),
            },
            FrameKind::Opaque {
                how: Opaque::Unknown,
                ..
            } => Ok(Outcome::Valid(raw.clone().unbind(), raw.clone().unbind())),
            FrameKind::Opaque {
                how: Opaque::Live { .. },
                ..
            } => match &self.plan.nodes[frame.node] {
                Node::Live {
                    shape,
                    passthrough: false,
                } => self.check(py, shape.bind(py), raw),
                _ => Ok(Outcome::Valid(raw.clone().unbind(), raw.clone().unbind())),
            },
            FrameKind::Opaque {
                how: Opaque::Dead, ..
            } => Ok(Outcome::Failed(PyList::empty(py).unbind())),
            FrameKind::Root => unreachable!("the root frame never finishes"),
        }
    }

    /// The part at `step` of frame `parent` finished valid as `value` (`shown`: the partial showed it so);
    /// `given` is what `parent` is validated from.
    fn done(
        &mut self,
        py: Python<'_>,
        parent: usize,
        step: &TypedStep,
        value: &Bound<'_, PyAny>,
        given: &Bound<'_, PyAny>,
        shown: bool,
    ) -> PyResult<()> {
        let (mut value, mut given) = (value.clone(), given.clone());
        if parent == 0 {
            if let Some(root_check) = &self.root_check {
                let result = self
                    .hooks
                    .check_root
                    .call1(py, (root_check.bind(py), &given))?;
                match outcome(result.bind(py))? {
                    Outcome::Valid(checked, _) => {
                        value = checked.into_bound(py);
                        given = value.clone();
                    }
                    Outcome::Failed(errors) => {
                        let path = PyTuple::empty(py).unbind();
                        return self.fail(py, parent, step, path, errors.bind(py));
                    }
                }
            }
            self.complete = true;
        }
        if self.shared {
            self.unshare(py)?;
        }
        let frame = &mut self.stack[parent];
        match &mut frame.kind {
            FrameKind::Record {
                raw,
                inputs,
                invalid,
                ..
            } => {
                if let TypedStep::Key(key) = step {
                    let key = key.bind(py);
                    match inputs {
                        Some(inputs) => inputs.bind(py).set_item(key, &given)?,
                        None => {
                            let raw = raw.bind(py);
                            let as_parsed =
                                raw.get_item(key)?.is_some_and(|parsed| parsed.is(&given));
                            if !as_parsed {
                                // The first child given otherwise (a validated part, a converted value).
                                let own = raw.copy()?;
                                own.set_item(key, &given)?;
                                *inputs = Some(own.unbind());
                            }
                        }
                    }
                    if let Some(invalid) = invalid {
                        invalid.bind(py).discard(key)?;
                    }
                }
            }
            FrameKind::List { inputs, shown, .. } => match inputs {
                Some(inputs) => inputs.bind(py).append(&given)?,
                None if given.is(&value) => {} // the display list holds it: it is its own input
                None => {
                    // The first item validated from something else (a marker): the inputs part from the display.
                    let display = frame
                        .display
                        .as_ref()
                        .expect("a list frame has a partial")
                        .bind(py);
                    let list = display.cast::<PyList>()?;
                    let finished = list.len() - usize::from(*shown);
                    let own = list.get_slice(0, finished);
                    own.append(&given)?;
                    *inputs = Some(own.unbind());
                }
            },
            FrameKind::Dict { inputs, .. } => {
                if let TypedStep::Key(key) = step {
                    inputs.bind(py).set_item(key.bind(py), &given)?;
                }
            }
            FrameKind::Root | FrameKind::Opaque { .. } => {}
        }
        self.show_in(py, parent, &value, false)?;
        if !shown {
            self.changed = true;
        }
        Ok(())
    }

    // ------------------------------------------------------------------------------------------------------------
    // changing the partial

    /// The open child of frame `index` now displays as `value`; whether the frame's partial holds it. Copies
    /// first what a caller still holds.
    fn show(
        &mut self,
        py: Python<'_>,
        index: usize,
        value: &Bound<'_, PyAny>,
        open_child: bool,
    ) -> PyResult<bool> {
        if self.shared {
            self.unshare(py)?;
        }
        let held = self.show_in(py, index, value, open_child)?;
        if held {
            self.changed = true;
        }
        Ok(held)
    }

    /// `Frame.show`: put `value` where the open child of frame `index` sits, and log it.
    fn show_in(
        &mut self,
        py: Python<'_>,
        index: usize,
        value: &Bound<'_, PyAny>,
        open_child: bool,
    ) -> PyResult<bool> {
        let plan = &self.plan;
        let hooks = &self.hooks;
        let frame = &mut self.stack[index];
        // The change is logged only while the frame keeps a spare to replay it onto.
        let logging = frame.log.is_some();
        let logged = || {
            if open_child {
                None
            } else {
                Some(value.clone().unbind())
            }
        };
        let op = match &mut frame.kind {
            FrameKind::Root => {
                frame.display = Some(value.clone().unbind());
                return Ok(true);
            }
            FrameKind::Record {
                kind,
                field,
                pending,
                ..
            } => {
                let Some(field) = *field else {
                    return Ok(false);
                };
                let Some(display) = frame.display.as_ref() else {
                    keep_pending(pending, field, value);
                    return Ok(true);
                };
                let Node::Record { by_index, .. } = &plan.nodes[frame.node] else {
                    unreachable!("a record frame follows a record node")
                };
                if *kind == RecordKind::Model {
                    // The hot path (a string growing in a model): no attribute lookups.
                    if frame.model_slots.is_none() {
                        frame.model_slots = Some(model_slots(py, display.bind(py))?);
                    }
                    let slots = frame.model_slots.as_mut().expect("just looked up");
                    slots.set(py, field, by_index[field].name.bind(py), value)?;
                } else {
                    set_field(
                        py,
                        *kind,
                        display.bind(py),
                        &by_index[field],
                        value,
                        &hooks.set_dataclass,
                    )?;
                }
                if !logging {
                    return Ok(true);
                }
                Op::SetField(field, logged())
            }
            FrameKind::List { shown, .. } => {
                let display = frame
                    .display
                    .as_ref()
                    .expect("a list frame has a partial")
                    .bind(py);
                let list = display.cast::<PyList>()?;
                if *shown {
                    list.set_item(list.len() - 1, value)?;
                    if !logging {
                        return Ok(true);
                    }
                    Op::Last(logged())
                } else {
                    list.append(value)?;
                    *shown = true;
                    if !logging {
                        return Ok(true);
                    }
                    Op::Append(logged())
                }
            }
            FrameKind::Dict { open_key, .. } => {
                let Some(key) = open_key.as_ref() else {
                    return Ok(false);
                };
                let display = frame
                    .display
                    .as_ref()
                    .expect("a dict frame has a partial")
                    .bind(py);
                display.set_item(key.bind(py), value)?;
                if !logging {
                    return Ok(true);
                }
                Op::DictSet(key.clone_ref(py), logged())
            }
            FrameKind::Opaque { .. } => return Ok(false),
        };
        frame.logged(op);
        Ok(true)
    }

    /// The part at the open child of frame `parent` (at `path`) is invalid: leave it out, report `errors`.
    fn fail(
        &mut self,
        py: Python<'_>,
        parent: usize,
        step: &TypedStep,
        path: Py<PyTuple>,
        errors: &Bound<'_, PyList>,
    ) -> PyResult<()> {
        if self.shared {
            self.unshare(py)?;
        }
        self.drop_child(py, parent, step)?;
        self.changed = true;
        if errors.is_empty() {
            return Ok(()); // reported when the part died
        }
        let located = self.hooks.locate.call1(py, (errors, path.bind(py)))?;
        for error in located.bind(py).try_iter()? {
            self.errors.bind(py).append(error?)?;
        }
        if self.fail_fast {
            return Err(self.validation_error(py)?);
        }
        Ok(())
    }

    /// `Frame.drop`: the open child of frame `index` is invalid.
    fn drop_child(&mut self, py: Python<'_>, index: usize, step: &TypedStep) -> PyResult<()> {
        let plan = &self.plan;
        let hooks = &self.hooks;
        let frame = &mut self.stack[index];
        let op = match &mut frame.kind {
            FrameKind::Record {
                raw,
                inputs,
                invalid,
                field,
                pending,
                ..
            } => {
                let Node::Record {
                    shape, by_index, ..
                } = &plan.nodes[frame.node]
                else {
                    unreachable!("a record frame follows a record node")
                };
                let set = match invalid {
                    Some(set) => set.bind(py).clone(),
                    None => {
                        let set = PySet::empty(py)?;
                        *invalid = Some(set.clone().unbind());
                        set
                    }
                };
                if let TypedStep::Key(key) = step {
                    let own = match inputs {
                        Some(own) => own.bind(py).clone(),
                        None => {
                            let own = raw.bind(py).copy()?;
                            *inputs = Some(own.clone().unbind());
                            own
                        }
                    };
                    own.del_item(key.bind(py)).ok();
                    set.add(key.bind(py))?;
                }
                let Some(field) = *field else {
                    return Ok(());
                };
                let spec = &by_index[field];
                set.add(spec.key.bind(py))?;
                set.add(spec.name.bind(py))?;
                let Some(display) = frame.display.as_ref() else {
                    pending.retain(|(shown, _)| *shown != field);
                    return Ok(());
                };
                hooks
                    .unset_field
                    .call1(py, (shape.bind(py), display.bind(py), spec.spec.bind(py)))?;
                if let Some(slots) = &mut frame.model_slots {
                    slots.forget(field);
                }
                Op::UnsetField(field)
            }
            FrameKind::List { shown, .. } => {
                if !*shown {
                    return Ok(());
                }
                let display = frame
                    .display
                    .as_ref()
                    .expect("a list frame has a partial")
                    .bind(py);
                let list = display.cast::<PyList>()?;
                list.del_item(list.len() - 1)?;
                *shown = false;
                Op::Pop
            }
            FrameKind::Dict { inputs, open_key } => {
                let Some(key) = open_key.as_ref() else {
                    return Ok(());
                };
                let display = frame
                    .display
                    .as_ref()
                    .expect("a dict frame has a partial")
                    .bind(py);
                display.del_item(key.bind(py)).ok();
                inputs.bind(py).del_item(key.bind(py)).ok();
                Op::DictPop(key.clone_ref(py))
            }
            FrameKind::Root | FrameKind::Opaque { .. } => return Ok(()),
        };
        if frame.log.is_some() {
            frame.logged(op);
        }
        Ok(())
    }

    fn list_too_long(&mut self, py: Python<'_>) -> PyResult<()> {
        let index = self.stack.len() - 1;
        let frame = &mut self.stack[index];
        let FrameKind::List {
            count, max_length, ..
        } = &frame.kind
        else {
            unreachable!("only a list is too long")
        };
        let display = frame
            .display
            .as_ref()
            .expect("a list frame has a partial")
            .clone_ref(py);
        let errors = self
            .hooks
            .list_too_long
            .call1(py, (display, max_length.unwrap_or(0), *count))?;
        // The item that began is inside the dead list now.
        frame.kind = FrameKind::Opaque {
            nested: 1,
            how: Opaque::Dead,
        };
        let path = self.path_to(py, None)?;
        let step = self.stack[index].step.clone_ref(py);
        self.fail(
            py,
            index - 1,
            &step,
            path,
            errors.bind(py).cast::<PyList>()?,
        )
    }

    // ------------------------------------------------------------------------------------------------------------
    // snapshots

    /// Before the first change after a hand-out: make every open container on the path writable. See
    /// `PartialBuilder._unshare` for the rules; this is the same walk.
    fn unshare(&mut self, py: Python<'_>) -> PyResult<()> {
        self.shared = false;
        let (mut parent_held, mut spare_held, mut parent_moved) = (false, false, false);
        for index in 1..self.stack.len() {
            let parent = index - 1;
            let frame = &self.stack[index];
            if !frame.linked || frame.is_opaque() || frame.display.is_none() {
                (parent_held, spare_held, parent_moved) = (false, false, false);
                continue;
            }
            let display = frame
                .display
                .as_ref()
                .expect("a linked frame has a partial");
            if !(parent_moved || parent_held)
                && frame.spare.is_none()
                && refcount(display) <= ONLY_OURS
            {
                (parent_held, spare_held, parent_moved) = (false, false, false);
                continue;
            }
            let in_display = self.slot(py, parent, false)?;
            let in_spare = self.slot(py, parent, true)?;
            let frame = &self.stack[index];
            let display = frame
                .display
                .as_ref()
                .expect("a linked frame has a partial");
            let this = display.as_ptr();
            let ours = 1 + isize::from(in_display == this) + isize::from(in_spare == this);
            let held = refcount(display) > ours
                || (in_display == this && parent_held)
                || (in_spare == this && spare_held);
            let mut spare_now = false;
            if let Some(spare) = &frame.spare {
                let other = spare.as_ptr();
                let ours = 1 + isize::from(in_display == other) + isize::from(in_spare == other);
                spare_now = refcount(spare) > ours
                    || (in_display == other && parent_held)
                    || (in_spare == other && spare_held);
            }
            let moved = held;
            if held {
                if frame.spare.is_some() && !spare_now {
                    self.catch_up(py, index)?;
                } else {
                    self.branch(py, index)?;
                }
                spare_now = true;
            }
            let display = self.stack[index]
                .display
                .as_ref()
                .expect("a linked frame has a partial")
                .clone_ref(py);
            if in_display != display.as_ptr() {
                self.relink(py, parent, display.bind(py))?;
            }
            (parent_held, spare_held, parent_moved) = (false, spare_now, moved);
        }
        Ok(())
    }

    /// Where frame `index`'s partial (or spare) holds its open child, as an address (null: nowhere).
    fn slot(
        &self,
        py: Python<'_>,
        index: usize,
        spare: bool,
    ) -> PyResult<*mut pyo3::ffi::PyObject> {
        let frame = &self.stack[index];
        let buffer = if spare { &frame.spare } else { &frame.display };
        let Some(buffer) = buffer else {
            return Ok(std::ptr::null_mut());
        };
        let buffer = buffer.bind(py);
        let found = match &frame.kind {
            FrameKind::Root => Some(buffer.clone()),
            FrameKind::Record {
                kind,
                field: Some(field),
                ..
            } => {
                let Node::Record { by_index, .. } = &self.plan.nodes[frame.node] else {
                    unreachable!("a record frame follows a record node")
                };
                get_field(py, *kind, buffer, &by_index[*field])?
            }
            FrameKind::List { shown: true, .. } => {
                let list = buffer.cast::<PyList>()?;
                if list.is_empty() {
                    None
                } else {
                    Some(list.get_item(list.len() - 1)?)
                }
            }
            FrameKind::Dict {
                open_key: Some(key),
                ..
            } => buffer.cast::<PyDict>()?.get_item(key.bind(py))?,
            _ => None,
        };
        // Only compared with other addresses, never dereferenced: the object may go once `found` is dropped.
        Ok(found.map_or(std::ptr::null_mut(), |found| found.as_ptr()))
    }

    /// Put `value`, the open child's partial, where it sits in frame `index`'s partial (not logged).
    fn relink(&mut self, py: Python<'_>, index: usize, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let frame = &mut self.stack[index];
        match &mut frame.kind {
            FrameKind::Root => frame.display = Some(value.clone().unbind()),
            FrameKind::Record {
                kind,
                field: Some(field),
                pending,
                ..
            } => {
                let Some(display) = frame.display.as_ref() else {
                    keep_pending(pending, *field, value);
                    return Ok(());
                };
                let (kind, field) = (*kind, *field);
                let Node::Record { by_index, .. } = &self.plan.nodes[frame.node] else {
                    unreachable!("a record frame follows a record node")
                };
                set_field(
                    py,
                    kind,
                    display.bind(py),
                    &by_index[field],
                    value,
                    &self.hooks.set_dataclass,
                )?;
            }
            FrameKind::List { shown: true, .. } => {
                let list = frame
                    .display
                    .as_ref()
                    .expect("a list frame has a partial")
                    .bind(py);
                let list = list.cast::<PyList>()?;
                list.set_item(list.len() - 1, value)?;
            }
            FrameKind::Dict {
                open_key: Some(key),
                ..
            } => {
                let display = frame.display.as_ref().expect("a dict frame has a partial");
                display.bind(py).set_item(key.bind(py), value)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Bring the spare up to date and make it the one that changes; the partial handed out becomes the spare.
    fn catch_up(&mut self, py: Python<'_>, index: usize) -> PyResult<()> {
        let frame = &mut self.stack[index];
        let log = frame.log.replace(Vec::new()).unwrap_or_default();
        let spare = frame.spare.take().expect("catch_up needs a spare");
        for op in &log {
            self.apply_op(py, index, spare.bind(py), op)?;
        }
        let frame = &mut self.stack[index];
        frame.spare = frame.display.replace(spare);
        frame.model_slots = None;
        Ok(())
    }

    /// Go on with a shallow copy: the partial handed out becomes the spare.
    fn branch(&mut self, py: Python<'_>, index: usize) -> PyResult<()> {
        let frame = &self.stack[index];
        let display = frame
            .display
            .as_ref()
            .expect("a linked frame has a partial")
            .bind(py);
        let copy = match &frame.kind {
            FrameKind::Record { .. } => {
                let Node::Record {
                    shape, cls, blank, ..
                } = &self.plan.nodes[frame.node]
                else {
                    unreachable!("a record frame follows a record node")
                };
                match blank.get() {
                    // Made natively (`new_model_partial`), so copied natively.
                    Some(Some(_)) => copy_model_partial(py, cls.bind(py), display)?.unbind(),
                    _ => self
                        .hooks
                        .copy_partial
                        .call1(py, (shape.bind(py), display))?,
                }
            }
            FrameKind::List { .. } => display
                .cast::<PyList>()?
                .get_slice(0, usize::MAX)
                .into_any()
                .unbind(),
            FrameKind::Dict { .. } => display.cast::<PyDict>()?.copy()?.into_any().unbind(),
            _ => return Ok(()),
        };
        let frame = &mut self.stack[index];
        frame.spare = frame.display.replace(copy);
        frame.model_slots = None;
        frame.log = Some(Vec::new());
        Ok(())
    }

    /// Make a logged change to `buffer`, a partial of frame `index`.
    fn apply_op(
        &self,
        py: Python<'_>,
        index: usize,
        buffer: &Bound<'_, PyAny>,
        op: &Op,
    ) -> PyResult<()> {
        let frame = &self.stack[index];
        let value = |value: &Option<Py<PyAny>>| match value {
            Some(value) => value.bind(py).clone(),
            None => py.None().into_bound(py),
        };
        match (op, &frame.kind) {
            (Op::SetField(field, v), FrameKind::Record { kind, .. }) => {
                let Node::Record { by_index, .. } = &self.plan.nodes[frame.node] else {
                    unreachable!("a record frame follows a record node")
                };
                set_field(
                    py,
                    *kind,
                    buffer,
                    &by_index[*field],
                    &value(v),
                    &self.hooks.set_dataclass,
                )?;
            }
            (Op::UnsetField(field), FrameKind::Record { .. }) => {
                let Node::Record {
                    shape, by_index, ..
                } = &self.plan.nodes[frame.node]
                else {
                    unreachable!("a record frame follows a record node")
                };
                self.hooks
                    .unset_field
                    .call1(py, (shape.bind(py), buffer, by_index[*field].spec.bind(py)))?;
            }
            (Op::Last(v), _) => {
                let list = buffer.cast::<PyList>()?;
                list.set_item(list.len() - 1, value(v))?;
            }
            (Op::Append(v), _) => buffer.cast::<PyList>()?.append(value(v))?,
            (Op::Pop, _) => {
                let list = buffer.cast::<PyList>()?;
                list.del_item(list.len() - 1)?;
            }
            (Op::DictSet(key, v), _) => buffer.set_item(key.bind(py), value(v))?,
            (Op::DictPop(key), _) => {
                buffer.del_item(key.bind(py)).ok();
            }
            _ => {}
        }
        Ok(())
    }

    // ------------------------------------------------------------------------------------------------------------
    // paths

    /// The path of the open child of the innermost frame (`child`), or of that frame itself (`None`).
    fn path_to(&self, py: Python<'_>, child: Option<&TypedStep>) -> PyResult<Py<PyTuple>> {
        let mut elements = Vec::with_capacity(self.stack.len());
        for frame in &self.stack[1..] {
            elements.extend(frame.step.to_py(py)?);
        }
        if let Some(step) = child {
            elements.extend(step.to_py(py)?);
        }
        Ok(PyTuple::new(py, elements)?.unbind())
    }
}

/// How many references `object` has.
fn refcount(object: &Py<PyAny>) -> isize {
    // SAFETY: `object` is a live reference we own (so its pointer is valid for the call), and the GIL is held by
    // every caller (they take `py`); reading the count is what `sys.getrefcount` does.
    unsafe { pyo3::ffi::Py_REFCNT(object.as_ptr()) }
}

/// What a record with no partial yet shows at `field` (the last value shown there).
fn keep_pending(pending: &mut Vec<(usize, Py<PyAny>)>, field: usize, value: &Bound<'_, PyAny>) {
    match pending.iter_mut().find(|(shown, _)| *shown == field) {
        Some((_, shown)) => *shown = value.clone().unbind(),
        None => pending.push((field, value.clone().unbind())),
    }
}

/// Whether an event inside a container shown as parsed changes what it shows: text grew, a container or string
/// began, a string's last fragment came, a number or literal finished (a container was shown already).
fn shows_in_live_value(py: Python<'_>, event: &TypedEvent) -> bool {
    match event {
        TypedEvent::Delta(_) | TypedEvent::Whole(..) => true,
        TypedEvent::Begin(kind, ..) => {
            matches!(kind, JsonKind::Object | JsonKind::Array | JsonKind::String)
        }
        TypedEvent::End(_, true) => true,
        TypedEvent::End(value, false) => {
            let value = value.bind(py);
            !(value.is_instance_of::<PyString>()
                || value.is_instance_of::<PyList>()
                || value.is_instance_of::<PyDict>())
        }
    }
}

/// What `cell` holds, asked of Python (`ask`) the first time (the plan is shared: a failed ask is asked again).
fn asked_once<T>(cell: &OnceLock<T>, ask: impl FnOnce() -> PyResult<T>) -> PyResult<&T> {
    if let Some(value) = cell.get() {
        return Ok(value);
    }
    let value = ask()?;
    Ok(cell.get_or_init(|| value))
}

/// The `validate_json` that validates a record of `node` from its text in one call, if its type allows it (asked
/// of Python the first time: `_native_plan.record_whole_validator`); `None` for other nodes.
pub(crate) fn record_whole_validator<'a>(
    py: Python<'_>,
    node: &'a Node,
    hooks: &Hooks,
) -> PyResult<Option<&'a Py<PyAny>>> {
    let Node::Record { shape, whole, .. } = node else {
        return Ok(None);
    };
    let whole = asked_once(whole, || {
        let validator = hooks.record_whole_validator.call1(py, (shape.bind(py),))?;
        Ok((!validator.is_none(py)).then_some(validator))
    })?;
    Ok(whole.as_ref())
}

/// The same for a list of records of `node` (`_native_plan.record_list_whole_validator`).
fn record_list_whole_validator<'a>(
    py: Python<'_>,
    node: &'a Node,
    hooks: &Hooks,
) -> PyResult<Option<&'a Py<PyAny>>> {
    let Node::Record {
        shape, whole_list, ..
    } = node
    else {
        return Ok(None);
    };
    let whole = asked_once(whole_list, || {
        let validator = hooks
            .record_list_whole_validator
            .call1(py, (shape.bind(py),))?;
        Ok((!validator.is_none(py)).then_some(validator))
    })?;
    Ok(whole.as_ref())
}

/// A fresh partial of the record `node` (of kind `kind`), showing the fields in `pending` (taken from it).
fn record_partial<'py>(
    py: Python<'py>,
    plan: &Plan,
    hooks: &Hooks,
    node: NodeId,
    kind: RecordKind,
    pending: &mut Vec<(usize, Py<PyAny>)>,
) -> PyResult<Bound<'py, PyAny>> {
    let Node::Record {
        shape,
        by_index,
        cls,
        blank,
        ..
    } = &plan.nodes[node]
    else {
        unreachable!("a record frame follows a record node")
    };
    let blank = asked_once(blank, || {
        blank_from_py(hooks.blank_of.call1(py, (shape.bind(py),))?.bind(py))
    })?;
    let display = match blank {
        Some(blank) => new_model_partial(py, cls.bind(py), blank)?,
        None => hooks
            .new_partial
            .call1(py, (shape.bind(py),))?
            .into_bound(py),
    };
    for (field, value) in pending.drain(..) {
        set_field(
            py,
            kind,
            &display,
            &by_index[field],
            value.bind(py),
            &hooks.set_dataclass,
        )?;
    }
    Ok(display)
}

fn opaque(how: Opaque) -> FrameKind {
    FrameKind::Opaque { nested: 0, how }
}

/// `(True, value, given)` or `(False, errors)` from a hook.
fn outcome(result: &Bound<'_, PyAny>) -> PyResult<Outcome> {
    let result = result.cast::<PyTuple>()?;
    if result.get_item(0)?.is_truthy()? {
        let value = result.get_item(1)?;
        let given = if result.len() > 2 {
            result.get_item(2)?
        } else {
            value.clone()
        };
        Ok(Outcome::Valid(value.unbind(), given.unbind()))
    } else {
        Ok(Outcome::Failed(
            result.get_item(1)?.cast_into::<PyList>()?.unbind(),
        ))
    }
}

/// A Literal's or Enum's value for a finished `str` or `int` (never a `bool`: `True == 1`); `None`: ask pydantic.
fn choose<'py>(
    choices: &Bound<'py, PyDict>,
    raw: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    use pyo3::types::PyInt;
    if !(raw.is_exact_instance_of::<PyString>() || raw.is_exact_instance_of::<PyInt>()) {
        return Ok(None);
    }
    Ok(choices.get_item(raw)?.map(|choice| {
        // A Literal's own str or int equals the parsed one: keep that (the record is then validated from the
        // parsed dict as it is); an Enum gives its member.
        if choice.is_exact_instance_of::<PyString>() || choice.is_exact_instance_of::<PyInt>() {
            raw.clone()
        } else {
            choice
        }
    }))
}

/// A plain scalar of its own JSON kind, checked without Python: the value itself (an `int` for a `float` field
/// becomes the float pydantic's JSON parser gives for it, while that is exact). `None`: ask pydantic.
fn check_plain<'py>(
    py: Python<'py>,
    plain: Plain,
    raw: &Bound<'py, PyAny>,
) -> Option<Bound<'py, PyAny>> {
    use pyo3::types::{PyBool, PyFloat, PyInt};
    let ok = match plain {
        Plain::Str => raw.is_exact_instance_of::<PyString>(),
        Plain::Int => raw.is_exact_instance_of::<PyInt>(),
        Plain::Float => {
            if raw.is_exact_instance_of::<PyFloat>() {
                true
            } else if raw.is_exact_instance_of::<PyInt>() {
                // Up to 2**53 an integer converts exactly; beyond, pydantic's JSON parser rounds its own way.
                let exact = raw
                    .extract::<i64>()
                    .ok()
                    .filter(|v| v.unsigned_abs() <= 1 << 53)?;
                return Some(PyFloat::new(py, exact as f64).into_any());
            } else {
                false
            }
        }
        Plain::Bool => raw.is_exact_instance_of::<PyBool>(),
        Plain::None => raw.is_none(),
    };
    ok.then(|| raw.clone())
}
