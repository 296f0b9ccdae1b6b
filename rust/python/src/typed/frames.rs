//! Frames: one per open container the typed builder follows, holding that container's partial (`display`) and
//! what the part holding it will be validated from (`inputs`). The Rust twin of `midstream.pydantic._frames`,
//! for the shapes a plan covers (records, lists, dicts, scalars, values checked whole).
//!
//! Each frame knows where it sits in its parent (`step`) and whether the parent's partial holds its own
//! (`linked`). A frame may keep two partials: `display`, the one it changes, and `spare`, the one handed out
//! before it; while there is a spare, every change to `display` is also written to `log`, so that the spare, once
//! its holder lets go of it, can be brought up to date (`catch_up`) and changed in turn.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PySet, PyString};

use super::event::TypedStep;
use super::plan::{Blank, Field, NodeId, RecordKind};

/// A spare so far behind is dropped (a copy is cheaper than replaying this many changes).
pub(crate) const LOG_LIMIT: usize = 256;

/// A change made to a frame's partial, replayed onto its spare. `None` as a value stands for the open child's
/// partial, which the builder links in itself when it changes buffers (Python's `OPEN`).
pub(crate) enum Op {
    SetField(usize, Option<Py<PyAny>>),
    UnsetField(usize),
    Last(Option<Py<PyAny>>),
    Append(Option<Py<PyAny>>),
    Pop,
    DictSet(Py<PyString>, Option<Py<PyAny>>),
    DictPop(Py<PyString>),
}

pub(crate) enum FrameKind {
    /// The place that holds the root value.
    Root,
    /// A model, dataclass or TypedDict; `field` is the open child's field (`None`: a key the type lacks).
    Record {
        kind: RecordKind,
        /// Made only when a partial is handed out while the record is open (a record that begins and ends
        /// between two hand-outs never has one): until then, what it shows is kept here, field by field.
        pending: Vec<(usize, Py<PyAny>)>,
        /// The dict the value builder fills for this object: what the record is validated from while every
        /// child is given as parsed (`inputs` is `None`); the first child given otherwise copies it.
        raw: Py<PyDict>,
        inputs: Option<Py<PyDict>>,
        /// Keys and names of children that failed (their errors were reported), created when one fails.
        invalid: Option<Py<PySet>>,
        field: Option<usize>,
    },
    /// An array; `count` items begun in the document, `shown` whether the open one is in the partial yet.
    List {
        /// What the list is validated from, once an item's differs from what it shows (`None`: the display's
        /// finished items are their own inputs, as plain scalars are).
        inputs: Option<Py<PyList>>,
        count: usize,
        shown: bool,
        max_length: Option<usize>,
    },
    /// An object with arbitrary keys; `open_key` is the key last shown.
    Dict {
        inputs: Py<PyDict>,
        open_key: Option<Py<PyString>>,
    },
    /// A container whose children are not followed: checked whole (`Checked`), kept as parsed (`Unknown`), or
    /// already invalid (`Dead`). `nested` counts the values begun inside it and not finished.
    Opaque { nested: usize, how: Opaque },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opaque {
    Checked,
    Unknown,
    Dead,
    /// `Any`, or an untyped `dict`/`list`: shown as parsed, a copy of the untyped value taken when a partial is
    /// read after something inside changed (`stale`).
    Live {
        stale: bool,
    },
}

pub(crate) struct Frame {
    pub(crate) node: NodeId,
    pub(crate) kind: FrameKind,
    pub(crate) step: TypedStep,
    pub(crate) display: Option<Py<PyAny>>,
    pub(crate) linked: bool,
    pub(crate) spare: Option<Py<PyAny>>,
    pub(crate) log: Option<Vec<Op>>,
    /// A model partial's `__dict__` and `__pydantic_fields_set__`, looked up once per `display` (every change of
    /// `display` clears it).
    pub(crate) model_slots: Option<ModelSlots>,
}

/// What a model partial's fields are set through, without an attribute lookup per change.
pub(crate) struct ModelSlots {
    pub(crate) dict: Py<PyDict>,
    pub(crate) fields_set: Py<PySet>,
    /// Fields (by index, below 64) this partial's fields set is known to hold, so that a string growing in a
    /// field does not add its name again on every chunk. Cleared for a field that is unset.
    pub(crate) in_fields_set: u64,
}

impl ModelSlots {
    /// Set field `index` (named `name`) to `value`.
    pub(crate) fn set(
        &mut self,
        py: Python<'_>,
        index: usize,
        name: &Bound<'_, PyString>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.dict.bind(py).set_item(name, value)?;
        let bit = 1u64.checked_shl(index as u32).unwrap_or(0);
        if self.in_fields_set & bit == 0 {
            self.fields_set.bind(py).add(name)?;
            self.in_fields_set |= bit;
        }
        Ok(())
    }

