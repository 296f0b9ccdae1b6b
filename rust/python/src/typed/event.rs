//! What the value builder tells the typed layer: the same begin/delta/end stream as `Parser(events=True)`, but as
//! plain Rust values, with no Python object made per event (keys and values are the ones the value builder
//! made anyway).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

/// The JSON kind of a value that began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonKind {
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
}

impl JsonKind {
    /// Its index in a plan's places (the order of `_native_plan.KINDS`).
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn is_container(self) -> bool {
        matches!(self, JsonKind::Object | JsonKind::Array)
    }
}

/// Where a value sits in its container.
pub(crate) enum TypedStep {
    Root,
    Key(Py<PyString>),
    Index(usize),
}

impl TypedStep {
    pub(crate) fn clone_ref(&self, py: Python<'_>) -> TypedStep {
        match self {
            TypedStep::Root => TypedStep::Root,
            TypedStep::Key(key) => TypedStep::Key(key.clone_ref(py)),
            TypedStep::Index(index) => TypedStep::Index(*index),
        }
    }

    /// The step as a path element (`None` for the root).
    pub(crate) fn to_py(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        Ok(match self {
            TypedStep::Root => None,
            TypedStep::Key(key) => Some(key.clone_ref(py).into_any()),
            TypedStep::Index(index) => Some(index.into_pyobject(py)?.into_any().unbind()),
        })
    }
}

pub(crate) enum TypedEvent {
    /// A value began; an object comes with the dict the value builder fills.
    Begin(JsonKind, TypedStep, Option<Py<PyAny>>),
    /// The open string grew: its whole text so far.
    Delta(Py<PyString>),
    /// The open value finished: its Python value, and (a string) whether its text grew since the last `Delta`.
    End(Py<PyAny>, bool),
    /// A record the value builder skipped (`skip`): it began and ended within the chunk, this is its text.
    Whole(TypedStep, Py<PyBytes>),
}
