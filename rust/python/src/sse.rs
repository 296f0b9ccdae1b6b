//! `midstream._native.SSEDecoder`: the `midstream-sse` decoder, handing out each dispatched event as an instance
//! of the Python class it is given (`midstream.sse.SSEEvent`, a frozen slotted dataclass), made without running
//! its `__init__` (the slots are set directly, as `dataclasses` itself does for frozen classes).

use std::collections::VecDeque;

use midstream_sse::{Decoder, EventRef};
use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyIterator, PyList, PyString, PyType};

use crate::chunks::{read_chunk, Chunk};
use crate::strings::new_str;

/// Digit strings shorter than this fit in a `u64`.
const U64_DIGITS: usize = 19;

#[pyclass(module = "midstream._native", name = "SSEDecoder", subclass)]
pub(crate) struct SseDecoder {
    decoder: Decoder,
    /// Events decoded and not handed out yet (`SSEEvents` hands them out one at a time).
    ready: VecDeque<Py<PyAny>>,
    /// Makes the Python object of each event.
    maker: EventMaker,
    /// The last event type and ID handed out, as Python strings: consecutive events share them.
    last_type: Option<(String, Py<PyString>)>,
    last_id: Option<(String, Py<PyString>)>,
}

#[pymethods]
impl SseDecoder {
    #[new]
    fn new(event_class: Bound<'_, PyType>) -> PyResult<Self> {
        Ok(SseDecoder {
            decoder: Decoder::new(),
            ready: VecDeque::new(),
            maker: EventMaker::new(event_class)?,
            last_type: None,
            last_id: None,
        })
    }

    /// Take the next piece of the stream; return the events it completes (often none).
    fn feed(&mut self, py: Python<'_>, chunk: &Bound<'_, PyAny>) -> PyResult<Py<PyList>> {
        self.take(py, chunk)?;
        self.hand_out(py)
    }

    /// The events of a whole stream given as an iterable of chunks, lazily: chunks are taken from `chunks` only as
    /// events are asked for, and the stream is finished when they run out.
    fn events(slf: Bound<'_, Self>, chunks: &Bound<'_, PyAny>) -> PyResult<SseEvents> {
        Ok(SseEvents {
            decoder: slf.unbind(),
            chunks: Some(chunks.try_iter()?.unbind()),
        })
    }

    /// End the stream: discard an unterminated block; the decoder is then ready for the next stream.
    fn finish(&mut self, py: Python<'_>) -> Py<PyList> {
        self.decoder.finish();
        PyList::empty(py).unbind()
    }

    /// The last event ID as of the latest blank line (what a reconnecting client sends as `Last-Event-ID`).
    #[getter]
    fn last_event_id(&self) -> Option<&str> {
        self.decoder.last_event_id()
    }

    /// The reconnection time in milliseconds set by the latest valid `retry` field, if any.
    #[getter]
    fn retry(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.decoder
            .retry()
            .map(|digits| integer(py, digits))
            .transpose()
    }
}

/// The iterator `SSEDecoder.events` gives: one event at a time, no list per chunk.
#[pyclass(module = "midstream._native", name = "SSEEvents")]
pub(crate) struct SseEvents {
    decoder: Py<SseDecoder>,
    /// The chunks not taken yet (`None` once they ran out and the stream was finished).
    chunks: Option<Py<PyIterator>>,
}

#[pymethods]
impl SseEvents {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        loop {
            if let Some(event) = self.decoder.bind(py).try_borrow_mut()?.ready.pop_front() {
                return Ok(Some(event.into_bound(py)));
            }
            let Some(chunks) = &self.chunks else {
                return Ok(None);
            };
            match chunks.bind(py).clone().next() {
                Some(chunk) => {
                    let chunk = chunk?;
                    self.decoder.bind(py).try_borrow_mut()?.take(py, &chunk)?;
                }
                None => {
                    self.chunks = None;
                    self.decoder.bind(py).try_borrow_mut()?.decoder.finish();
                }
            }
        }
    }
}