    /// Field `index` was unset (by Python: the fields set no longer holds it).
    pub(crate) fn forget(&mut self, index: usize) {
        self.in_fields_set &= !1u64.checked_shl(index as u32).unwrap_or(0);
    }
}

impl Frame {
    pub(crate) fn new(
        node: NodeId,
        kind: FrameKind,
        step: TypedStep,
        display: Option<Py<PyAny>>,
    ) -> Frame {
        Frame {
            node,
            kind,
            step,
            display,
            linked: false,
            spare: None,
            log: None,
            model_slots: None,
        }
    }

    pub(crate) fn is_opaque(&self) -> bool {
        matches!(self.kind, FrameKind::Opaque { .. })
    }

    pub(crate) fn logged(&mut self, op: Op) {
        let Some(log) = &mut self.log else {
            return;
        };
        if log.len() >= LOG_LIMIT {
            self.spare = None;
            self.log = None;
        } else {
            log.push(op);
        }
    }
}

/// A field of a record partial, set the way its kind needs (a model's `__dict__` and fields set, a dict key).
/// Dataclasses go through Python (`set_dataclass`), which also handles frozen ones.
pub(crate) fn set_field(
    py: Python<'_>,
    kind: RecordKind,
    buffer: &Bound<'_, PyAny>,
    field: &Field,
    value: &Bound<'_, PyAny>,
    set_dataclass: &Py<PyAny>,
) -> PyResult<()> {
    match kind {
        RecordKind::Model => {
            instance_dict(buffer)?.set_item(field.name.bind(py), value)?;
            let fields_set = object_getattr(buffer, pyo3::intern!(py, "__pydantic_fields_set__"))?;
            fields_set.cast::<PySet>()?.add(field.name.bind(py))?;
        }
        RecordKind::TypedDict => buffer.set_item(field.key.bind(py), value)?,
        RecordKind::Dataclass => {
            set_dataclass.call1(py, (buffer, field.name.bind(py), value))?;
        }
    }
    Ok(())
}

/// A model partial's `__dict__` and `__pydantic_fields_set__`.
pub(crate) fn model_slots(py: Python<'_>, partial: &Bound<'_, PyAny>) -> PyResult<ModelSlots> {
    let dict = instance_dict(partial)?;
    let fields_set = object_getattr(partial, pyo3::intern!(py, "__pydantic_fields_set__"))?
        .cast_into::<PySet>()?;
    Ok(ModelSlots {
        dict: dict.unbind(),
        fields_set: fields_set.unbind(),
        in_fields_set: 0,
    })
}

/// The value of a field in a record partial (`None` if unset), for telling whose references a partial has.
pub(crate) fn get_field<'py>(
    py: Python<'py>,
    kind: RecordKind,
    buffer: &Bound<'py, PyAny>,
    field: &Field,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    match kind {
        RecordKind::Model => instance_dict(buffer)?.get_item(field.name.bind(py)),
        RecordKind::TypedDict => buffer.cast::<PyDict>()?.get_item(field.key.bind(py)),
        RecordKind::Dataclass => Ok(buffer.getattr(field.name.bind(py)).ok()),
    }
}

