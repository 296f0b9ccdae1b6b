//! # midstream-providers
//!
//! LLM provider streams read natively: raw Server-Sent Events bytes (or one event's JSON payload at a time) in,
//! the text deltas of each output out — the answer's text, each tool call's arguments, refusals, finish reasons.
//! One [`Reader`] per stream: it keeps the stream's state (which tool call a fragment belongs to).
//!
//! ```
//! use midstream_providers::{Provider, Reader, Update};
//!
//! let mut reader = Reader::new(Provider::OpenAIChat);
//! let mut updates = Vec::new();
//! reader.feed(b"data: {\"choices\": [{\"index\": 0, \"delta\": {\"content\": \"{\\\"a\\\"\"}}]}\n\n", &mut updates);
//! reader.feed(b"data: {\"choices\": [{\"index\": 0, \"delta\": {}, \"finish_reason\": \"stop\"}]}\n\ndata: [DONE]\n\n", &mut updates);
//! assert_eq!(updates, vec![
//!     Update::Text { choice: 0, text: "{\"a\"".into() },
//!     Update::Finished { choice: 0, reason: Some("stop".into()) },
//! ]);
//! ```
//!
//! Each event's payload is decoded with `midstream-core` (strict JSON; a lone surrogate escape becomes U+FFFD).
//! What a caller must build itself is handed over as it came: provider errors ([`Update::Error`], the whole
//! payload, so the caller raises its own exception type) and Vertex AI's streamed function-call arguments
//! ([`Update::ArgsPieces`], the `partialArgs` as JSON text, turned into JSON text by the caller).
//!
//! The crate follows the Python adapters it replaced point by point; `docs/providers.md` lists what each provider
//! sends and how it is read.

#![forbid(unsafe_code)]

mod anthropic;
mod extract;
mod gemini;
mod json;
mod openai_chat;
mod openai_responses;
mod pull;

use crate::json::Value;
use midstream_sse::{Decoder, EventRef};

/// The stream formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// OpenAI Chat Completions, and the OpenAI-compatible servers (Ollama, vLLM, Groq, Mistral, xAI, DeepSeek).
    OpenAIChat,
    /// The OpenAI Responses API.
    OpenAIResponses,
    /// Anthropic Messages.
    Anthropic,
    /// Google Gemini `streamGenerateContent?alt=sse` (Gemini API and Vertex AI).
    Gemini,
}

impl Provider {
    /// Every provider, by the names the Python package uses.
    pub const ALL: [Provider; 4] = [
        Provider::OpenAIChat,
        Provider::OpenAIResponses,
        Provider::Anthropic,
        Provider::Gemini,
    ];

    /// The provider called `name` (`"openai"`, `"openai-responses"`, `"anthropic"`, `"gemini"`).
    pub fn from_name(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The provider's name in the Python package.
    pub fn name(self) -> &'static str {
        match self {
            Provider::OpenAIChat => "openai",
            Provider::OpenAIResponses => "openai-responses",
            Provider::Anthropic => "anthropic",
            Provider::Gemini => "gemini",
        }
    }

    /// What of each event's payload the provider's reading looks at.
    fn wants(self) -> &'static extract::Want {
        match self {
            Provider::OpenAIChat => &openai_chat::WANT,
            Provider::OpenAIResponses => &openai_responses::WANT,
            Provider::Anthropic => &anthropic::WANT,
            Provider::Gemini => &gemini::WANT,
        }
    }

    /// The SSE event types read, for providers that name their events; others are skipped unparsed (and may even
    /// be malformed). `None`: every event is read.
    fn events(self) -> Option<&'static [&'static str]> {
        match self {
            Provider::Anthropic => Some(anthropic::EVENTS),
            Provider::OpenAIResponses => Some(openai_responses::EVENTS),
            Provider::OpenAIChat | Provider::Gemini => None,
        }
    }
}

