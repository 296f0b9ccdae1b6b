//! Builds the partial Python value from the core's events, once: containers are created when they open and
//! grown in place, finished values are converted once and never touched again. Only the open string is
//! rebuilt, and only when someone reads the value after it grew.

use midstream_core::{Event, Reject, ScalarKind, Sink};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::events::{EventKind, EventLog};
use crate::skip::{step_of, Followed, Skipping};
use crate::strings::{KeyCache, TextBuffer};
use crate::typed::event::{JsonKind, TypedEvent, TypedStep};

/// An open array or object on the path from the root to the value being written.
pub(crate) struct Frame {
    container: Container,
    /// Objects: the key of the current (or last) member.
    key: Option<Py<PyString>>,
    /// Arrays: number of elements attached so far, in the document (forgotten ones included), so the child
    /// index in paths is its document position even when finished children are dropped.
    len: usize,
    /// A child value has begun and not finished.
    child_open: bool,
    /// That child is already in the container (arrays, objects and strings are; numbers and literals are not
    /// until they finish).
    child_attached: bool,
    /// This container is at the `forget_items_at` path: each child is dropped from it once it has finished (and
    /// its `end` event was recorded), so the container holds at most the one open child. Decided once, when the
    /// frame is pushed.
    forget_children: bool,
    /// Where it is in the typed layer's plan (`skipping` only).
    followed: Followed,
}

enum Container {
    Dict(Py<PyDict>),
    List(Py<PyList>),
}

impl Frame {
    fn container<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        match &self.container {
            Container::Dict(dict) => dict.bind(py).clone().into_any(),
            Container::List(list) => list.bind(py).clone().into_any(),
        }
    }

    /// Where the child being written (or about to be) sits: its key, or its index.
    fn child_step(&self) -> Option<Step<'_>> {
        match &self.container {
            Container::Dict(_) => self.key.as_ref().map(Step::Key),
            Container::List(_) => Some(Step::Index(if self.child_open && self.child_attached {
                self.len - 1
            } else {
                self.len
            })),
        }
    }

    /// Where the open (attached) child sits in the container itself: its key, or its list position. The open
    /// child of an array is always the list's last element; its position is its document index `len - 1`, except
    /// in a forgetting array, which holds only that child.
    fn open_slot<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        match &self.container {
            Container::Dict(_) => match &self.key {
                Some(key) => key.bind(py).clone().into_any(),
                None => py.None().into_bound(py),
            },
            Container::List(list) => last_position(list.bind(py))
                .into_pyobject(py)
                .expect("usize converts")
                .into_any(),
        }
    }

    /// Whether this container's current child is at `element` (compared when a container opens, no allocation).
    fn child_is(&self, py: Python<'_>, element: &PathElement) -> bool {
        match (self.child_step(), element) {
            (Some(Step::Key(key)), PathElement::Key(wanted)) => {
                key.is(wanted) || key.bind(py).as_any().eq(wanted.bind(py)).unwrap_or(false)
            }
            (Some(Step::Index(index)), PathElement::Index(wanted)) => index == *wanted,
            _ => false,
        }
    }

    /// A forgetting container's child finished (its `end` event is recorded): drop it.
    fn drop_finished_child(&self, py: Python<'_>) -> PyResult<()> {
        match &self.container {
            Container::Dict(dict) => {
                let key = self.key.as_ref().expect("an object member has a key");
                dict.bind(py).del_item(key)
            }
            // The finished child is the only element: every one before it was dropped when it finished.
            Container::List(list) => list.bind(py).del_item(0),
        }
    }

    /// Arrays: how many children have finished (the document index of the open or next child).
    fn finished_children(&self) -> usize {
        match self.child_step() {
            Some(Step::Index(index)) => index,
            _ => 0,
        }
    }

    /// The child's key or index as a Python object (for event paths).
    fn child_element<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        match self.child_step() {
            Some(step) => step.to_py(py),
            None => py.None().into_bound(py),
        }
    }
}

