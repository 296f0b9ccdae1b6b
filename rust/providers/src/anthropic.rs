//! Anthropic Messages streams: `content_block_start/delta/stop` per block `index`, `message_delta`, `error`.
//!
//! Text blocks give `text_delta`s; `tool_use` blocks give their id and name at `content_block_start` and their
//! JSON arguments as `input_json_delta.partial_json`. Thinking, signature and citation deltas are left out. A
//! `refusal` stop reason becomes a refusal carrying the provider's explanation.

use crate::extract::Want;
use crate::json::Value;

use crate::json::{display, get, get_some, get_str, get_text};
use crate::Update;

/// The SSE event types read; others (ping, content_block_stop...) are skipped unparsed.
pub(crate) const EVENTS: &[&str] = &[
    "message_start",
    "content_block_start",
    "content_block_delta",
    "message_delta",
    "error",
];

/// What an event's reading looks at.
pub(crate) static WANT: Want = Want::Object(&[
    ("type", Want::Any),
    ("index", Want::Any),
    (
        "delta",
        Want::Object(&[
            ("type", Want::Any),
            ("text", Want::Any),
            ("partial_json", Want::Any),
            ("stop_reason", Want::Any),
            ("stop_details", Want::Any),
        ]),
    ),
    (
        "content_block",
        Want::Object(&[
            ("type", Want::Any),
            ("id", Want::Any),
            ("name", Want::Any),
            ("text", Want::Any),
        ]),
    ),
    ("message", Want::Object(&[("usage", Want::Any)])),
    ("usage", Want::Any),
]);

#[derive(Debug, Clone, Default)]
pub(crate) struct Adapter {
    /// Content block index -> tool call position.
    tools: Vec<(Value, usize)>,
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
        let block_index = get(data, "index").cloned().unwrap_or(Value::Null);
        match kind {
            "content_block_delta" => {
                let Some(delta) = get_some(data, "delta") else {
                    return;
                };
                match get_str(delta, "type") {
                    Some("text_delta") => {
                        if let Some(text) = get_text(delta, "text") {
                            out.push(Update::Text {
                                choice: 0,
                                text: text.into(),
                            });
                        }
                    }
                    Some("input_json_delta") => {
                        let position = self
                            .tools
                            .iter()
                            .find(|(i, _)| *i == block_index)
                            .map(|(_, p)| *p);
                        let text = get_text(delta, "partial_json");
                        if let (Some(index), Some(text)) = (position, text) {
                            out.push(Update::ToolCall {
                                choice: 0,
                                index,
                                arguments: text.into(),
                                id: None,
                                name: None,
                            });
                        }
                    }
                    _ => {}
                }
            }
            "content_block_start" => {
                let Some(block) = get_some(data, "content_block") else {
                    return;
                };
                match get_str(block, "type") {
                    Some("tool_use") => {
                        let position = self.tools.len();
                        match self.tools.iter_mut().find(|(i, _)| *i == block_index) {
                            Some(entry) => entry.1 = position,
                            None => self.tools.push((block_index, position)),
                        }
                        out.push(Update::ToolCall {
                            choice: 0,
                            index: position,
                            arguments: String::new(),
                            id: get_str(block, "id").map(Into::into),
                            name: get_str(block, "name").map(Into::into),
                        });
                    }
                    Some("text") => {
                        if let Some(text) = get_text(block, "text") {
                            out.push(Update::Text {
                                choice: 0,
                                text: text.into(),
                            });
                        }
                    }
                    _ => {}
                }
            }
            "message_start" => {
                crate::usage(
                    get_some(data, "message").and_then(|m| get(m, "usage")),
                    usage,
                );
            }
            "message_delta" => {
                crate::usage(get(data, "usage"), usage);
                let Some(delta) = get_some(data, "delta") else {
                    return;
                };
                let Some(reason) = get_text(delta, "stop_reason") else {
                    return;
                };
                if reason == "refusal" {
                    let details = get_some(delta, "stop_details");
                    let explanation = details
                        .and_then(|d| {
                            [get_some(d, "explanation"), get_some(d, "category")]
                                .into_iter()
                                .flatten()
                                .find(|v| crate::json::truthy(Some(v)))
                        })
                        .map(display)
                        .unwrap_or_else(|| "refused".into());
                    out.push(Update::Refusal {
                        choice: 0,
                        text: explanation,
                    });
                }
                out.push(Update::Finished {
                    choice: 0,
                    reason: Some(reason.into()),
                });
            }
            "error" => out.push(crate::error(raw, event)),
            _ => {}
        }
    }
}
