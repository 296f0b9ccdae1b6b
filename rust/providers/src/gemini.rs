//! Google Gemini `streamGenerateContent?alt=sse` streams (Gemini API and Vertex AI).
//!
//! Each payload holds `candidates[i].content.parts`: `text` parts (thought parts left out), and `functionCall`
//! parts, which arrive whole (`args` as an object, written back as JSON text) or, on Vertex with streamed
//! function-call arguments, as a `functionCall` with `willContinue` followed by `partialArgs` pieces, handed over
//! as [`Update::ArgsPieces`]. `finishReason` ends a candidate; an `error` payload is an error. Both the wire's
//! camelCase and the SDK's snake_case spellings are read.

use crate::extract::Want;
use crate::json::Value;

use crate::json::{
    as_int, display, get, get_either, get_some, get_str, get_text, items, truthy, write_json,
};
use crate::Update;

/// What a payload's reading looks at.
pub(crate) static WANT: Want = Want::Object(&[
    ("error", Want::Any),
    ("usageMetadata", Want::Any),
    ("usage_metadata", Want::Any),
    ("candidates", Want::Array(&CANDIDATE)),
]);
static CANDIDATE: Want = Want::Object(&[
    ("index", Want::Any),
    ("finishReason", Want::Any),
    ("finish_reason", Want::Any),
    ("content", Want::Object(&[("parts", Want::Array(&PART))])),
]);
static PART: Want = Want::Object(&[
    ("text", Want::Any),
    ("thought", Want::Any),
    ("functionCall", CALL),
    ("function_call", CALL),
]);
const CALL: Want = Want::Object(&[
    ("id", Want::Any),
    ("name", Want::Any),
    ("args", Want::Any),
    ("partialArgs", Want::Any),
    ("partial_args", Want::Any),
    ("willContinue", Want::Any),
    ("will_continue", Want::Any),
]);

#[derive(Debug, Clone, Default)]
pub(crate) struct Adapter {
    /// Candidate -> number of function calls begun.
    calls: Vec<(i64, usize)>,
    /// Candidate -> the call whose arguments are streaming.
    streaming: Vec<(i64, usize)>,
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
        if truthy(get(data, "error")) {
            out.push(crate::error(raw, event));
            return;
        }
        crate::usage(get_either(data, "usageMetadata", "usage_metadata"), usage);
        for (number, candidate) in items(get(data, "candidates")).iter().enumerate() {
            // `candidate.get("index", number) or 0`
            let choice = match get(candidate, "index") {
                None => number as i64,
                index => as_int(index).unwrap_or(0),
            };
            if let Some(content) = get_some(candidate, "content") {
                for part in items(get(content, "parts")) {
                    self.part(choice, part, out);
                }
            }
            if let Some(reason) =
                get_either(candidate, "finishReason", "finish_reason").filter(|r| truthy(Some(r)))
            {
                self.close(choice, out);
                out.push(Update::Finished {
                    choice,
                    reason: Some(display(reason).to_lowercase()),
                });
            }
        }
    }

    fn part(&mut self, choice: i64, part: &Value, out: &mut Vec<Update>) {
        let Some(call) = get_either(part, "functionCall", "function_call") else {
            if let Some(text) = get_text(part, "text") {
                if !truthy(get(part, "thought")) {
                    out.push(Update::Text {
                        choice,
                        text: text.into(),
                    });
                }
            }
            return;
        };
        let partial_args = get_either(call, "partialArgs", "partial_args");
        let will_continue = truthy(get_either(call, "willContinue", "will_continue"));
        let args = get_some(call, "args");
        let continues =
            partial_args.is_some() || (get_some(call, "name").is_none() && args.is_none());
        let pieces = || {
            let mut text = String::new();
            match partial_args {
                Some(value) => write_json(value, &mut text),
                None => text.push_str("[]"),
            }
            text
        };
        if let Some(&(_, index)) = self.streaming.iter().find(|(c, _)| *c == choice) {
            if continues {
                // More of the call being streamed, or its end (`{}`).
                out.push(Update::ArgsPieces {
                    choice,
                    index,
                    pieces: pieces(),
                    start: false,
                    id: None,
                    name: None,
                });
                if !will_continue {
                    self.close(choice, out);
                }
                return;
            }
        }
        self.close(choice, out);
        let index = match self.calls.iter_mut().find(|(c, _)| *c == choice) {
            Some(entry) => {
                entry.1 += 1;
                entry.1 - 1
            }
            None => {
                self.calls.push((choice, 1));
                0
            }
        };
        let id = get_str(call, "id").map(Into::into);
        let name = get_str(call, "name").map(Into::into);
        if will_continue && args.is_none() {
            // Streamed: partialArgs follow.
            self.streaming.push((choice, index));
            out.push(Update::ArgsPieces {
                choice,
                index,
                pieces: pieces(),
                start: true,
                id,
                name,
            });
            return;
        }
        let mut arguments = String::new();
        match args {
            Some(args) => write_json(args, &mut arguments),
            None => arguments.push_str("{}"),
        }
        out.push(Update::ToolCall {
            choice,
            index,
            arguments,
            id,
            name,
        });
    }

    /// End the call of `choice` whose arguments are still streaming, if any.
    fn close(&mut self, choice: i64, out: &mut Vec<Update>) {
        if let Some(at) = self.streaming.iter().position(|(c, _)| *c == choice) {
            let (_, index) = self.streaming.swap_remove(at);
            out.push(Update::ArgsEnd { choice, index });
        }
    }
}
