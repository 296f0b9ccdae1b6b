//! `midstream.Parser`: the core state machine plus the incremental Python value.

use midstream_core::{ErrorKind, Event as CoreEvent, Options, Reject, Sink};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyInt, PyList, PyString, PyTuple};

use std::sync::Arc;

use crate::builder::{Builder, Feeding, PathElement, Step};
use crate::chunks::{read_chunk, Chunk};
use crate::errors::to_py_err;
use crate::events::Event;
use crate::skip::{read_our_own_way, Skipping};
use crate::typed::builder::Hooks;
use crate::typed::event::TypedEvent;
use crate::typed::plan::Plan;

/// A push-fed JSON parser holding the partial value of everything fed so far.
///
/// ```python
/// parser = Parser()
/// parser.feed('{"title": "Hel')
/// parser.value          # {'title': 'Hel'}
/// parser.is_complete(("title",))   # False
/// ```
///
/// `forget_items_at=path` drops each child of the array or object at `path` once it has finished (after its
/// `end` event), so one big array can be streamed with bounded memory; paths keep their document indices.
#[pyclass(module = "midstream", name = "Parser")]
pub(crate) struct Parser {
    core: midstream_core::Parser,
    builder: Builder,
    finished: bool,
    /// The Python exception behind a sticky `Rejected` error, attached as the cause every time it is raised.
    cause: Option<PyErr>,
    /// `drain_patches`' state: a `midstream.patch.ParserPatches` over this parser, made at the first call (it
    /// refers back to the parser: `__traverse__` and `__clear__` let the cycle collector see the cycle).
    patches: Option<Py<PyAny>>,
}