/// A fresh model partial, as `ModelShape.new_partial` makes it (what `model_construct` does for such a model).
pub(crate) fn new_model_partial<'py>(
    py: Python<'py>,
    cls: &Bound<'py, PyAny>,
    blank: &Blank,
) -> PyResult<Bound<'py, PyAny>> {
    let values = blank.shared.bind(py).copy()?;
    for (name, make) in &blank.made {
        values.set_item(name.bind(py), make.call0(py)?)?;
    }
    let partial = cls.call_method1(pyo3::intern!(py, "__new__"), (cls,))?;
    let extra = if blank.keeps_extra {
        PyDict::new(py).into_any()
    } else {
        py.None().into_bound(py)
    };
    set_model_state(
        &partial,
        values.as_any(),
        PySet::empty(py)?.as_any(),
        &extra,
    )?;
    Ok(partial)
}

/// A shallow copy of a model partial made by `new_model_partial`: what `ModelShape.copy_partial` does (and
/// `BaseModel.__copy__`, for a partial with no private attributes), without a Python frame or a method wrapper
/// per copy (a caller who keeps every partial makes one per chunk).
pub(crate) fn copy_model_partial<'py>(
    py: Python<'py>,
    cls: &Bound<'py, PyAny>,
    partial: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let twin = cls.call_method1(pyo3::intern!(py, "__new__"), (cls,))?;
    let dict = instance_dict(partial)?.copy()?;
    let fields_set = object_getattr(partial, pyo3::intern!(py, "__pydantic_fields_set__"))?
        .call_method0(pyo3::intern!(py, "copy"))?;
    let extra = object_getattr(partial, pyo3::intern!(py, "__pydantic_extra__"))?;
    let extra = match extra.cast::<PyDict>() {
        Ok(extra) => extra.copy()?.into_any(),
        Err(_) => py.None().into_bound(py),
    };
    set_model_state(&twin, dict.as_any(), &fields_set, &extra)?;
    Ok(twin)
}

/// Give a model instance made by `cls.__new__` its state, as `BaseModel.model_construct` does (no private
/// attributes: a partial has none).
fn set_model_state(
    instance: &Bound<'_, PyAny>,
    dict: &Bound<'_, PyAny>,
    fields_set: &Bound<'_, PyAny>,
    extra: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let py = instance.py();
    object_setattr(instance, pyo3::intern!(py, "__dict__"), dict)?;
    object_setattr(
        instance,
        pyo3::intern!(py, "__pydantic_fields_set__"),
        fields_set,
    )?;
    object_setattr(instance, pyo3::intern!(py, "__pydantic_extra__"), extra)?;
    let none = py.None().into_bound(py);
    object_setattr(instance, pyo3::intern!(py, "__pydantic_private__"), &none)
}

/// A model instance's `__dict__`, read the way `object.__getattribute__` reads it: past the class's `__getattr__`
/// hook (pydantic's `BaseModel` has one, which makes every attribute read go through a slower slot function: ~320
/// instructions per read, against ~40 here).
pub(crate) fn instance_dict<'py>(instance: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    // SAFETY: `instance` is a live `Bound` (the GIL is held). `PyObject_GenericGetDict` accepts a null context
    // and returns a new reference to the instance's `__dict__` (made if the type has one and it was not made
    // yet), or null with an exception set (no `__dict__`), which `from_owned_ptr_or_err` takes.
    let dict = unsafe {
        Bound::from_owned_ptr_or_err(
            instance.py(),
            pyo3::ffi::PyObject_GenericGetDict(instance.as_ptr(), std::ptr::null_mut()),
        )?
    };
    Ok(dict.cast_into::<PyDict>()?)
}

/// `object.__getattribute__(target, name)`: the generic attribute getter, past the class's `__getattr__` hook
/// (see `instance_dict`).
fn object_getattr<'py>(
    target: &Bound<'py, PyAny>,
    name: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: both pointers come from live `Bound` references and the GIL is held. `PyObject_GenericGetAttr`
    // borrows them and returns a new reference, or null with an exception set, which `from_owned_ptr_or_err`
    // takes.
    unsafe {
        Bound::from_owned_ptr_or_err(
            target.py(),
            pyo3::ffi::PyObject_GenericGetAttr(target.as_ptr(), name.as_ptr()),
        )
    }
}

/// `object.__setattr__(target, name, value)`: the generic attribute setter, past the class's own `__setattr__`
/// (a model's validates assignments).
fn object_setattr(
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
