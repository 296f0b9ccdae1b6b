//! `midstream._native.ProviderReader`: a `midstream-providers` reader handing its updates to Python.
//!
//! Updates become instances of the Python update classes (`TextDelta`, `RefusalDelta`, `ToolCallDelta`,
//! `Finished`), except the text the caller follows: once told what it follows (the content of choice 0, or the
//! arguments of its first tool call), the reader hands that text out as plain `str`s, consecutive pieces joined
//! into one, so a stream the caller is already following costs no Python object per event. What only Python can
//! build comes as a tuple: `("error", data, event)`, `("not-json", data)`, `("args", choice, index, pieces,
//! start, id, name)` and `("args-end", choice, index)`; a list holding any is passed to the subclass's `_built`
//! method before it is returned.

use midstream_providers::{Provider, Reader, Update};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple, PyType};

use crate::chunks::{read_chunk, Chunk};
use crate::sse::without_surrogates;
use crate::strings::new_str;
use crate::typed::TypedParser;

/// What the caller follows: its text is handed out as `str`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Follow {
    Nothing,
    /// The content (`Update::Text`) of choice 0.
    Content,
    /// The arguments of tool call 0 of choice 0.
    Tool,
}

#[pyclass(module = "midstream._native", name = "ProviderReader", subclass)]
pub(crate) struct ProviderReader {
    reader: Reader,
    /// Reused between feeds.
    updates: Vec<Update>,
    follow: Follow,
    /// Whether any followed text has been handed out.
    followed: bool,
    /// The followed text of a read, joined (reused between reads).
    joined: String,
    classes: [Py<PyType>; 4],
    /// An error to raise at the next read: the updates before it were handed out first (`defer`).
    deferred: Option<PyErr>,
}

#[pymethods]
impl ProviderReader {
    /// A reader for one stream of `provider`, handing out updates as instances of the four classes given.
    #[new]
    fn new(
        provider: &str,
        text: Py<PyType>,
        refusal: Py<PyType>,
        tool_call: Py<PyType>,
        finished: Py<PyType>,
    ) -> PyResult<Self> {
        let provider = Provider::from_name(provider).ok_or_else(|| {
            let names: Vec<&str> = Provider::ALL.iter().map(|p| p.name()).collect();
            PyValueError::new_err(format!(
                "unknown provider {provider:?}; expected one of {}",
                names.join(", ")
            ))
        })?;
        Ok(ProviderReader {
            reader: Reader::new(provider),
            updates: Vec::new(),
            follow: Follow::Nothing,
            followed: false,
            joined: String::new(),
            classes: [text, refusal, tool_call, finished],
            deferred: None,
        })
    }