/// One element of a path given from Python (`forget_items_at`): an object key or an array index.
pub(crate) enum PathElement {
    Key(Py<PyString>),
    Index(usize),
}

/// Where a path element points in an open frame, for comparisons without building Python objects.
pub(crate) enum Step<'a> {
    Key(&'a Py<PyString>),
    Index(usize),
}

impl Step<'_> {
    fn to_py<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        match self {
            Step::Key(key) => key.bind(py).clone().into_any(),
            Step::Index(index) => index.into_pyobject(py).expect("usize converts").into_any(),
        }
    }
}

/// Below this many bytes an open string is decoded whole on every read; above, it grows by appending.
const APPEND_FROM_BYTES: usize = 256;

#[derive(Default)]
pub(crate) struct Builder {
    pub(crate) root: Option<Py<PyAny>>,
    pub(crate) frames: Vec<Frame>,
    /// Text of the open key or string value.
    text: TextBuffer,
    /// A string value is open and attached to its parent (or is the root).
    string_open: bool,
    /// The open string grew since it was last stored into its parent.
    string_dirty: bool,
    /// The open string is in its parent (or is the root). It is put there only when the value is read, or when it
    /// ends: a string that begins and ends within one feed is stored once, never as "" first.
    string_attached: bool,
    /// The `str` last stored for the open string, and how many bytes of `text` it holds: a long string grows by
    /// appending the new fragment to it (a copy of same-width characters) instead of decoding all its UTF-8 again.
    shown_string: Option<(Py<PyString>, usize)>,
    keys: KeyCache,
    pub(crate) events: Option<EventLog>,
    /// The typed layer's events (`TypedParser`): plain Rust values, no Python object per event.
    pub(crate) typed: Option<Vec<TypedEvent>>,
    /// How much of the open string the typed layer has seen.
    typed_delta_from: usize,
    /// The offset in the whole input of the bracket whose event comes next (`Sink::bracket_at`).
    bracket: u64,
    /// `forget_items_at`: the path of the container whose finished children are dropped.
    forget_path: Option<Vec<PathElement>>,
    /// The last forgetting array that dropped a child, and how many it dropped (for `is_complete` after it
    /// finished).
    forgotten_list: Option<(Py<PyList>, usize)>,
    /// The typed layer's plan, followed to skip the records it validates from their text (`skip`).
    pub(crate) skipping: Option<Skipping>,
}

impl Builder {
    pub(crate) fn new(events: bool, forget_path: Option<Vec<PathElement>>) -> Self {
        Builder {
            events: events.then(EventLog::default),
            typed: None,
            forget_path,
            ..Builder::default()
        }
    }

    /// If `list` is a forgetting array (open, or the last one that finished), how many of its children have
    /// finished and were dropped: the document index of `list[0]`.
    pub(crate) fn dropped_children(&self, list: &Bound<'_, PyList>) -> Option<usize> {
        self.forget_path.as_ref()?;
        let open = self.frames.iter().find(|frame| {
            frame.forget_children
                && matches!(&frame.container, Container::List(open) if list.is(open))
        });
        if let Some(frame) = open {
            return Some(frame.finished_children());
        }
        match &self.forgotten_list {
            Some((finished, count)) if list.is(finished) => Some(*count),
            _ => None,
        }
    }

    /// Whether a container opening now (its frame not pushed yet) is at the `forget_items_at` path.
    fn opens_at_forget_path(&self, py: Python<'_>) -> bool {
        let Some(path) = &self.forget_path else {
            return false;
        };
        path.len() == self.frames.len()
            && self
                .frames
                .iter()
                .zip(path)
                .all(|(frame, element)| frame.child_is(py, element))
    }

    /// The value now: O(1), plus O(length) of the open string if it grew since the last read (and, with
    /// `skipping`, the values of the records skipped since the last read, built from their text).
    pub(crate) fn value(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.fill_holes(py)?;
        self.store_open_string(py)?;
        Ok(match &self.root {
            Some(root) => root.clone_ref(py),
            None => py.None(),
        })
    }

