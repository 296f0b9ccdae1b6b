//! Setting attributes the way `object.__setattr__` does, for objects the extension builds itself.

use pyo3::prelude::*;
use pyo3::types::PyString;

/// `object.__setattr__(target, name, value)`: the generic attribute setter, past the class's own `__setattr__`
/// (a model's validates assignments; a frozen dataclass refuses them).
pub(crate) fn object_setattr(
    target: &Bound<'_, PyAny>,
    name: &Bound<'_, PyString>,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    // SAFETY: the three pointers come from live `Bound` references, valid for the call; the GIL is held (a
    // `Bound` proves it). `PyObject_GenericSetAttr` borrows them (it takes its own reference to `value`) and
    // returns -1 with a Python exception set on failure, which `PyErr::fetch` takes.
    let status = unsafe {
        pyo3::ffi::PyObject_GenericSetAttr(target.as_ptr(), name.as_ptr(), value.as_ptr())
    };
    if status < 0 {
        return Err(PyErr::fetch(target.py()));
    }
    Ok(())
}
