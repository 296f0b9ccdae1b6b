//! Python strings from decoded text: an ASCII fast path, a per-parser cache of keys, and the rare path for text
//! holding lone surrogates.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

/// A new `str` from valid UTF-8, skipping CPython's UTF-8 decoder when the text is pure ASCII.
pub(crate) fn new_str<'py>(py: Python<'py>, text: &str) -> Bound<'py, PyString> {
    if !is_ascii(text.as_bytes()) {
        return PyString::new(py, text);
    }
    // SAFETY: `PyUnicode_New(len, 127)` returns a new, uninitialised compact ASCII string whose data buffer
    // (`PyUnicode_DATA`) holds exactly `len` one-byte characters plus a terminating NUL it has already written,
    // or NULL with a Python exception set (handled by `from_owned_ptr_or_err`). We copy `len` bytes, all ASCII
    // (checked above), into that buffer before the object is seen by anyone else: the same steps CPython's own
    // ASCII decoder takes. The GIL is held (we have `py`).
    unsafe {
        let ptr = ffi::PyUnicode_New(text.len() as ffi::Py_ssize_t, 127);
        if !ptr.is_null() {
            let data = ffi::PyUnicode_DATA(ptr).cast::<u8>();
            std::ptr::copy_nonoverlapping(text.as_ptr(), data, text.len());
        }
        Bound::from_owned_ptr_or_err(py, ptr)
            .map(|string| string.cast_into_unchecked())
            .unwrap_or_else(|_| PyString::new(py, text))
    }
}

/// Whether every byte is ASCII. `<[u8]>::is_ascii` tests a word at a time with a branch per word (~300
/// instructions for a 190-byte SSE payload); OR-ing 64-byte blocks together compiles to SIMD with one branch per
/// block (~40).
fn is_ascii(bytes: &[u8]) -> bool {
    let mut blocks = bytes.chunks_exact(64);
    for block in &mut blocks {
        if block.iter().fold(0u8, |seen, &byte| seen | byte) >= 0x80 {
            return false;
        }
    }
    blocks
        .remainder()
        .iter()
        .fold(0u8, |seen, &byte| seen | byte)
        < 0x80
}

/// Text decoded so far for the open key or string. Lone surrogates (legal in JSON escapes, not in UTF-8) cannot
/// live in a `String`; when one arrives the buffer switches to bytes holding their 3-byte generalized UTF-8 form,
/// decoded with `surrogatepass`, as `json.loads` keeps them.
#[derive(Debug, Default)]
pub(crate) struct TextBuffer {
    text: String,
    /// Set once a lone surrogate arrived: the whole text, surrogates included, as generalized UTF-8.
    wtf8: Option<Vec<u8>>,
}

impl TextBuffer {
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.wtf8 = None;
    }

    pub(crate) fn len(&self) -> usize {
        match &self.wtf8 {
            Some(bytes) => bytes.len(),
            None => self.text.len(),
        }
    }

    pub(crate) fn push_str(&mut self, text: &str) {
        match &mut self.wtf8 {
            Some(bytes) => bytes.extend_from_slice(text.as_bytes()),
            None => self.text.push_str(text),
        }
    }

    pub(crate) fn push_surrogate(&mut self, unit: u16) {
        let bytes = self
            .wtf8
            .get_or_insert_with(|| self.text.as_bytes().to_vec());
        bytes.extend_from_slice(&[
            0xE0 | (unit >> 12) as u8,
            0x80 | ((unit >> 6) & 0x3F) as u8,
            0x80 | (unit & 0x3F) as u8,
        ]);
    }

    /// The text from byte `from` (a character boundary) to the end, as a Python `str`.
    pub(crate) fn to_py<'py>(
        &self,
        py: Python<'py>,
        from: usize,
    ) -> PyResult<Bound<'py, PyString>> {
        match &self.wtf8 {
            None => Ok(new_str(py, &self.text[from..])),
            Some(bytes) => {
                let decoded = PyBytes::new(py, &bytes[from..])
                    .call_method1("decode", ("utf-8", "surrogatepass"))?;
                Ok(decoded.cast_into::<PyString>()?)
            }
        }
    }

    /// The text as `&str`, if it holds no lone surrogate.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self.wtf8 {
            None => Some(&self.text),
            Some(_) => None,
        }
    }
}

const CACHE_SLOTS: usize = 512;
const CACHEABLE_KEY_LEN: usize = 64;

/// A small direct-mapped cache of key strings: repeated keys (the common case in LLM output) cost a hash and a
/// compare instead of an allocation, and share one `str` object across the whole value.
///
/// The strings are *not* interned: CPython 3.12 made interned strings immortal, so interning keys taken from the
/// input would keep every distinct key a hostile stream sends alive for the life of the process. The cache is
/// bounded (`CACHE_SLOTS` strings) and dropped with its parser.
#[derive(Default)]
pub(crate) struct KeyCache {
    slots: Vec<Option<(Box<str>, Py<PyString>)>>,
}

fn slot_of(text: &str) -> usize {
    // FNV-1a: cheap and good enough for short keys.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in text.as_bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    (hash as usize) % CACHE_SLOTS
}

impl KeyCache {
    pub(crate) fn get<'py>(&mut self, py: Python<'py>, text: &str) -> Bound<'py, PyString> {
        if text.len() > CACHEABLE_KEY_LEN {
            return new_str(py, text);
        }
        if self.slots.is_empty() {
            self.slots.resize_with(CACHE_SLOTS, || None);
        }
        let slot = &mut self.slots[slot_of(text)];
        if let Some((cached, string)) = slot {
            if **cached == *text {
                return string.bind(py).clone();
            }
        }
        let string = new_str(py, text);
        *slot = Some((text.into(), string.clone().unbind()));
        string
    }
}
