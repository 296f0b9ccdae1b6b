//! Core errors as the Python exceptions defined in `midstream._errors`.

use midstream_core::{Error, ErrorKind};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static JSON_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INCOMPLETE_JSON_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `JSONError(msg, offset, line, column)`, or `IncompleteJSONError` for truncated input.
pub(crate) fn to_py_err(py: Python<'_>, error: &Error) -> PyErr {
    if error.kind == ErrorKind::Finished {
        return PyRuntimeError::new_err(error.message());
    }
    let class = if error.is_incomplete() {
        INCOMPLETE_JSON_ERROR.import(py, "midstream._errors", "IncompleteJSONError")
    } else {
        JSON_ERROR.import(py, "midstream._errors", "JSONError")
    };
    let class = match class {
        Ok(class) => class,
        Err(import_error) => return import_error,
    };
    match class.call1((error.message(), error.offset, error.line, error.column)) {
        Ok(instance) => PyErr::from_value(instance),
        Err(call_error) => call_error,
    }
}