#[pymethods]
impl Parser {
    #[new]
    #[pyo3(signature = (
        *,
        max_depth = midstream_core::DEFAULT_MAX_DEPTH,
        allow_nan = false,
        events = false,
        forget_items_at = None,
    ))]
    fn new(
        max_depth: usize,
        allow_nan: bool,
        events: bool,
        forget_items_at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let forget_path = forget_items_at.map(forget_path).transpose()?;
        let options = Options::default().max_depth(max_depth).allow_nan(allow_nan);
        Ok(Parser {
            core: midstream_core::Parser::with_options(options),
            builder: Builder::new(events, forget_path),
            finished: false,
            cause: None,
            patches: None,
        })
    }

    /// Feed the next chunk (`bytes`, `bytearray`, `memoryview` or `str`, cut anywhere).
    pub(crate) fn feed(&mut self, py: Python<'_>, chunk: &Bound<'_, PyAny>) -> PyResult<()> {
        match read_chunk(chunk)? {
            Chunk::Bytes(bytes) => self.feed_bytes(py, &bytes),
            Chunk::Text(text) => self.feed_bytes(py, text.as_bytes()),
            // Lone surrogates: passed through as (invalid) UTF-8, so the error has an offset.
            Chunk::Surrogates(text) => {
                let encoded = text.call_method1("encode", ("utf-8", "surrogatepass"))?;
                self.feed_bytes(py, encoded.cast::<PyBytes>()?.as_bytes())
            }
        }
    }

    /// The partial value: `None` before the root begins. This is the live object, extended in place by later
    /// feeds (finished parts never change); use `snapshot()` for a copy that stays as it is.
    #[getter]
    pub(crate) fn value(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.builder.value(py)
    }

    /// A copy of the partial value that later feeds will not change. Copies only the open containers (the
    /// path being written); finished values are shared with `value`.
    fn snapshot(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.builder.snapshot(py)
    }

    /// The path (keys and indices) of the value being written now; `()` is the root.
    #[getter]
    pub(crate) fn path<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        self.builder.path(py, self.core.is_awaiting_value())
    }

    /// Whether the value at `path` has finished. False for values not begun yet.
    #[pyo3(signature = (path = None))]
    pub(crate) fn is_complete(
        &mut self,
        py: Python<'_>,
        path: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let path: Vec<Bound<'_, PyAny>> = match path {
            None => Vec::new(),
            Some(path) if path.cast::<PyString>().is_ok() => {
                return Err(PyTypeError::new_err(
                    "path must be a tuple of keys and indices, not a str",
                ));
            }
            Some(path) => path.try_iter()?.collect::<PyResult<_>>()?,
        };
        for element in &path {
            if element.cast::<PyString>().is_err() && element.cast::<PyInt>().is_err() {
                return Err(PyTypeError::new_err(format!(
                    "path elements must be str keys or int indices, not {}",
                    element.get_type().name()?
                )));
            }
        }
        if self.core.is_root_pending() {
            return Ok(false);
        }
        if !self.core.is_root_complete() {
            let open = self.builder.open_steps(self.core.is_awaiting_value());
            let on_open_path = path.len() <= open.len()
                && path
                    .iter()
                    .zip(&open)
                    .all(|(element, step)| step_matches(py, element, step));
            if on_open_path {
                return Ok(false);
            }
            if self.builder.root.is_none() {
                return Ok(false);
            }
        }
        let mut current = self.builder.value(py)?.into_bound(py);
        for (depth, element) in path.iter().enumerate() {
            let next = if let Ok(dict) = current.cast::<PyDict>() {
                if element.cast::<PyString>().is_err() {
                    return Ok(false);
                }
                dict.get_item(element)?
            } else if let Ok(list) = current.cast::<PyList>() {
                match element.extract::<usize>() {
                    Ok(index) if element.cast::<pyo3::types::PyBool>().is_err() => {
                        // A forgetting array holds only its open child: the items before it finished and were
                        // dropped. Such an item is complete; what was inside it can no longer be checked.
                        let dropped = self.builder.dropped_children(list).unwrap_or(0);
                        if index < dropped {
                            return Ok(depth + 1 == path.len());
                        }
                        list.get_item(index - dropped).ok()
                    }
                    _ => return Ok(false),
                }
            } else {
                None
            };
            match next {
                Some(next) => current = next,
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    /// Declare the end of the input and return the final value. Raises `IncompleteJSONError` if the document is
    /// cut short, `JSONError` if it was malformed.
    pub(crate) fn finish(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.finish_input(py)?;
        self.value(py)
    }

    /// True once the root value is complete.
    #[getter]
    fn done(&self) -> bool {
        self.core.is_root_complete()
    }

    /// Number of bytes fed so far (UTF-8 bytes for `str` chunks).
    #[getter]
    pub(crate) fn offset(&self) -> u64 {
        self.core.offset()
    }

    /// The events recorded since the last call (requires `Parser(events=True)`).
    fn drain_events(&mut self) -> PyResult<Vec<Py<Event>>> {
        match &mut self.builder.events {
            Some(log) => Ok(std::mem::take(&mut log.items)),
            None => Err(PyValueError::new_err(
                "events are off: create the parser with Parser(events=True)",
            )),
        }
    }

    /// The JSON Patch operations (`midstream.patch`) that turn `value` at the last call (`None` before the first)
    /// into `value` now: `ParserPatches(parser).drain(format)`, kept with the parser. Needs `Parser(events=True)`,
    /// whose events it takes (drain them in one place only).
    #[pyo3(signature = (format = "midstream"))]
    fn drain_patches(slf: &Bound<'_, Self>, format: &str) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let existing = slf.borrow().patches.as_ref().map(|made| made.clone_ref(py));
        let patches = match existing {
            Some(made) => made,
            None => {
                let made = py
                    .import("midstream.patch")?
                    .getattr("ParserPatches")?
                    .call1((slf,))?
                    .unbind();
                slf.borrow_mut().patches = Some(made.clone_ref(py));
                made
            }
        };
        Ok(patches.bind(py).call_method1("drain", (format,))?.unbind())
    }

    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Some(patches) = &self.patches {
            visit.call(patches)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.patches = None;
    }

    fn __repr__(&self) -> String {
        let state = if self.core.error().is_some() {
            "failed"
        } else if self.core.is_root_complete() {
            "complete"
        } else {
            "partial"
        };
        format!(
            "<midstream.Parser {state}, {} bytes fed>",
            self.core.offset()
        )
    }
}

impl Parser {
    /// A parser whose value builder also keeps the typed layer's events (see `typed`), and follows its plan to skip
    /// the records it validates from their text (see `skip`).
    pub(crate) fn for_typed(
        max_depth: usize,
        allow_nan: bool,
        plan: Arc<Plan>,
        hooks: Arc<Hooks>,
    ) -> PyResult<Self> {
        let mut parser = Parser::new(max_depth, allow_nan, false, None)?;
        parser.builder.typed = Some(Vec::new());
        let options = parser.core.options().clone();
        parser.builder.skipping = Some(Skipping::new(plan, hooks, options));
        Ok(parser)
    }

    /// A skipped record the typed layer follows part by part after all (`Builder::expand`).
    pub(crate) fn expand(
        &mut self,
        py: Python<'_>,
        text: &Py<PyBytes>,
    ) -> PyResult<Vec<TypedEvent>> {
        self.builder.expand(py, text)
    }

    /// The typed layer's events since the last call.
    pub(crate) fn take_typed_events(&mut self) -> Vec<crate::typed::event::TypedEvent> {
        self.builder
            .typed
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// A copy of the open container at `depth` of the value (and of the open ones below it), that later feeds
    /// will not change.
    pub(crate) fn copy_below(&mut self, py: Python<'_>, depth: usize) -> PyResult<Py<PyAny>> {
        self.builder.snapshot_below(py, depth)
    }

    /// `finish` without building the value: for a document adopted whole (complete, so finishing adds nothing to
    /// it), the typed layer does not need it.
    pub(crate) fn finish_input(&mut self, py: Python<'_>) -> PyResult<()> {
        if !self.finished {
            self.drive(py, &[], |core, sink| core.finish(sink))?;
            self.finished = true;
        }
        Ok(())
    }

    /// The core as it would be after parsing `bytes`, if they hold a whole document from its first byte (and
    /// nothing after it but whitespace), and none of what `WholeScan` leaves to the event path; `None` otherwise.
    /// Only checks: this parser is unchanged. The typed layer then validates the document in one call and keeps
    /// the result with `adopt_whole`.
    pub(crate) fn scan_whole(&self, bytes: &[u8]) -> Option<midstream_core::Parser> {
        if !self.may_take_whole() {
            return None;
        }
        let mut core = self.core.clone();
        core.feed(bytes, &mut WholeScan).ok()?;
        core.is_root_complete().then_some(core)
    }

    /// Whether a document may still arrive whole: nothing but whitespace fed so far (one check per feed).
    pub(crate) fn may_take_whole(&self) -> bool {
        !self.finished && self.core.is_root_pending()
    }

    /// Go on from `scan_whole`'s core; the untyped value of `text` is built when first read (a placeholder at the
    /// root, filled as the records the value builder skipped are: `skip`).
    pub(crate) fn adopt_whole(
        &mut self,
        py: Python<'_>,
        core: midstream_core::Parser,
        text: &[u8],
    ) {
        self.core = core;
        self.builder.skipped_root(py, text);
    }

    /// A drained buffer of `take_typed_events`, reused for the next events.
    pub(crate) fn give_back_typed_events(
        &mut self,
        mut events: Vec<crate::typed::event::TypedEvent>,
    ) {
        events.clear();
        if let Some(log) = &mut self.builder.typed {
            if log.is_empty() {
                *log = events;
            }
        }
    }

    fn feed_bytes(&mut self, py: Python<'_>, bytes: &[u8]) -> PyResult<()> {
        if let Some(skipping) = &mut self.builder.skipping {
            skipping.new_chunk(self.core.offset());
        }
        let result = self.drive(py, bytes, |core, sink| core.feed(bytes, sink));
        // Report the open string's growth even when the chunk failed later: nothing parsed is lost.
        let flushed = self.builder.flush_delta(py);
        result.and(flushed)
    }

    /// Run the core with the value builder as its sink, turning a core error into the Python exception.
    fn drive(
        &mut self,
        py: Python<'_>,
        chunk: &[u8],
        run: impl FnOnce(
            &mut midstream_core::Parser,
            &mut Feeding<'_, '_>,
        ) -> Result<(), midstream_core::Error>,
    ) -> PyResult<()> {
        let mut sink = Feeding {
            py,
            builder: &mut self.builder,
            failure: None,
            chunk,
        };
        let result = run(&mut self.core, &mut sink);
        let failure = sink.failure.take();
        result.map_err(|error| self.raise(py, failure, &error))
    }

    /// The exception for a core error. A Python exception raised while building a value is passed on as it is
    /// unless it is a ValueError (e.g. the int digit limit): that becomes the cause of a `JSONError`, now and
    /// every time the sticky error is raised again.
    fn raise(
        &mut self,
        py: Python<'_>,
        failure: Option<PyErr>,
        error: &midstream_core::Error,
    ) -> PyErr {
        if let Some(failure) = failure {
            if !failure.is_instance_of::<PyValueError>(py) {
                return failure;
            }
            if matches!(error.kind, ErrorKind::Rejected(_)) {
                self.cause = Some(failure);
            }
        }
        let json_error = to_py_err(py, error);
        if let Some(cause) = &self.cause {
            json_error.set_cause(py, Some(cause.clone_ref(py)));
        }
        json_error
    }
}

/// What `scan_whole` leaves to the event path, where midstream's own rules apply rather than pydantic's JSON
/// parser's (`skip::read_our_own_way`).
struct WholeScan;

impl Sink for WholeScan {
    #[inline]
    fn event(&mut self, event: CoreEvent<'_>) -> Result<(), Reject> {
        if read_our_own_way(&event) {
            return Err(Reject(String::new()));
        }
        Ok(())
    }
}

/// The `forget_items_at` argument: a tuple or list of `str` keys and non-negative `int` indices.
fn forget_path(path: &Bound<'_, PyAny>) -> PyResult<Vec<PathElement>> {
    let elements: Vec<Bound<'_, PyAny>> = if let Ok(tuple) = path.cast::<PyTuple>() {
        tuple.iter().collect()
    } else if let Ok(list) = path.cast::<PyList>() {
        list.iter().collect()
    } else {
        return Err(PyTypeError::new_err(format!(
            "forget_items_at must be None or a tuple of str keys and int indices, not {}",
            path.get_type().name()?
        )));
    };
    elements
        .iter()
        .map(|element| {
            if let Ok(key) = element.cast::<PyString>() {
                return Ok(PathElement::Key(key.clone().unbind()));
            }
            if element.cast::<PyInt>().is_ok() && element.cast::<pyo3::types::PyBool>().is_err() {
                return match element.extract::<usize>() {
                    Ok(index) => Ok(PathElement::Index(index)),
                    Err(_) => Err(PyValueError::new_err(format!(
                        "forget_items_at indices must be non-negative, not {element}"
                    ))),
                };
            }
            Err(PyTypeError::new_err(format!(
                "forget_items_at elements must be str keys or int indices, not {}",
                element.get_type().name()?
            )))
        })
        .collect()
}

fn step_matches(py: Python<'_>, element: &Bound<'_, PyAny>, step: &Step<'_>) -> bool {
    match step {
        Step::Key(key) => {
            element.cast::<PyString>().is_ok() && element.eq(key.bind(py)).unwrap_or(false)
        }
        Step::Index(index) => {
            element.cast::<pyo3::types::PyBool>().is_err()
                && element.extract::<usize>().ok() == Some(*index)
        }
    }
}