    /// A copy independent of later feeds: open containers are copied (shallowly), finished values shared.
    pub(crate) fn snapshot(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let value = self.value(py)?;
        if self.frames.is_empty() {
            return Ok(value);
        }
        self.copy_open(py, 0)
    }

    /// The same for the open container at `depth` (0: the root's), with the open ones below it.
    pub(crate) fn snapshot_below(&mut self, py: Python<'_>, depth: usize) -> PyResult<Py<PyAny>> {
        self.fill_holes(py)?;
        self.store_open_string(py)?;
        self.copy_open(py, depth)
    }

    fn fill_holes(&mut self, py: Python<'_>) -> PyResult<()> {
        match &mut self.skipping {
            Some(skipping) if skipping.has_holes() => skipping.fill_holes(py, &mut self.root),
            _ => Ok(()),
        }
    }

    /// The typed layer follows the skipped record with text `text` part by part after all: its events, its
    /// untyped value put in its place (`Skipping::expand`).
    pub(crate) fn expand(
        &mut self,
        py: Python<'_>,
        text: &Py<pyo3::types::PyBytes>,
    ) -> PyResult<Vec<TypedEvent>> {
        match &mut self.skipping {
            Some(skipping) => skipping.expand(py, text, &mut self.root),
            None => Ok(Vec::new()),
        }
    }

    /// A whole document the typed layer validated in one call (`TypedParser`'s one-chunk path): its text is the
    /// root's placeholder, built when the value is read, like a skipped record's.
    pub(crate) fn skipped_root(&mut self, py: Python<'_>, text: &[u8]) {
        let text = pyo3::types::PyBytes::new(py, text);
        self.root = Some(text.clone().into_any().unbind());
        if let Some(skipping) = &mut self.skipping {
            skipping.hole(None, None, text.unbind());
        }
    }

    /// With `skipping`: an event of the chunk `chunk` that the record being skipped swallows, or the `{` of a
    /// record to skip (its placeholder attached, the typed layer told). Whether the event was taken.
    fn skip_event(&mut self, py: Python<'_>, event: &Event<'_>, chunk: &[u8]) -> PyResult<bool> {
        let Some(skipping) = &mut self.skipping else {
            return Ok(false);
        };
        if let Some(depth) = skipping.active {
            skipping.active = match event {
                Event::BeginObject | Event::BeginArray => Some(depth + 1),
                Event::EndObject | Event::EndArray if depth > 0 => Some(depth - 1),
                Event::EndObject | Event::EndArray => None,
                _ => Some(depth),
            };
            if skipping.active.is_none() {
                self.child_done(py)?; // its `}`: the record is in place (as its placeholder)
            }
            return Ok(true);
        }
        if !matches!(event, Event::BeginObject) {
            return Ok(false);
        }
        let followed = match self.frames.last() {
            Some(frame) => frame.followed,
            None => Followed {
                node: None,
                child: Some(skipping.plan.root),
            },
        };
        let Some(node) = followed.child_node(&skipping.plan, JsonKind::Object) else {
            return Ok(false);
        };
        let Some(text) = skipping.whole_text(py, node, self.bracket, self.frames.len(), chunk)?
        else {
            return Ok(false);
        };
        let text = pyo3::types::PyBytes::new(py, text);
        let step = step_of(self.frames.last().and_then(Frame::child_step), py);
        let (container, slot) = match self.frames.last() {
            None => (None, None),
            Some(frame) => {
                let slot = match (&frame.container, &frame.key) {
                    (Container::Dict(_), Some(key)) => key.clone_ref(py).into_any(),
                    _ => frame.len.into_pyobject(py)?.into_any().unbind(),
                };
                (Some(frame.container(py).unbind()), Some(slot))
            }
        };
        self.attach(py, text.as_any())?;
        if let Some(log) = &mut self.typed {
            log.push(TypedEvent::Whole(step, text.clone().unbind()));
        }
        let skipping = self.skipping.as_mut().expect("checked above");
        skipping.hole(container, slot, text.unbind());
        skipping.active = Some(0);
        Ok(true)
    }