    /// The provider's name.
    #[getter]
    fn provider(&self) -> &'static str {
        self.reader.provider().name()
    }

    /// The token usage the stream reported so far, as JSON text (`None` before any).
    #[getter]
    fn usage(&self) -> Option<String> {
        self.reader.usage_json()
    }

    /// Whether the stream said `[DONE]` (the rest is ignored).
    #[getter]
    fn done(&self) -> bool {
        self.reader.is_done()
    }

    /// What is followed: `None`, `"content"` or `"tool"`.
    #[getter]
    fn get_follow(&self) -> Option<&'static str> {
        match self.follow {
            Follow::Nothing => None,
            Follow::Content => Some("content"),
            Follow::Tool => Some("tool"),
        }
    }

    #[setter]
    fn set_follow(&mut self, what: Option<&str>) -> PyResult<()> {
        self.follow = match what {
            None => Follow::Nothing,
            Some("content") => Follow::Content,
            Some("tool") => Follow::Tool,
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "follow is None, 'content' or 'tool', not {other:?}"
                )))
            }
        };
        Ok(())
    }

    /// Whether any followed text has been handed out (as `str`).
    #[getter]
    fn followed(&self) -> bool {
        self.followed
    }

    /// Take the next piece of the raw SSE stream; return what the events it completes carry (often nothing).
    fn read(slf: &Bound<'_, Self>, chunk: &Bound<'_, PyAny>) -> PyResult<Py<PyList>> {
        Self::step(slf, |reader, updates| feed_chunk(reader, chunk, updates))
    }

    /// `read`, with the common case done here: when all the read gives is text of the followed output, that text
    /// goes straight into `parser` (the typed engine of the answer), and the result is the new partial if it
    /// changed, else `UNCHANGED` (also for a read that completes no event). Otherwise nothing is fed, and the
    /// result is `ReadPieces` holding the list `read` would have returned, for the caller to handle. The text fed
    /// is appended to `keep` first, if given (the clients keep the answer's text for re-asking).
    #[pyo3(signature = (chunk, parser, keep=None))]
    fn read_into(
        slf: &Bound<'_, Self>,
        chunk: &Bound<'_, PyAny>,
        parser: &Bound<'_, TypedParser>,
        keep: Option<&Bound<'_, PyList>>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let text = {
            let mut guard = Self::fed(slf, |reader, updates| feed_chunk(reader, chunk, updates))?;
            let this = &mut *guard;
            if this.updates.is_empty() {
                return Ok(unchanged(py));
            }
            if !this.only_followed() {
                let (list, to_build) = this.hand_out(py)?;
                drop(guard); // `_built` is a method of this reader
                let items = finish_building(slf, list, to_build)?;
                return Ok(Py::new(py, ReadPieces { items })?.into_any());
            }
            let joined = &mut this.joined;
            joined.clear();
            for update in this.updates.drain(..) {
                if let Some(text) = followed_text(this.follow, &update) {
                    joined.push_str(text);
                }
            }
            if joined.is_empty() {
                return Ok(unchanged(py));
            }
            this.followed = true;
            new_str(py, joined)
        };
        if let Some(keep) = keep {
            keep.append(&text)?;
        }
        let partial = TypedParser::feed(parser, &text)?;
        Ok(if parser.try_borrow_mut()?.take_changed_flag() {
            partial
        } else {
            unchanged(py)
        })
    }

    /// One event's JSON payload, taken out of its framing already; `event` is its SSE event type, if any.
    #[pyo3(signature = (data, event=None))]
    fn read_payload(
        slf: &Bound<'_, Self>,
        data: &str,
        event: Option<&str>,
    ) -> PyResult<Py<PyList>> {
        Self::step(slf, |reader, updates| {
            reader.payload(data, event, updates);
            Ok(())
        })
    }

    /// The stream ended (`[DONE]` or the connection closed): an unterminated SSE block is discarded.
    fn end(slf: &Bound<'_, Self>) -> PyResult<Py<PyList>> {
        Self::step(slf, |reader, updates| {
            reader.finish(updates);
            Ok(())
        })
    }

    /// Raise `error` at the next read (the caller hands out the updates before it first).
    fn defer(&mut self, error: Bound<'_, PyAny>) {
        self.deferred = Some(PyErr::from_value(error));
    }
}

/// A list with tuples goes through the subclass's `_built`, which builds what only Python can; others as they are.
fn finish_building(
    slf: &Bound<'_, ProviderReader>,
    list: Py<PyList>,
    to_build: bool,
) -> PyResult<Py<PyList>> {
    if !to_build {
        return Ok(list);
    }
    let py = slf.py();
    Ok(slf
        .call_method1(pyo3::intern!(py, "_built"), (list,))?
        .cast_into::<PyList>()?
        .unbind())
}

/// What `ProviderReader.read_into` returns when the read gave more than the followed text: the list `read` would
/// have returned, nothing of it fed.
#[pyclass(module = "midstream._native", name = "ReadPieces", frozen)]
pub(crate) struct ReadPieces {
    #[pyo3(get)]
    items: Py<PyList>,
}

/// `read_into`'s "nothing changed": a singleton (a partial can be any value, `None` included).
#[pyclass(module = "midstream._native", name = "Unchanged", frozen)]
pub(crate) struct Unchanged;

#[pymethods]
impl Unchanged {
    fn __repr__(&self) -> &'static str {
        "UNCHANGED"
    }
}

static UNCHANGED: pyo3::sync::PyOnceLock<Py<Unchanged>> = pyo3::sync::PyOnceLock::new();

/// The one `Unchanged` instance (`midstream._native.UNCHANGED`).
pub(crate) fn unchanged(py: Python<'_>) -> Py<PyAny> {
    UNCHANGED
        .get_or_init(py, || {
            Py::new(py, Unchanged).expect("allocating the UNCHANGED singleton")
        })
        .clone_ref(py)
        .into_any()
}

/// The followed text an update carries, if it is the followed output's.
fn followed_text(follow: Follow, update: &Update) -> Option<&String> {
    match (update, follow) {
        (Update::Text { choice: 0, text }, Follow::Content) => Some(text),
        (
            Update::ToolCall {
                choice: 0,
                index: 0,
                arguments,
                ..
            },
            Follow::Tool,
        ) => Some(arguments),
        _ => None,
    }
}

