//! Opt-in events: a value began, a string grew by a fragment, a value finished. Recorded only when the parser
//! was created with `events=True`, so parsing without them pays nothing but a branch.

use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use crate::typed::event::JsonKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    Begin,
    Delta,
    End,
}

impl EventKind {
    /// Its name, interned once per process.
    fn name(self, py: Python<'_>) -> &Bound<'_, PyString> {
        match self {
            EventKind::Begin => pyo3::intern!(py, "begin"),
            EventKind::Delta => pyo3::intern!(py, "delta"),
            EventKind::End => pyo3::intern!(py, "end"),
        }
    }

    /// The value of a `begin` event: what kind of value began.
    /// The name of a JSON kind, as a `begin` event's value (interned once per process).
    pub(crate) fn type_name<'py>(py: Python<'py>, kind: JsonKind) -> Bound<'py, PyAny> {
        let name = match kind {
            JsonKind::Object => pyo3::intern!(py, "object"),
            JsonKind::Array => pyo3::intern!(py, "array"),
            JsonKind::String => pyo3::intern!(py, "string"),
            JsonKind::Number => pyo3::intern!(py, "number"),
            JsonKind::Boolean => pyo3::intern!(py, "boolean"),
            JsonKind::Null => pyo3::intern!(py, "null"),
        };
        name.clone().into_any()
    }
}

/// One parse event.
///
/// - `Event("begin", path, kind)`: a value began at `path`; `kind` is one of `"object"`, `"array"`, `"string"`,
///   `"number"`, `"boolean"`, `"null"`.
/// - `Event("delta", path, text)`: the string at `path` grew by `text` (one per string per `feed`).
/// - `Event("end", path, value)`: the value at `path` finished; `value` is the final Python value.
#[pyclass(frozen, module = "midstream", name = "Event")]
pub(crate) struct Event {
    #[pyo3(get)]
    kind: Py<PyString>,
    #[pyo3(get)]
    path: Py<PyTuple>,
    #[pyo3(get)]
    value: Py<PyAny>,
}

#[pymethods]
impl Event {
    #[new]
    fn new(
        kind: Bound<'_, PyString>,
        path: Bound<'_, PyTuple>,
        value: Py<PyAny>,
    ) -> PyResult<Self> {
        let name = kind.to_str()?;
        if !matches!(name, "begin" | "delta" | "end") {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "Event kind must be 'begin', 'delta' or 'end', not {name:?}"
            )));
        }
        Ok(Event {
            kind: kind.unbind(),
            path: path.unbind(),
            value,
        })
    }

    #[classattr]
    fn __match_args__() -> (&'static str, &'static str, &'static str) {
        ("kind", "path", "value")
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Event({}, {}, {})",
            self.kind.bind(py).repr()?,
            self.path.bind(py).repr()?,
            self.value.bind(py).repr()?
        ))
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(other) = other.cast::<Event>() else {
            return Ok(false);
        };
        let other = other.get();
        Ok(self.kind.bind(py).as_any().eq(other.kind.bind(py))?
            && self.path.bind(py).as_any().eq(other.path.bind(py))?
            && self.value.bind(py).eq(other.value.bind(py))?)
    }

    /// `(kind, path, value)`, so events unpack like tuples.
    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let items = (
            self.kind.clone_ref(py),
            self.path.clone_ref(py),
            self.value.clone_ref(py),
        );
        Ok(items.into_pyobject(py)?.try_iter()?.into_any().unbind())
    }
}

/// Events recorded since the last drain.
#[derive(Default)]
pub(crate) struct EventLog {
    pub(crate) items: Vec<Py<Event>>,
    /// How much of the open string was already reported in delta events.
    pub(crate) delta_from: usize,
}

impl EventLog {
    pub(crate) fn push(
        &mut self,
        py: Python<'_>,
        kind: EventKind,
        path: Bound<'_, PyTuple>,
        value: Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let event = Event {
            kind: kind.name(py).clone().unbind(),
            path: path.unbind(),
            value: value.unbind(),
        };
        self.items.push(Py::new(py, event)?);
        Ok(())
    }
}
