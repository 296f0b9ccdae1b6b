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
        Self::step(slf, |reader, updates| {
            match read_chunk(chunk)? {
                Chunk::Bytes(bytes) => reader.feed(&bytes, updates),
                Chunk::Text(text) => reader.feed_str(text, updates),
                // Each lone surrogate becomes U+FFFD, as in `SSEDecoder`.
                Chunk::Surrogates(text) => reader.feed_str(&without_surrogates(text)?, updates),
            }
            Ok(())
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

impl ProviderReader {
    /// One call of `read`, `read_payload` or `end`: a deferred error first, then `feed` on the Rust reader, then
    /// what it gathered handed out (through the subclass's `_built` when something is Python's to build).
    fn step(
        slf: &Bound<'_, Self>,
        feed: impl FnOnce(&mut Reader, &mut Vec<Update>) -> PyResult<()>,
    ) -> PyResult<Py<PyList>> {
        let (list, to_build) = {
            let mut this = slf.try_borrow_mut()?;
            if let Some(error) = this.deferred.take() {
                return Err(error);
            }
            let this = &mut *this;
            feed(&mut this.reader, &mut this.updates)?;
            this.hand_out(slf.py())?
        };
        finish_building(slf, list, to_build)
    }

    /// The updates gathered, as Python objects, the followed text joined; and whether any is a tuple to build.
    fn hand_out(&mut self, py: Python<'_>) -> PyResult<(Py<PyList>, bool)> {
        let list = PyList::empty(py);
        let mut to_build = false;
        let followed = &mut self.joined;
        followed.clear();
        for update in self.updates.drain(..) {
            let text = match (&update, self.follow) {
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
            };
            if let Some(text) = text {
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