/// Whether each event reading's fast path, where it is sure of `data`, agrees with `midstream-core`'s reading, for
/// every provider's reading and for a value kept whole. For the fuzz target `extract_differential`; not an API.
#[doc(hidden)]
pub fn fast_reading_agrees(data: &str) -> bool {
    // One spare for every reading, so each reuses the tree the one before it left (another want's shape).
    let mut spare = extract::Json::Null;
    extract::readings_agree(data, &extract::Want::Any, &mut spare)
        && Provider::ALL
            .iter()
            .all(|provider| extract::readings_agree(data, provider.wants(), &mut spare))
}

/// One piece of a model's output, in the order it arrived. `choice` numbers the outputs of one request (OpenAI's
/// `n`, Gemini's candidates); it is 0 for providers with one output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// More of the answer's text.
    Text { choice: i64, text: String },
    /// More of a refusal's text.
    Refusal { choice: i64, text: String },
    /// A fragment of one tool call's JSON arguments. `index` counts the calls of a choice from 0 in the order they
    /// began; `id` and `name` come with a call's first fragment.
    ToolCall {
        choice: i64,
        index: usize,
        arguments: String,
        id: Option<String>,
        name: Option<String>,
    },
    /// Vertex AI streamed function-call arguments: `pieces` is the JSON text of a `partialArgs` array (`[]` when
    /// the part had none). `start` marks the call's first part, which carries its `id` and `name`.
    ArgsPieces {
        choice: i64,
        index: usize,
        pieces: String,
        start: bool,
        id: Option<String>,
        name: Option<String>,
    },
    /// The streamed arguments of call `index` ended: close what is still open in them.
    ArgsEnd { choice: i64, index: usize },
    /// The output of a choice ended; `reason` as the provider says it (`stop`, `length`, `max_tokens`...).
    Finished { choice: i64, reason: Option<String> },
    /// The provider reported an error: `data` is the event's whole payload (JSON text), `event` its SSE type.
    Error { data: String, event: String },
    /// An untyped event whose data is not JSON (and not `[DONE]`): the stream is not what it was taken for.
    NotJson { data: String },
}

/// Reads one provider stream. [`feed`](Reader::feed) raw SSE bytes cut anywhere (or [`payload`](Reader::payload)
/// one event's JSON at a time), then [`finish`](Reader::finish).
#[derive(Debug, Clone)]
pub struct Reader {
    sse: Decoder,
    /// Kept apart from the decoder, which lends each event to it.
    stream: Stream,
}

/// What a reader knows of its stream, past the SSE framing.
#[derive(Debug, Clone)]
struct Stream {
    provider: Provider,
    state: State,
    /// `[DONE]` seen: the rest of the stream is ignored.
    done: bool,
    /// The token usage the stream reported, merged.
    usage: Option<Value>,
    /// The last event's reading, kept for its vectors and strings: the next event is read into it.
    spare: Value,
}

#[derive(Debug, Clone)]
enum State {
    OpenAIChat(openai_chat::Adapter),
    OpenAIResponses(openai_responses::Adapter),
    Anthropic(anthropic::Adapter),
    Gemini(gemini::Adapter),
}

impl Reader {
    /// A reader for a fresh stream of `provider`.
    pub fn new(provider: Provider) -> Reader {
        let state = match provider {
            Provider::OpenAIChat => State::OpenAIChat(Default::default()),
            Provider::OpenAIResponses => State::OpenAIResponses(Default::default()),
            Provider::Anthropic => State::Anthropic(Default::default()),
            Provider::Gemini => State::Gemini(Default::default()),
        };
        Reader {
            sse: Decoder::new(),
            stream: Stream {
                provider,
                state,
                done: false,
                usage: None,
                spare: Value::Null,
            },
        }
    }

    /// The provider this reader reads.
    pub fn provider(&self) -> Provider {
        self.stream.provider
    }

    /// The token usage the stream reported so far, as JSON text (as Python's `json.dumps` writes it): OpenAI's
    /// final `usage`, Anthropic's `message_start` and `message_delta` usage merged, the Responses API's
    /// `response.usage`, Gemini's latest `usageMetadata`.
    pub fn usage_json(&self) -> Option<String> {
        self.stream.usage.as_ref().map(|usage| {
            let mut text = String::new();
            json::write_json(usage, &mut text);
            text
        })
    }