impl SseDecoder {
    /// Decode a chunk; its events join `ready`, as Python objects.
    fn take(&mut self, py: Python<'_>, chunk: &Bound<'_, PyAny>) -> PyResult<()> {
        let SseDecoder {
            decoder,
            ready,
            maker,
            last_type,
            last_id,
        } = self;
        let mut failed = None;
        let mut sink = |event: EventRef<'_>| {
            if failed.is_none() {
                match make_event(py, maker, last_type, last_id, event) {
                    Ok(event) => ready.push_back(event.unbind()),
                    Err(error) => failed = Some(error),
                }
            }
        };
        match read_chunk(chunk)? {
            Chunk::Bytes(bytes) => decoder.feed(&bytes, &mut sink),
            Chunk::Text(text) => decoder.feed_str(text, &mut sink),
            // Each lone surrogate becomes U+FFFD.
            Chunk::Surrogates(text) => decoder.feed_str(&without_surrogates(text)?, &mut sink),
        }
        failed.map_or(Ok(()), Err)
    }

    /// The events decoded and not handed out yet, as a list.
    fn hand_out(&mut self, py: Python<'_>) -> PyResult<Py<PyList>> {
        Ok(PyList::new(py, self.ready.drain(..))?.unbind())
    }
}

/// One event as an instance of the event class.
fn make_event<'py>(
    py: Python<'py>,
    maker: &EventMaker,
    last_type: &mut Option<(String, Py<PyString>)>,
    last_id: &mut Option<(String, Py<PyString>)>,
    event: EventRef<'_>,
) -> PyResult<Bound<'py, PyAny>> {
    let event_type = shared(py, last_type, event.event_type()).into_any();
    let data = new_str(py, event.data).into_any();
    let id = match event.id {
        Some(id) => shared(py, last_id, id).into_any(),
        None => py.None().into_bound(py),
    };
    let retry = match event.retry {
        Some(digits) => integer(py, digits)?.into_bound(py),
        None => py.None().into_bound(py),
    };
    maker.make(py, [event_type, data, id, retry])
}

/// Makes instances of the event class (`midstream.sse.SSEEvent`, a frozen dataclass with `__slots__`) the way its
/// `__init__` would, without running Python: the object allocated as `object.__new__` does, then each of the four
/// slots stored at the offset its member descriptor names (what `object.__setattr__` would do through the
/// descriptor, past the class's `__setattr__`, which refuses: the class is frozen). Storing directly saves the
/// descriptor call and its checks (~190 of ~2,400 instructions per decoded event).
struct EventMaker {
    class: Py<PyType>,
    /// Where the `event`, `data`, `id` and `retry` slots live in an instance, in bytes from its start.
    offsets: [isize; 4],
}

