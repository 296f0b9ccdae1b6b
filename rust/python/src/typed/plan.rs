//! The plan: a type compiled (by `midstream.pydantic._native_plan`) into nodes the typed builder follows without
//! asking Python, one per shape. A *place* is where a value sits (a field, a list item, the root): the node to use
//! for each JSON kind the value may turn out to have, as `Shape.resolve(kind)` decided it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use super::builder::Hooks;
use super::event::JsonKind;

pub(crate) type NodeId = usize;

/// A record's fields by JSON key. Looked up for every key of the document (by the value builder and the typed
/// builder), so hashed with FNV-1a rather than SipHash: the table is small, fixed and made of the type's own names,
/// so a keyed hash buys nothing against hostile keys (a lookup probes at most the table).
pub(crate) type FieldTable = HashMap<String, usize, BuildHasherDefault<Fnv>>;

/// FNV-1a, 64 bits.
#[derive(Default)]
pub(crate) struct Fnv(Option<u64>);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0.unwrap_or(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = self.finish();
        for &byte in bytes {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = Some(hash);
    }
}
/// A node per JSON kind, in `JsonKind` order.
pub(crate) type Place = [NodeId; 6];

/// The kinds of record a partial instance is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordKind {
    /// A model: fields set in its `__dict__` and `__pydantic_fields_set__`.
    Model,
    /// A TypedDict: a plain dict.
    TypedDict,
    /// A dataclass: fields set by Python (`object.__setattr__`, frozen ones too).
    Dataclass,
}

/// A plain scalar type checked natively for a JSON value of its own kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plain {
    Str,
    Int,
    Float,
    Bool,
    None,
}

pub(crate) struct Field {
    /// The attribute name.
    pub(crate) name: Py<PyString>,
    /// Its own JSON key (a TypedDict partial is keyed by it), whichever spelling the document used.
    pub(crate) key: Py<PyString>,
    /// The `FieldSpec`, for Python's own field operations.
    pub(crate) spec: Py<PyAny>,
    pub(crate) place: Place,
}

/// What a fresh model partial is made of: the field values shared as they are, the ones made anew by a call, and
/// whether it keeps extra keys.
pub(crate) struct Blank {
    pub(crate) shared: Py<PyDict>,
    pub(crate) made: Vec<(Py<PyString>, Py<PyAny>)>,
    pub(crate) keeps_extra: bool,
}

pub(crate) enum Node {
    /// A model, TypedDict or dataclass filled in field by field, validated once when it finishes.
    Record {
        shape: Py<PyAny>,
        kind: RecordKind,
        fields: FieldTable,
        by_index: Vec<Field>,
        /// The class of its instances (what a `Validated` marker of it carries).
        cls: Py<PyAny>,
        /// Validates it from its children's values: asked of Python the first time one finishes.
        validate: OnceLock<Py<PyAny>>,
        /// How a model's partial instance is made without Python (`ModelShape.blank`; `None`: Python makes it),
        /// asked of Python the first time one is made.
        blank: OnceLock<Option<Blank>>,
        /// Its validated instance is handed over as it is, not in a `Validated` marker (`passes_as_instance`).
        bare: bool,
        /// Its class's own `validate_json`, if one that begins and ends within one chunk may be validated from its
        /// text in one call (`_native_plan.record_whole_validator`), asked of Python the first time one does.
        whole: OnceLock<Option<Py<PyAny>>>,
        /// The same for a list of them: the items of a list that arrive whole one after another are validated
        /// together (`_native_plan.record_list_whole_validator`).
        whole_list: OnceLock<Option<Py<PyAny>>>,
    },
    /// An array followed item by item.
    List {
        item: Place,
        max_length: Option<usize>,
        /// What the finished items are gathered into, if not a list (`tuple`, `set`, `frozenset`).
        container: Option<Py<PyAny>>,
    },
    /// An object with arbitrary keys.
    Dict { value: Place },
    /// A scalar: shown once finished and checked; a string also while it grows.
    Leaf {
        shape: Py<PyAny>,
        plain: Option<Plain>,
        grows: bool,
        max_length: Option<usize>,
        /// A Literal's or Enum's values: what each JSON `str`/`int` value of them validates to.
        choices: Option<Py<PyDict>>,
    },
    /// A value checked as a whole by its shape when it finishes (shown as `None` until then).
    Checked { shape: Py<PyAny> },
    /// A key the type does not declare: kept for validation as parsed, never shown.
    Unknown,
    /// `Any`, `dict` or `list` (`passthrough`: `Any` itself, taken as parsed): a container shown as parsed while it
    /// grows, a string shown as it grows; checked whole when it finishes.
    Live { shape: Py<PyAny>, passthrough: bool },
}

/// A type's plan, made once per type and shared by every `TypedParser` of it.
#[pyclass(frozen, module = "midstream._native", name = "TypedPlan")]
pub(crate) struct TypedPlan {
    pub(crate) plan: Arc<Plan>,
    /// The Python functions the builder calls (the module `hooks`).
    pub(crate) hooks: Arc<Hooks>,
}

#[pymethods]
impl TypedPlan {
    #[new]
    fn new(
        nodes: &Bound<'_, PyList>,
        root: &Bound<'_, PyAny>,
        hooks: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(TypedPlan {
            plan: Arc::new(Plan::from_py(nodes, root)?),
            hooks: Arc::new(Hooks::from_py(hooks)?),
        })
    }

    fn __len__(&self) -> usize {
        self.plan.nodes.len()
    }
}

pub(crate) struct Plan {
    pub(crate) nodes: Vec<Node>,
    pub(crate) root: Place,
    pub(crate) unknown: Place,
}

