//! OpenAI Chat Completions streams, and the OpenAI-compatible servers.
//!
//! Each chunk's `choices[i].delta` carries `content`, `refusal` or `tool_calls` fragments; `finish_reason` ends a
//! choice; a chunk with an `error` (and no choices) is an error. Tool calls are matched to their calls by `index`,
//! tolerating the compatible servers' deviations: a missing `index` (each chunk then names its call by `id`, or
//! continues the last one), an `index` repeated with a new `id` (a new call), `name: ""` on continuations, and
//! whole arguments in one chunk.

use crate::extract::Want;
use crate::json::Value;

use crate::json::{as_int, get, get_some, get_str, get_text, items, truthy};
use crate::Update;

/// What a chunk's reading looks at.
pub(crate) static WANT: Want = Want::Object(&[
    ("choices", Want::Array(&CHOICE)),
    ("error", Want::Any),
    ("usage", Want::Any),
]);
static CHOICE: Want = Want::Object(&[
    ("index", Want::Any),
    ("finish_reason", Want::Any),
    (
        "delta",
        Want::Object(&[
            ("content", Want::Any),
            ("refusal", Want::Any),
            ("tool_calls", Want::Array(&TOOL_CALL)),
        ]),
    ),
]);
static TOOL_CALL: Want = Want::Object(&[
    ("index", Want::Any),
    ("id", Want::Any),
    (
        "function",
        Want::Object(&[("name", Want::Any), ("arguments", Want::Any)]),
    ),
]);

#[derive(Debug, Clone, Default)]
pub(crate) struct Adapter {
    /// The tool calls of each choice.
    calls: Vec<(i64, Calls)>,
}

/// The tool calls of one choice: their ids in the order they began, and positions by the provider's `index`.
#[derive(Debug, Clone, Default)]
struct Calls {
    ids: Vec<Option<String>>,
    by_index: Vec<(i64, usize)>,
}

impl Calls {
    /// The call a fragment belongs to, and whether it is a new call.
    fn position(&mut self, index: Option<i64>, call_id: Option<&str>) -> (usize, bool) {
        let Some(index) = index else {
            if let Some(last) = self.ids.last() {
                if call_id.is_none() || call_id == last.as_deref() {
                    return (self.ids.len() - 1, false);
                }
            }
            return (self.new_call(call_id), true);
        };
        let known = self
            .by_index
            .iter()
            .rev()
            .find(|(i, _)| *i == index)
            .map(|(_, p)| *p);
        if let Some(known) = known {
            let same = match (call_id, &self.ids[known]) {
                (None, _) | (_, None) => true,
                (Some(new), Some(old)) => new == old,
            };
            if same {
                if let Some(call_id) = call_id {
                    self.ids[known] = Some(call_id.into());
                }
                return (known, false);
            }
        }
        let position = self.new_call(call_id);
        match self.by_index.iter_mut().find(|(i, _)| *i == index) {
            Some(entry) => entry.1 = position,
            None => self.by_index.push((index, position)),
        }
        (position, true)
    }

    fn new_call(&mut self, call_id: Option<&str>) -> usize {
        self.ids.push(call_id.map(Into::into));
        self.ids.len() - 1
    }
}

impl Adapter {
    pub(crate) fn payload(
        &mut self,
        data: &Value,
        raw: &str,
        event: &str,
        usage: &mut Option<Value>,
        out: &mut Vec<Update>,
    ) {
        let choices = get(data, "choices");
        if truthy(get(data, "error")) && !truthy(choices) {
            out.push(crate::error(raw, event));
            return;
        }
        crate::usage(get(data, "usage"), usage);
        for choice in items(choices) {
            let number = as_int(get(choice, "index")).unwrap_or(0);
            let delta = get_some(choice, "delta");
            if let Some(delta) = delta {
                if let Some(text) = get_text(delta, "content") {
                    out.push(Update::Text {
                        choice: number,
                        text: text.into(),
                    });
                }
                if let Some(text) = get_text(delta, "refusal") {
                    out.push(Update::Refusal {
                        choice: number,
                        text: text.into(),
                    });
                }
                for call in items(get(delta, "tool_calls")) {
                    out.push(self.tool_call(number, call));
                }
            }
            if let Some(reason) = get_text(choice, "finish_reason") {
                out.push(Update::Finished {
                    choice: number,
                    reason: Some(reason.into()),
                });
            }
        }
    }

    fn tool_call(&mut self, choice: i64, call: &Value) -> Update {
        let calls = match self.calls.iter().position(|(c, _)| *c == choice) {
            Some(at) => &mut self.calls[at].1,
            None => {
                self.calls.push((choice, Calls::default()));
                &mut self.calls.last_mut().expect("just pushed").1
            }
        };
        let function = get_some(call, "function");
        let call_id = get_text(call, "id");
        let (index, new) = calls.position(as_int(get(call, "index")), call_id);
        let name = function.and_then(|f| get_text(f, "name"));
        let arguments = function.and_then(|f| get_str(f, "arguments")).unwrap_or("");
        Update::ToolCall {
            choice,
            index,
            arguments: arguments.into(),
            id: call_id.filter(|_| new).map(Into::into),
            name: name.filter(|_| new).map(Into::into),
        }
    }
}