/// Feed one chunk of the raw body (bytes or text) to the Rust reader.
fn feed_chunk(
    reader: &mut Reader,
    chunk: &Bound<'_, PyAny>,
    updates: &mut Vec<Update>,
) -> PyResult<()> {
    match read_chunk(chunk)? {
        Chunk::Bytes(bytes) => reader.feed(&bytes, updates),
        Chunk::Text(text) => reader.feed_str(text, updates),
        // Each lone surrogate becomes U+FFFD, as in `SSEDecoder`.
        Chunk::Surrogates(text) => reader.feed_str(&without_surrogates(text)?, updates),
    }
    Ok(())
}

impl ProviderReader {
    /// Whether every update gathered is text of the followed output (so `hand_out` gives one `str`).
    fn only_followed(&self) -> bool {
        let follow = self.follow;
        self.updates
            .iter()
            .all(|update| followed_text(follow, update).is_some())
    }

    /// One call of `read`, `read_payload` or `end`: `fed`, then what it gathered handed out (through the
    /// subclass's `_built` when something is Python's to build).
    fn step(
        slf: &Bound<'_, Self>,
        feed: impl FnOnce(&mut Reader, &mut Vec<Update>) -> PyResult<()>,
    ) -> PyResult<Py<PyList>> {
        let (list, to_build) = Self::fed(slf, feed)?.hand_out(slf.py())?;
        finish_building(slf, list, to_build)
    }

    /// The start of every read: a deferred error raised first, then `feed` on the Rust reader, gathering into
    /// `updates`; the reader stays borrowed for what the caller does with them.
    fn fed<'py>(
        slf: &Bound<'py, Self>,
        feed: impl FnOnce(&mut Reader, &mut Vec<Update>) -> PyResult<()>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let mut guard = slf.try_borrow_mut()?;
        if let Some(error) = guard.deferred.take() {
            return Err(error);
        }
        let this = &mut *guard;
        feed(&mut this.reader, &mut this.updates)?;
        Ok(guard)
    }

    /// The updates gathered, as Python objects, the followed text joined; and whether any is a tuple to build.
    fn hand_out(&mut self, py: Python<'_>) -> PyResult<(Py<PyList>, bool)> {
        let list = PyList::empty(py);
        let mut to_build = false;
        let followed = &mut self.joined;
        followed.clear();
        for update in self.updates.drain(..) {
            if let Some(text) = followed_text(self.follow, &update) {
                followed.push_str(text);
                continue;
            }
            if !followed.is_empty() {
                list.append(new_str(py, followed))?;
                followed.clear();
                self.followed = true;
            }
            to_build |= !matches!(
                update,
                Update::Text { .. }
                    | Update::Refusal { .. }
                    | Update::ToolCall { .. }
                    | Update::Finished { .. }
            );
            list.append(make(py, &self.classes, update)?)?;
        }
        if !followed.is_empty() {
            list.append(new_str(py, followed))?;
            self.followed = true;
        }
        Ok((list.unbind(), to_build))
    }
}

/// One update as a Python object.
fn make<'py>(
    py: Python<'py>,
    classes: &[Py<PyType>; 4],
    update: Update,
) -> PyResult<Bound<'py, PyAny>> {
    let [text_class, refusal_class, tool_class, finished_class] = classes;
    match update {
        Update::Text { choice, text } => text_class.bind(py).call1((text, choice)),
        Update::Refusal { choice, text } => refusal_class.bind(py).call1((text, choice)),
        Update::ToolCall {
            choice,
            index,
            arguments,
            id,
            name,
        } => tool_class
            .bind(py)
            .call1((index, arguments, id, name, choice)),
        Update::Finished { choice, reason } => finished_class.bind(py).call1((reason, choice)),
        Update::Error { data, event } => Ok(PyTuple::new(py, ["error", &data, &event])?.into_any()),
        Update::NotJson { data } => Ok(PyTuple::new(py, ["not-json", &data])?.into_any()),
        Update::ArgsPieces {
            choice,
            index,
            pieces,
            start,
            id,
            name,
        } => Ok(("args", choice, index, pieces, start, id, name)
            .into_pyobject(py)?
            .into_any()),
        Update::ArgsEnd { choice, index } => {
            Ok(("args-end", choice, index).into_pyobject(py)?.into_any())
        }
    }
}
