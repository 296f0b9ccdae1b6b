//! `midstream._native.TypedParser`: the parser and the typed builder in one object, so that a chunk goes from
//! bytes to an updated partial without a Python call per value (the engine behind `ModelStream`).

pub(crate) mod builder;
pub(crate) mod event;
mod frames;
pub(crate) mod plan;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use crate::parser::Parser;
use builder::TypedBuilder;
use plan::TypedPlan;

/// Parses a document and keeps the typed partial of it.
///
/// `plan` is what `midstream.pydantic._native_plan.plan_of` makes of a type (with the module whose functions the
/// builder calls where pydantic must run); `title` gives the ValidationError's title; `whole` gives the type's own
/// `validate_json` if a document that arrives whole in one chunk may be validated by it in one call, else `None`
/// (`_native_plan.whole_validator`; asked the first time a chunk may be such a document).
#[pyclass(module = "midstream._native", name = "TypedParser")]
pub(crate) struct TypedParser {
    parser: Parser,
    builder: TypedBuilder,
    /// What gives the type's JSON validator for a document that arrives whole in one chunk (`whole` above), and
    /// what it gave once asked.
    whole: Option<Py<PyAny>>,
    whole_validator: Option<Option<Py<PyAny>>>,
    /// An exception that left the builder mid-way (a validator's, fail-fast's): raised again by every call.
    broken: Option<PyErr>,
    finished: bool,
}

/// The bytes of a `bytes` or `str` chunk, as the parser reads them (`None` for other chunks, which the parser
/// copies, and for a `str` with lone surrogates).
fn chunk_bytes<'a>(chunk: &'a Bound<'_, PyAny>) -> Option<&'a [u8]> {
    if let Ok(bytes) = chunk.cast::<PyBytes>() {
        return Some(bytes.as_bytes());
    }
    chunk
        .cast::<PyString>()
        .ok()?
        .to_str()
        .ok()
        .map(str::as_bytes)
}

fn in_use() -> PyErr {
    PyRuntimeError::new_err(
        "ModelStream is in use: another feed or finish is running (share a ModelStream between threads only \
         behind a lock)",
    )
}

#[pymethods]
impl TypedParser {
    #[new]
    #[pyo3(signature = (plan, *, title, fail_fast = false, root_check = None, max_depth = midstream_core::DEFAULT_MAX_DEPTH, allow_nan = false, whole = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        plan: &Bound<'_, TypedPlan>,
        title: Py<PyAny>,
        fail_fast: bool,
        root_check: Option<Py<PyAny>>,
        max_depth: usize,
        allow_nan: bool,
        whole: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let typed_plan = plan.get();
        let (plan, hooks) = (typed_plan.plan.clone(), typed_plan.hooks.clone());
        Ok(TypedParser {
            parser: Parser::for_typed(max_depth, allow_nan, plan.clone(), hooks.clone())?,
            builder: TypedBuilder::new(py, plan, hooks, fail_fast, root_check, title),
            whole,
            whole_validator: None,
            broken: None,
            finished: false,
        })
    }

    /// Parse the next chunk; return the partial (`None` until the root value has begun).
    pub(crate) fn feed(slf: &Bound<'_, Self>, chunk: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let mut this = slf.try_borrow_mut().map_err(|_| in_use())?;
        if let Some(error) = &this.broken {
            return Err(error.clone_ref(py));
        }
        if this.whole.is_some() && this.parser.may_take_whole() && this.validate_whole(py, chunk)? {
            return this.hand_out(py);
        }
        let parsed = this.parser.feed(py, chunk);
        // Whatever parsed before a syntax error still reaches the partial.
        this.apply(py)?;
        parsed?;
        this.hand_out(py)
    }

    /// End of input: the validated final value (raises `IncompleteJSONError`, `JSONError` or `ValidationError`).
    fn finish(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let mut this = slf.try_borrow_mut().map_err(|_| in_use())?;
        if let Some(error) = &this.broken {
            return Err(error.clone_ref(py));
        }
        if !this.finished {
            let parsed = this.parser.finish_input(py);
            this.apply(py)?;
            parsed?;
            this.finished = true;
        }
        if !this.builder.errors.bind(py).is_empty() {
            let error = this.builder.validation_error(py)?;
            this.broken = Some(error.clone_ref(py));
            return Err(error);
        }
        this.hand_out(py)
    }

    /// The partial: a snapshot later chunks do not change.
    #[getter]
    fn partial(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let mut this = slf.try_borrow_mut().map_err(|_| in_use())?;
        this.hand_out(slf.py())
    }

    /// The untyped value parsed so far (`Parser.value`: live).
    #[getter]
    fn document(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let mut this = slf.try_borrow_mut().map_err(|_| in_use())?;
        this.parser.value(slf.py())
    }

    /// The path (JSON keys and indices) of the value being written now (`Parser.path`): a number being read, a
    /// value whose key has arrived.
    #[getter]
    fn path<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let this = slf.try_borrow().map_err(|_| in_use())?;
        this.parser.path(slf.py())
    }

    /// Whether the value at `path` (JSON keys and indices) has finished.
    fn is_complete(slf: &Bound<'_, Self>, path: &Bound<'_, PyAny>) -> PyResult<bool> {
        let mut this = slf.try_borrow_mut().map_err(|_| in_use())?;
        this.parser.is_complete(slf.py(), Some(path))
    }

    /// Whether the whole value has finished and validated.
    #[getter]
    fn complete(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(slf.try_borrow().map_err(|_| in_use())?.builder.complete)
    }

    /// The validation errors of the parts that finished invalid so far (a new list).
    #[getter]
    fn errors(slf: &Bound<'_, Self>) -> PyResult<Py<PyList>> {
        let this = slf.try_borrow().map_err(|_| in_use())?;
        let py = slf.py();
        Ok(PyList::new(py, this.builder.errors.bind(py).iter())?.unbind())
    }

    /// Whether the partial changed since the flag was last cleared.
    #[getter]
    fn changed(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(slf.try_borrow().map_err(|_| in_use())?.builder.changed)
    }

    #[setter]
    fn set_changed(slf: &Bound<'_, Self>, changed: bool) -> PyResult<()> {
        slf.try_borrow_mut().map_err(|_| in_use())?.builder.changed = changed;
        Ok(())
    }

    /// Whether the partial changed since the last `take_changed` (or the flag was last cleared); clears it. One
    /// call instead of reading `changed` and setting it back: what a loop handing out changed partials does
    /// after every feed.
    fn take_changed(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(slf
            .try_borrow_mut()
            .map_err(|_| in_use())?
            .take_changed_flag())
    }
}

