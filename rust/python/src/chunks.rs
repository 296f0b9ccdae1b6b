//! What a `feed` takes: the one reading of a Python chunk that every binding shares, and its one error.

use std::borrow::Cow;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

/// A chunk as the bindings read it.
pub(crate) enum Chunk<'a, 'py> {
    /// `bytes` (borrowed), `bytearray` or a byte-format `memoryview` (copied: Python code may change them).
    Bytes(Cow<'a, [u8]>),
    /// A `str`, as its UTF-8.
    Text(&'a str),
    /// A `str` with lone surrogates, which have no UTF-8 (only text made in Python can hold them): each binding
    /// says what becomes of them.
    Surrogates(&'a Bound<'py, PyString>),
}

/// Read `chunk`, or refuse it with the `TypeError` every `feed` raises for what it does not take.
// Inlined into each `feed`: a call that returns the chunk through memory cost ~50 instructions per feed.
#[inline(always)]
pub(crate) fn read_chunk<'a, 'py>(chunk: &'a Bound<'py, PyAny>) -> PyResult<Chunk<'a, 'py>> {
    if let Ok(bytes) = chunk.cast::<PyBytes>() {
        return Ok(Chunk::Bytes(Cow::Borrowed(bytes.as_bytes())));
    }
    if let Ok(text) = chunk.cast::<PyString>() {
        return Ok(match text.to_str() {
            Ok(text) => Chunk::Text(text),
            Err(_) => Chunk::Surrogates(text),
        });
    }
    if let Ok(array) = chunk.cast::<PyByteArray>() {
        return Ok(Chunk::Bytes(Cow::Owned(array.to_vec())));
    }
    if let Ok(buffer) = pyo3::buffer::PyBuffer::<u8>::get(chunk) {
        return Ok(Chunk::Bytes(Cow::Owned(buffer.to_vec(chunk.py())?)));
    }
    Err(refused(chunk))
}

#[cold]
fn refused(chunk: &Bound<'_, PyAny>) -> PyErr {
    match chunk.get_type().name() {
        Ok(name) => PyTypeError::new_err(format!(
            "feed() takes bytes, bytearray, a byte-format memoryview or str, not {name}"
        )),
        Err(error) => error,
    }
}