impl Plan {
    /// Read the plan `_native_plan.compile_plan` made: `(nodes, root_place)`.
    pub(crate) fn from_py(nodes: &Bound<'_, PyList>, root: &Bound<'_, PyAny>) -> PyResult<Plan> {
        let mut plan = Vec::with_capacity(nodes.len() + 1);
        for node in nodes.iter() {
            plan.push(node_from_py(&node)?);
        }
        let unknown_id = plan.len();
        plan.push(Node::Unknown);
        let root = place_from_py(root, plan.len())?;
        let count = plan.len();
        let places = plan.iter().flat_map(|node| -> Vec<&Place> {
            match node {
                Node::Record { by_index, .. } => {
                    by_index.iter().map(|field| &field.place).collect()
                }
                Node::List { item, .. } => vec![item],
                Node::Dict { value, .. } => vec![value],
                _ => Vec::new(),
            }
        });
        if places.flatten().any(|&id| id >= count) {
            return Err(PyValueError::new_err(
                "a place names a node that does not exist",
            ));
        }
        Ok(Plan {
            nodes: plan,
            root,
            unknown: [unknown_id; 6],
        })
    }

    pub(crate) fn resolve(&self, place: &Place, kind: JsonKind) -> NodeId {
        place[kind.index()]
    }
}

fn place_from_py(place: &Bound<'_, PyAny>, count: usize) -> PyResult<Place> {
    let ids: Vec<usize> = place.extract()?;
    let ids: Place = ids
        .try_into()
        .map_err(|_| PyValueError::new_err("a place has one node per JSON kind (6)"))?;
    if ids.iter().any(|&id| id >= count) {
        return Err(PyValueError::new_err(
            "a place names a node that does not exist",
        ));
    }
    Ok(ids)
}

pub(crate) fn blank_from_py(blank: &Bound<'_, PyAny>) -> PyResult<Option<Blank>> {
    if blank.is_none() {
        return Ok(None);
    }
    let blank = blank.cast::<PyTuple>()?;
    let made = blank
        .get_item(1)?
        .try_iter()?
        .map(|pair| {
            let pair = pair?;
            Ok((
                pair.get_item(0)?.cast_into::<PyString>()?.unbind(),
                pair.get_item(1)?.unbind(),
            ))
        })
        .collect::<PyResult<_>>()?;
    Ok(Some(Blank {
        shared: blank.get_item(0)?.cast_into::<PyDict>()?.unbind(),
        made,
        keeps_extra: blank.get_item(2)?.is_truthy()?,
    }))
}

fn node_from_py(node: &Bound<'_, PyAny>) -> PyResult<Node> {
    let node = node.cast::<PyTuple>()?;
    let tag: String = node.get_item(0)?.extract()?;
    let shape = node.get_item(1)?.unbind();
    // Node ids are checked against the final count once every node is read.
    let unchecked = usize::MAX;
    Ok(match tag.as_str() {
        "record" => {
            let kind = match node.get_item(2)?.extract::<String>()?.as_str() {
                "model" => RecordKind::Model,
                "typeddict" => RecordKind::TypedDict,
                "dataclass" => RecordKind::Dataclass,
                other => {
                    return Err(PyValueError::new_err(format!(
                        "unknown record kind {other:?}"
                    )))
                }
            };
            let table = node.get_item(3)?;
            let table = table.cast::<PyDict>()?;
            let mut fields = FieldTable::with_capacity_and_hasher(table.len(), Default::default());
            let mut by_index = Vec::with_capacity(table.len());
            for (key, field) in table.iter() {
                let field = field.cast::<PyTuple>()?;
                fields.insert(key.extract::<String>()?, by_index.len());
                by_index.push(Field {
                    name: field.get_item(0)?.cast_into::<PyString>()?.unbind(),
                    key: field.get_item(3)?.cast_into::<PyString>()?.unbind(),
                    spec: field.get_item(1)?.unbind(),
                    place: place_from_py(&field.get_item(2)?, unchecked)?,
                });
            }
            Node::Record {
                shape,
                kind,
                fields,
                by_index,
                cls: node.get_item(4)?.unbind(),
                validate: OnceLock::new(),
                blank: OnceLock::new(),
                bare: node.get_item(5)?.is_truthy()?,
                whole: OnceLock::new(),
                whole_list: OnceLock::new(),
            }
        }
        "list" => Node::List {
            item: place_from_py(&node.get_item(2)?, unchecked)?,
            max_length: node.get_item(3)?.extract()?,
            container: Some(node.get_item(4)?)
                .filter(|container| !container.is_none())
                .map(Bound::unbind),
        },
        "dict" => Node::Dict {
            value: place_from_py(&node.get_item(2)?, unchecked)?,
        },
        "leaf" => Node::Leaf {
            shape,
            plain: match node.get_item(2)?.extract::<u8>()? {
                0 => None,
                1 => Some(Plain::Str),
                2 => Some(Plain::Int),
                3 => Some(Plain::Float),
                4 => Some(Plain::Bool),
                5 => Some(Plain::None),
                other => return Err(PyValueError::new_err(format!("unknown plain type {other}"))),
            },
            grows: node.get_item(3)?.extract()?,
            max_length: node.get_item(4)?.extract()?,
            choices: node.get_item(5)?.extract()?,
        },
        "checked" => Node::Checked { shape },
        "live" => Node::Live {
            shape,
            passthrough: node.get_item(2)?.is_truthy()?,
        },
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown plan node {other:?}"
            )))
        }
    })
}