    fn copy_open(&self, py: Python<'_>, depth: usize) -> PyResult<Py<PyAny>> {
        let frames = &self.frames[depth..];
        let mut copies = Vec::with_capacity(frames.len());
        for frame in frames {
            copies.push(match &frame.container {
                Container::Dict(dict) => dict.bind(py).copy()?.into_any(),
                Container::List(list) => list.bind(py).get_slice(0, list.bind(py).len()).into_any(),
            });
        }
        for (index, frame) in frames.iter().enumerate().take(frames.len() - 1) {
            copies[index].set_item(frame.open_slot(py), &copies[index + 1])?;
        }
        Ok(copies.swap_remove(0).unbind())
    }

    /// The path of the value being written; `awaiting` is true when the next child's place is known (after a
    /// key or an array comma) but it has not begun.
    pub(crate) fn path<'py>(
        &self,
        py: Python<'py>,
        awaiting: bool,
    ) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(
            py,
            self.open_steps(awaiting).iter().map(|step| step.to_py(py)),
        )
    }

    /// The open path as steps: every open container's current child, and the innermost container's child too
    /// if it has begun or its place is known (`awaiting`).
    pub(crate) fn open_steps(&self, awaiting: bool) -> Vec<Step<'_>> {
        let last = self.frames.len().saturating_sub(1);
        self.frames
            .iter()
            .enumerate()
            .filter(|&(depth, frame)| depth < last || frame.child_open || awaiting)
            .filter_map(|(_, frame)| frame.child_step())
            .collect()
    }

    fn store_open_string(&mut self, py: Python<'_>) -> PyResult<()> {
        if !self.string_dirty {
            return Ok(());
        }
        let string = self.open_string(py)?.into_any();
        self.store_string(py, &string)?;
        self.string_dirty = false;
        Ok(())
    }

    /// Put the open string's current `str` in its place: attach it the first time, replace it after that.
    fn store_string(&mut self, py: Python<'_>, string: &Bound<'_, PyAny>) -> PyResult<()> {
        if self.string_attached {
            self.replace_open_child(py, string.clone())
        } else {
            self.string_attached = true;
            self.attach(py, string)
        }
    }

    /// The open string's text as a `str`: decoded whole while short, else the last one shown plus what came since.
    fn open_string<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        let string = match &self.shown_string {
            Some((shown, covered)) if *covered >= APPEND_FROM_BYTES => {
                let fragment = self.text.to_py(py, *covered)?;
                shown
                    .bind(py)
                    .as_any()
                    .add(fragment)?
                    .cast_into::<PyString>()?
            }
            _ => self.text.to_py(py, 0)?,
        };
        self.shown_string = Some((string.clone().unbind(), self.text.len()));
        Ok(string)
    }

    /// Put `value` where the open (attached) child is: the root, the object member, or the last array element.
    fn replace_open_child(&mut self, py: Python<'_>, value: Bound<'_, PyAny>) -> PyResult<()> {
        match self.frames.last() {
            None => self.root = Some(value.unbind()),
            Some(frame) => match &frame.container {
                Container::Dict(dict) => {
                    let key = frame.key.as_ref().expect("an object member has a key");
                    dict.bind(py).set_item(key, value)?;
                }
                Container::List(list) => {
                    let list = list.bind(py);
                    list.set_item(last_position(list), value)?;
                }
            },
        }
        Ok(())
    }

    /// Add a child to the innermost open container (or make it the root). The child counts as open until
    /// `child_done`, so events recorded in between carry its path.
    fn attach(&mut self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        match self.frames.last_mut() {
            None => self.root = Some(value.clone().unbind()),
            Some(frame) => {
                match &frame.container {
                    Container::Dict(dict) => {
                        let key = frame.key.as_ref().expect("an object member has a key");
                        dict.bind(py).set_item(key, value)?;
                    }
                    Container::List(list) => {
                        list.bind(py).append(value)?;
                        frame.len += 1;
                    }
                }
                frame.child_open = true;
                frame.child_attached = true;
            }
        }
        Ok(())
    }

    /// The innermost container's child has finished (and its `end` event is recorded): a forgetting container
    /// drops it now.
    fn child_done(&mut self, py: Python<'_>) -> PyResult<()> {
        if let Some(frame) = self.frames.last_mut() {
            frame.child_open = false;
            if frame.forget_children {
                frame.drop_finished_child(py)?;
                // Remembered for `is_complete` once the array has finished (and its frame is gone). An array
                // that never dropped a child needs no record: it holds everything it had.
                if let Container::List(list) = &frame.container {
                    self.forgotten_list = Some((list.clone_ref(py), frame.len));
                }
            }
        }
        Ok(())
    }

    /// `record` of a `begin` event: its kind's name is made only when events are kept (not per value otherwise).
    fn record_begin(&mut self, py: Python<'_>, kind: JsonKind) -> PyResult<()> {
        if self.events.is_none() {
            return Ok(());
        }
        self.record(py, EventKind::Begin, EventKind::type_name(py, kind))
    }

    fn record(&mut self, py: Python<'_>, kind: EventKind, value: Bound<'_, PyAny>) -> PyResult<()> {
        if self.events.is_none() {
            return Ok(());
        }
        let path = self.child_path(py)?;
        if let Some(events) = &mut self.events {
            events.push(py, kind, path, value)?;
        }
        Ok(())
    }

    /// A value began (typed events): its kind, where it sits, and an object's dict (the typed layer validates a
    /// record from it when its fields are all as parsed).
    fn typed_begin(&mut self, py: Python<'_>, kind: JsonKind, object: Option<&Bound<'_, PyAny>>) {
        let Some(log) = &mut self.typed else {
            return;
        };
        let step = match self.frames.last().and_then(Frame::child_step) {
            None => TypedStep::Root,
            Some(Step::Key(key)) => TypedStep::Key(key.clone_ref(py)),
            Some(Step::Index(index)) => TypedStep::Index(index),
        };
        log.push(TypedEvent::Begin(
            kind,
            step,
            object.map(|raw| raw.clone().unbind()),
        ));
    }

    /// A value finished (typed events).
    fn typed_end(&mut self, value: &Bound<'_, PyAny>, grew: bool) {
        if let Some(log) = &mut self.typed {
            log.push(TypedEvent::End(value.clone().unbind(), grew));
        }
    }

    /// The open string grew since the typed layer last saw it: tell it the whole text so far.
    fn typed_flush(&mut self, py: Python<'_>) -> PyResult<()> {
        if self.typed.is_none() || !self.string_open || self.typed_delta_from >= self.text.len() {
            return Ok(());
        }
        // Not stored into the value here: a read of `value` does that (and the typed layer rarely reads it).
        let string = self.open_string(py)?;
        self.typed_delta_from = self.text.len();
        if let Some(log) = &mut self.typed {
            log.push(TypedEvent::Delta(string.unbind()));
        }
        Ok(())
    }

    /// The path of the innermost container's current child (or `()` for the root).
    fn child_path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.frames.iter().map(|frame| frame.child_element(py)))
    }

    /// Send the part of the open string not yet reported as a delta event.
    pub(crate) fn flush_delta(&mut self, py: Python<'_>) -> PyResult<()> {
        self.typed_flush(py)?;
        let Some(events) = &self.events else {
            return Ok(());
        };
        if !self.string_open || events.delta_from >= self.text.len() {
            return Ok(());
        }
        let delta = self.text.to_py(py, events.delta_from)?.into_any();
        let end = self.text.len();
        self.record(py, EventKind::Delta, delta)?;
        if let Some(events) = &mut self.events {
            events.delta_from = end;
        }
        Ok(())
    }

    fn on_event(&mut self, py: Python<'_>, event: Event<'_>) -> PyResult<()> {
        match event {
            Event::Fragment(text) => {
                self.text.push_str(text);
                self.string_dirty = self.string_open;
            }
            Event::BeginObject => self.open(py, true)?,
            Event::BeginArray => self.open(py, false)?,
            Event::EndObject | Event::EndArray => {
                let frame = self.frames.pop().expect("the core balances containers");
                let value = frame.container(py);
                self.typed_end(&value, false);
                self.record(py, EventKind::End, value)?;
                self.child_done(py)?;
            }
            Event::BeginKey => self.text.clear(),
            Event::EndKey => {
                let key = match self.text.as_str() {
                    Some(text) => self.keys.get(py, text),
                    None => self.text.to_py(py, 0)?,
                };
                if let Some(frame) = self.frames.last_mut() {
                    frame.key = Some(key.unbind());
                    if let Some(skipping) = &self.skipping {
                        frame.followed.key(&skipping.plan, self.text.as_str());
                    }
                }
            }
            Event::BeginString => {
                self.text.clear();
                self.shown_string = None;
                if let Some(frame) = self.frames.last_mut() {
                    frame.child_open = true;
                    frame.child_attached = false;
                }
                self.string_open = true;
                self.string_attached = false;
                self.string_dirty = true; // a read now shows "" in its place
                if let Some(events) = &mut self.events {
                    events.delta_from = 0;
                }
                self.typed_delta_from = 0;
                self.typed_begin(py, JsonKind::String, None);
                self.record_begin(py, JsonKind::String)?;
            }
            Event::EndString => {
                // The typed layer takes the finished string from its end: no growth to report before it, only
                // whether there was some since the last report.
                let grew = self.typed_delta_from < self.text.len();
                self.typed_delta_from = usize::MAX;
                self.flush_delta(py)?;
                let string = self.open_string(py)?.into_any();
                self.shown_string = None;
                self.store_string(py, &string)?;
                self.string_open = false;
                self.string_attached = false;
                self.string_dirty = false;
                self.typed_end(&string, grew);
                self.record(py, EventKind::End, string)?;
                self.child_done(py)?;
            }
            Event::LoneSurrogate(unit) => {
                self.text.push_surrogate(unit);
                self.string_dirty = self.string_open;
            }
            Event::Begin(kind) => {
                if let Some(frame) = self.frames.last_mut() {
                    frame.child_open = true;
                    frame.child_attached = false;
                }
                let json_kind = match kind {
                    ScalarKind::Number => JsonKind::Number,
                    ScalarKind::Bool => JsonKind::Boolean,
                    ScalarKind::Null => JsonKind::Null,
                };
                self.typed_begin(py, json_kind, None);
                self.record_begin(py, json_kind)?;
            }
            Event::Number(number) => {
                let value = convert_number(py, number.text, number.is_integer)?;
                self.finish_scalar(py, value)?;
            }
            Event::Bool(b) => {
                let value = pyo3::types::PyBool::new(py, b).to_owned().into_any();
                self.finish_scalar(py, value)?;
            }
            Event::Null => self.finish_scalar(py, py.None().into_bound(py))?,
        }
        Ok(())
    }

    fn finish_scalar(&mut self, py: Python<'_>, value: Bound<'_, PyAny>) -> PyResult<()> {
        self.attach(py, &value)?;
        self.typed_end(&value, false);
        self.record(py, EventKind::End, value)?;
        self.child_done(py)
    }

    fn open(&mut self, py: Python<'_>, object: bool) -> PyResult<()> {
        let (container, value) = if object {
            let dict = PyDict::new(py);
            (Container::Dict(dict.clone().unbind()), dict.into_any())
        } else {
            let list = PyList::empty(py);
            (Container::List(list.clone().unbind()), list.into_any())
        };
        self.attach(py, &value)?;
        if object {
            self.typed_begin(py, JsonKind::Object, Some(&value));
        } else {
            self.typed_begin(py, JsonKind::Array, None);
        }
        self.record_begin(
            py,
            if object {
                JsonKind::Object
            } else {
                JsonKind::Array
            },
        )?;
        let forget_children = self.opens_at_forget_path(py);
        let followed = match &self.skipping {
            Some(skipping) => {
                let parent = match self.frames.last() {
                    Some(frame) => frame.followed,
                    None => Followed {
                        node: None,
                        child: Some(skipping.plan.root),
                    },
                };
                let kind = if object {
                    JsonKind::Object
                } else {
                    JsonKind::Array
                };
                Followed::container(&skipping.plan, parent.child_node(&skipping.plan, kind))
            }
            None => Followed::default(),
        };
        self.frames.push(Frame {
            container,
            key: None,
            len: 0,
            child_open: false,
            child_attached: false,
            forget_children,
            followed,
        });
        Ok(())
    }
}