    /// Whether the stream said `[DONE]`.
    pub fn is_done(&self) -> bool {
        self.stream.done
    }

    /// Take the next piece of the raw SSE stream; push the updates of the events it completes onto `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<Update>) {
        let stream = &mut self.stream;
        self.sse.feed(chunk, &mut |event: EventRef<'_>| {
            stream.event(event.event_type(), event.data, out)
        });
    }

    /// [`feed`](Reader::feed) for a stream read as text.
    pub fn feed_str(&mut self, chunk: &str, out: &mut Vec<Update>) {
        let stream = &mut self.stream;
        self.sse.feed_str(chunk, &mut |event: EventRef<'_>| {
            stream.event(event.event_type(), event.data, out)
        });
    }

    /// One event's payload, already taken out of its SSE framing (from an SDK object, or a JSON-lines recording).
    /// `event` is its SSE event type, if it had one.
    pub fn payload(&mut self, data: &str, event: Option<&str>, out: &mut Vec<Update>) {
        self.stream.event(event.unwrap_or("message"), data, out);
    }

    /// The stream ended (or the connection closed): an unterminated SSE block is discarded, as the standard says.
    pub fn finish(&mut self, _out: &mut Vec<Update>) {
        self.sse.finish();
    }
}

impl Stream {
    fn event(&mut self, event: &str, data: &str, out: &mut Vec<Update>) {
        if self.done {
            return;
        }
        if data == "[DONE]" {
            self.done = true;
            return;
        }
        read_event(
            self.provider,
            &mut self.state,
            &mut self.usage,
            &mut self.spare,
            event,
            data,
            out,
        );
    }
}

fn read_event(
    provider: Provider,
    state: &mut State,
    usage: &mut Option<Value>,
    spare: &mut Value,
    event: &str,
    data: &str,
    out: &mut Vec<Update>,
) {
    if event != "message" {
        if let Some(events) = provider.events() {
            if !events.contains(&event) {
                return; // a typed event the provider's reading does not need: not even parsed
            }
        }
    }
    if !extract::extract_into(data, provider.wants(), spare) {
        if event == "message" {
            out.push(Update::NotJson { data: data.into() });
            return;
        }
        // A typed event still says what happened (`response.completed`) when its body is cut short.
        *spare = Value::Object(vec![("type".into(), Value::String(event.into()))]);
    }
    let value = &*spare;
    if !matches!(value, Value::Object(_)) {
        return;
    }
    let event_or_type = json::get_str(value, "type")
        .filter(|kind| !kind.is_empty())
        .unwrap_or(event);
    match state {
        State::OpenAIChat(adapter) => adapter.payload(value, data, event, usage, out),
        State::OpenAIResponses(adapter) => {
            adapter.payload(value, event_or_type, data, event, usage, out)
        }
        State::Anthropic(adapter) => adapter.payload(value, event_or_type, data, event, usage, out),
        State::Gemini(adapter) => adapter.payload(value, data, event, usage, out),
    }
}

/// Merge a usage object into what the stream said so far: its non-null members replace the earlier ones (Anthropic
/// sends the input tokens at `message_start` and the output tokens at `message_delta`).
fn usage(new: Option<&Value>, usage: &mut Option<Value>) {
    let Some(Value::Object(members)) = new else {
        return;
    };
    if members.is_empty() {
        return;
    }
    let Some(Value::Object(merged)) = usage else {
        *usage = Some(Value::Object(members.clone()));
        return;
    };
    for (key, value) in members {
        if matches!(value, Value::Null) {
            continue;
        }
        match merged.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.clone(),
            None => merged.push((key.clone(), value.clone())),
        }
    }
}

/// An error update carrying the event as it came.
fn error(data: &str, event: &str) -> Update {
    Update::Error {
        data: data.into(),
        event: event.into(),
    }
}
