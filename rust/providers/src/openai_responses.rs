//! OpenAI Responses API streams: typed events (`response.output_text.delta`, `...function_call_arguments.delta`).
//!
//! Function calls are keyed by `item_id` (and `output_index`) and numbered in the order they were added. Custom
//! tool calls carry free text, not JSON, and are left out. Unknown event types are ignored, as the API asks.

use crate::extract::Want;
use crate::json::Value;

use crate::json::{get, get_some, get_str, get_text};
use crate::Update;

/// The SSE event types read; others are skipped unparsed (and may even be malformed).
pub(crate) const EVENTS: &[&str] = &[
    "response.output_text.delta",
    "response.refusal.delta",
    "response.output_item.added",
    "response.function_call_arguments.delta",
    "response.completed",
    "response.incomplete",
    "response.failed",
    "error",
];

/// What an event's reading looks at.
pub(crate) static WANT: Want = Want::Object(&[
    ("type", Want::Any),
    ("delta", Want::Any),
    ("item_id", Want::Any),
    ("output_index", Want::Any),
    (
        "item",
        Want::Object(&[
            ("type", Want::Any),
            ("id", Want::Any),
            ("call_id", Want::Any),
            ("name", Want::Any),
            ("arguments", Want::Any),
        ]),
    ),
    (
        "response",
        Want::Object(&[("incomplete_details", Want::Any), ("usage", Want::Any)]),
    ),
]);

#[derive(Debug, Clone, Default)]
pub(crate) struct Adapter {
    /// Function call positions by item id, and by output index.
    by_item: Vec<(Value, usize)>,
    by_output: Vec<(Value, usize)>,
    calls: usize,
}

fn find(keys: &[(Value, usize)], key: &Value) -> Option<usize> {
    keys.iter().rev().find(|(k, _)| k == key).map(|(_, p)| *p)
}

impl Adapter {
    pub(crate) fn payload(
        &mut self,
        data: &Value,
        kind: &str,
        raw: &str,
        event: &str,
        usage: &mut Option<Value>,
        out: &mut Vec<Update>,
    ) {
        match kind {
            "response.output_text.delta" => {
                if let Some(text) = get_text(data, "delta") {
                    out.push(Update::Text {
                        choice: 0,
                        text: text.into(),
                    });
                }
            }
            "response.refusal.delta" => {
                if let Some(text) = get_text(data, "delta") {
                    out.push(Update::Refusal {
                        choice: 0,
                        text: text.into(),
                    });
                }
            }
            "response.output_item.added" => {
                let Some(item) = get_some(data, "item") else {
                    return;
                };
                if get_str(item, "type") != Some("function_call") {
                    return;
                }
                let position = self.calls;
                self.calls += 1;
                let id = get(item, "id").cloned().unwrap_or(Value::Null);
                let output = get(data, "output_index").cloned().unwrap_or(Value::Null);
                self.by_item.push((id, position));
                self.by_output.push((output, position));
                out.push(Update::ToolCall {
                    choice: 0,
                    index: position,
                    arguments: get_str(item, "arguments").unwrap_or("").into(),
                    id: get_str(item, "call_id").map(Into::into),
                    name: get_str(item, "name").map(Into::into),
                });
            }
            "response.function_call_arguments.delta" => {
                let id = get(data, "item_id").cloned().unwrap_or(Value::Null);
                let output = get(data, "output_index").cloned().unwrap_or(Value::Null);
                let found = find(&self.by_item, &id).or_else(|| find(&self.by_output, &output));
                if let (Some(index), Some(text)) = (found, get_text(data, "delta")) {
                    out.push(Update::ToolCall {
                        choice: 0,
                        index,
                        arguments: text.into(),
                        id: None,
                        name: None,
                    });
                }
            }
            "response.completed" => {
                crate::usage(
                    get_some(data, "response").and_then(|r| get(r, "usage")),
                    usage,
                );
                out.push(Update::Finished {
                    choice: 0,
                    reason: Some("completed".into()),
                });
            }
            "response.incomplete" => {
                crate::usage(
                    get_some(data, "response").and_then(|r| get(r, "usage")),
                    usage,
                );
                let reason = get_some(data, "response")
                    .and_then(|r| get_some(r, "incomplete_details"))
                    .and_then(|d| get_text(d, "reason"))
                    .unwrap_or("incomplete");
                out.push(Update::Finished {
                    choice: 0,
                    reason: Some(reason.into()),
                });
            }
            "response.failed" | "error" => out.push(crate::error(raw, event)),
            _ => {}
        }
    }
}