/// The position of a list's last element (where an array's open child is).
fn last_position(list: &Bound<'_, PyList>) -> usize {
    list.len().saturating_sub(1)
}

fn convert_number<'py>(
    py: Python<'py>,
    text: &str,
    is_integer: bool,
) -> PyResult<Bound<'py, PyAny>> {
    if is_integer {
        if text.len() <= 18 {
            if let Ok(small) = text.parse::<i64>() {
                return Ok(small.into_pyobject(py)?.into_any());
            }
        }
        // Python's own int() keeps big integers exact and enforces sys.get_int_max_str_digits(). A JSON integer
        // can only fail that limit: say so in words that do not change with the Python version.
        return py.get_type::<PyInt>().call1((text,)).map_err(|error| {
            if !error.is_instance_of::<pyo3::exceptions::PyValueError>(py) {
                return error;
            }
            let digits = text.trim_start_matches('-').len();
            let ours = pyo3::exceptions::PyValueError::new_err(format!(
                "an integer of {digits} digits is over Python's limit for integers from text \
                 (sys.set_int_max_str_digits() raises it)"
            ));
            ours.set_cause(py, Some(error));
            ours
        });
    }
    // Rust's parser rounds correctly, as Python's float() does; out-of-range values become inf, as in json.loads.
    match text.parse::<f64>() {
        Ok(float) => Ok(PyFloat::new(py, float).into_any()),
        Err(_) => py.get_type::<PyFloat>().call1((text,)),
    }
}

/// The builder as a core [`Sink`] for the duration of one `feed`, holding the GIL token.
pub(crate) struct Feeding<'a, 'py> {
    pub(crate) py: Python<'py>,
    pub(crate) builder: &'a mut Builder,
    /// A Python exception raised while building (kept whole so its type survives).
    pub(crate) failure: Option<PyErr>,
    /// The chunk being fed (what a record skipped whole is cut from: `Builder::skipping`).
    pub(crate) chunk: &'a [u8],
}

impl Sink for Feeding<'_, '_> {
    #[inline]
    fn bracket_at(&mut self, offset: u64) {
        self.builder.bracket = offset;
    }

    #[inline]
    fn event(&mut self, event: Event<'_>) -> Result<(), Reject> {
        let skips = match &self.builder.skipping {
            Some(skipping) => skipping.active.is_some() || matches!(event, Event::BeginObject),
            None => false,
        };
        if skips {
            match self.builder.skip_event(self.py, &event, self.chunk) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(error) => {
                    let message = error.to_string();
                    self.failure = Some(error);
                    return Err(Reject(message));
                }
            }
        }
        self.builder.on_event(self.py, event).map_err(|error| {
            let message = error.to_string();
            self.failure = Some(error);
            Reject(message)
        })
    }
}