impl TypedParser {
    /// Whether the partial changed since this was last asked, clearing the flag (`take_changed`; also for the
    /// native callers: `ProviderReader.read_into`).
    pub(crate) fn take_changed_flag(&mut self) -> bool {
        std::mem::take(&mut self.builder.changed)
    }

    /// The one-chunk path: a document that arrives whole in the first chunk is validated by the type's own JSON
    /// validator in one call (pydantic-core parses and validates it natively), after the core has checked it is
    /// one whole JSON document by midstream's rules. Nothing of it is built twice, and its untyped value only if
    /// asked for. Whether it was taken: if not (not whole, or invalid: the event path then reports each invalid
    /// part as it always does), nothing has changed.
    fn validate_whole(&mut self, py: Python<'_>, chunk: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Some(bytes) = chunk_bytes(chunk) else {
            return Ok(false);
        };
        // Cheap first: a document that ends in this chunk ends with a closing bracket (a scalar root is rare).
        let last = bytes.iter().rev().find(|byte| !byte.is_ascii_whitespace());
        if !matches!(last, Some(b'}' | b']')) {
            return Ok(false);
        }
        if self.whole_validator.is_none() {
            let whole = self
                .whole
                .as_ref()
                .expect("checked by the caller")
                .call0(py)?;
            self.whole_validator = Some((!whole.is_none(py)).then_some(whole));
        }
        let Some(Some(whole)) = &self.whole_validator else {
            return Ok(false);
        };
        let whole = whole.clone_ref(py);
        let Some(core) = self.parser.scan_whole(bytes) else {
            return Ok(false);
        };
        match whole.call1(py, (chunk,)) {
            Ok(value) => {
                self.parser.adopt_whole(py, core, bytes);
                self.builder.finish_whole(value);
                Ok(true)
            }
            Err(error) if error.is_instance(py, self.builder.validation_error_type(py)) => {
                Ok(false)
            }
            Err(error) => {
                self.broken = Some(error.clone_ref(py));
                Err(error)
            }
        }
    }

    /// The partial, for the caller to keep.
    fn hand_out(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let TypedParser {
            parser, builder, ..
        } = self;
        builder.hand_out(py, &mut |depth| parser.copy_below(py, depth))
    }

    /// Follow the events the last feed recorded; an exception from inside is sticky.
    fn apply(&mut self, py: Python<'_>) -> PyResult<()> {
        let mut events = self.parser.take_typed_events();
        if events.is_empty() {
            return Ok(());
        }
        let parser = &mut self.parser;
        let applied = self
            .builder
            .apply(py, &mut events, &mut |py, text| parser.expand(py, text));
        self.parser.give_back_typed_events(events); // its buffer, for the next feed
        if let Err(error) = applied {
            self.broken = Some(error.clone_ref(py));
            return Err(error);
        }
        Ok(())
    }
}