impl EventMaker {
    const FIELDS: [&'static str; 4] = ["event", "data", "id", "retry"];

    /// Checks that `class` is made by `object.__new__` with CPython's generic allocator, and that each field is an
    /// object slot of its own inside the instance: what `make` relies on.
    fn new(class: Bound<'_, PyType>) -> PyResult<EventMaker> {
        let py = class.py();
        let object_new = py
            .get_type::<PyAny>()
            .getattr(pyo3::intern!(py, "__new__"))?;
        if !class.getattr(pyo3::intern!(py, "__new__"))?.is(&object_new) {
            return Err(PyTypeError::new_err(
                "the event class must not define __new__",
            ));
        }
        let type_object = class.as_type_ptr();
        // SAFETY: `type_object` is a live type object (`class` holds a reference); reading two of its fields.
        let (alloc, basic_size) = unsafe { ((*type_object).tp_alloc, (*type_object).tp_basicsize) };
        // The allocator is libpython's exported function: one address, compared across the library boundary.
        let generic: ffi::allocfunc = ffi::PyType_GenericAlloc;
        if alloc.map(|alloc| alloc as usize) != Some(generic as usize) {
            return Err(PyTypeError::new_err(
                "the event class must be allocated by PyType_GenericAlloc",
            ));
        }
        let member = py
            .import(pyo3::intern!(py, "types"))?
            .getattr(pyo3::intern!(py, "MemberDescriptorType"))?;
        let own = class.getattr(pyo3::intern!(py, "__dict__"))?;
        let offset = |name: &str| -> PyResult<isize> {
            let missing = || PyTypeError::new_err(format!("the event class has no slot {name:?}"));
            let descriptor = own.get_item(name).map_err(|_| missing())?;
            if !descriptor.is_instance(&member)? {
                return Err(missing());
            }
            // SAFETY: `descriptor` is an instance of `types.MemberDescriptorType` (checked just above), which is
            // CPython's `PyMemberDescr_Type`, whose instances are `PyMemberDescrObject`s (the same layout from 3.10
            // to 3.13; pyo3-ffi types `d_member` as `PyGetSetDef` before 3.11, but CPython's is a `PyMemberDef`
            // in every version). A slot's descriptor points at the type's own, live `PyMemberDef`.
            let def = unsafe {
                let object = descriptor.as_ptr().cast::<ffi::PyMemberDescrObject>();
                *(*object).d_member.cast::<ffi::PyMemberDef>()
            };
            let word = std::mem::size_of::<*mut ffi::PyObject>() as isize;
            let inside = def.offset >= std::mem::size_of::<ffi::PyObject>() as isize
                && def.offset + word <= basic_size
                && def.offset % word == 0;
            if def.type_code != ffi::Py_T_OBJECT_EX || def.flags & ffi::Py_READONLY != 0 || !inside
            {
                return Err(missing());
            }
            Ok(def.offset)
        };
        let [event, data, id, retry] = Self::FIELDS;
        Ok(EventMaker {
            offsets: [offset(event)?, offset(data)?, offset(id)?, offset(retry)?],
            class: class.unbind(),
        })
    }

    fn make<'py>(
        &self,
        py: Python<'py>,
        values: [Bound<'py, PyAny>; 4],
    ) -> PyResult<Bound<'py, PyAny>> {
        let class = self.class.bind(py).as_type_ptr();
        // SAFETY: `class` is a live type object (we hold a reference) and the GIL is held (`py`). Its `tp_alloc`
        // is `PyType_GenericAlloc` (checked in `new`), what `object.__new__`, its `__new__` (also checked), calls
        // to make an instance; it returns a new reference with every byte past the header zeroed, or null with an
        // exception set, which `from_owned_ptr_or_err` takes.
        let instance =
            unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyType_GenericAlloc(class, 0))? };
        for (offset, value) in self.offsets.iter().zip(values) {
            // SAFETY: `offset` is that of an object slot (`Py_T_OBJECT_EX`, writable) inside the instance, aligned
            // (checked in `new`), and the slot is null: the instance was zeroed just above and nothing else has
            // seen it. Storing a new reference there (`into_ptr` gives one up) is what `member_set` does for a
            // null slot; the instance's dealloc releases it. The GIL is held.
            unsafe {
                let slot = instance
                    .as_ptr()
                    .cast::<u8>()
                    .offset(*offset)
                    .cast::<*mut ffi::PyObject>();
                *slot = value.into_ptr();
            }
        }
        Ok(instance)
    }
}

/// The text of a `str` with lone surrogates, each replaced by U+FFFD. Encoded with `surrogatepass`, a lone
/// surrogate is the 3 bytes `ED A0..BF xx`, which UTF-8 decoding would turn into three U+FFFD, not one.
pub(crate) fn without_surrogates(text: &Bound<'_, PyString>) -> PyResult<String> {
    let encoded = text.call_method1(
        pyo3::intern!(text.py(), "encode"),
        ("utf-8", "surrogatepass"),
    )?;
    let mut rest = encoded.cast::<PyBytes>()?.as_bytes();
    let mut out = String::with_capacity(rest.len());
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                return Ok(out);
            }
            Err(error) => {
                let (valid, after) = rest.split_at(error.valid_up_to());
                out.push_str(std::str::from_utf8(valid).expect("valid up to here"));
                out.push(char::REPLACEMENT_CHARACTER);
                // `surrogatepass` makes only surrogates invalid, each 3 bytes long.
                rest = &after[after.len().min(3)..];
            }
        }
    }
}

/// `text` as a Python string, the same object as last time if the text is the same.
fn shared<'py>(
    py: Python<'py>,
    last: &mut Option<(String, Py<PyString>)>,
    text: &str,
) -> Bound<'py, PyString> {
    if let Some((kept, string)) = last {
        if kept == text {
            return string.bind(py).clone();
        }
    }
    let string = new_str(py, text);
    *last = Some((text.to_owned(), string.clone().unbind()));
    string
}

/// A decimal digit string as a Python `int` (the standard sets no bound on a `retry` value).
fn integer(py: Python<'_>, digits: &str) -> PyResult<Py<PyAny>> {
    if digits.len() < U64_DIGITS {
        let value: u64 = digits.parse().expect("fewer than 19 ASCII digits");
        return Ok(value.into_pyobject(py)?.into_any().unbind());
    }
    Ok(py.get_type::<PyInt>().call1((digits,))?.into_any().unbind())
}
