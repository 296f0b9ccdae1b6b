// midstream.js: apply midstream's patches in the browser, and read Server-Sent Events from a fetch() response.
//
// An ES module with no dependency and no build step. midstream sends a partial value as batches of operations
// (docs/patches.md): JSON Patch (RFC 6902: add, replace, remove, with RFC 6901 JSON Pointer paths) plus
// {"op": "append", "path": ..., "value": "fragment"} for a string that grew. applyPatch is the same applier as
// Python's midstream.patch.apply: it returns the new document and leaves the old one as it was, copying only the
// containers on the paths a batch changes (so a UI can compare old and new by identity).
//
//   import { applyPatch, sseEvents } from "/static/midstream.js";
//   let doc = null;
//   for await (const { event, data } of sseEvents(await fetch("/stream"))) {
//     if (event === "patch") doc = applyPatch(doc, JSON.parse(data));
//   }

/** The reference tokens of a JSON Pointer, unescaped ("/a~1b/0" -> ["a/b", "0"]; "" -> []). */
export function parsePointer(pointer) {
  if (pointer === "") return [];
  if (pointer[0] !== "/") throw new PatchError(`a JSON Pointer starts with '/': ${JSON.stringify(pointer)}`);
  return pointer.slice(1).split("/").map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** An operation that does not apply: `index` is its position in the batch. */
export class PatchError extends Error {
  constructor(message, index = -1, op = undefined) {
    super(index >= 0 ? `operation ${index} (${JSON.stringify(op)}): ${message}` : message);
    this.name = "PatchError";
    this.index = index;
    this.op = op;
  }
}

/** The document `ops` make of `doc` (null before the first batch), as a new value; `doc` is not changed. */
export function applyPatch(doc, ops) {
  const root = [doc]; // the document as the only item of a holder, so the root is a slot like any other
  const owned = new Set([root]); // containers this call made: changed in place
  ops.forEach((op, index) => {
    try {
      applyOne(root, owned, op);
    } catch (error) {
      throw new PatchError(error.message, index, op);
    }
  });
  return root[0];
}

function applyOne(root, owned, op) {
  const tokens = parsePointer(op.path);
  if (tokens.length === 0) return change(root, 0, op, true);
  let container = ownedChild(root, 0, owned);
  for (const token of tokens.slice(0, -1)) container = ownedChild(container, key(container, token, false), owned);
  change(container, key(container, tokens[tokens.length - 1], true), op, false);
}

// parent[k], copied first (and put back) unless this call made it.
function ownedChild(parent, k, owned) {
  let child = parent[k];
  if (owned.has(child)) return child;
  if (Array.isArray(child)) child = child.slice();
  else if (child !== null && typeof child === "object") child = { ...child };
  else throw new PatchError(`cannot go into ${child === null ? "null" : typeof child}`);
  owned.add(child);
  parent[k] = child;
  return child;
}

function key(container, token, last) {
  if (Array.isArray(container)) {
    if (token === "-" && last) return container.length;
    if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`not an array index: ${JSON.stringify(token)}`);
    return Number(token);
  }
  if (container !== null && typeof container === "object") return token;
  throw new PatchError(`cannot go into ${container === null ? "null" : typeof container}`);
}

function has(parent, k) {
  return Array.isArray(parent) ? k >= 0 && k < parent.length : Object.prototype.hasOwnProperty.call(parent, k);
}

// A deep copy of an operation's value, so the document shares nothing with the batch.
function copied(value) {
  return value === null || typeof value !== "object" ? value : structuredClone(value);
}

function change(parent, k, op, whole) {
  switch (op.op) {
    case "add":
      if (Array.isArray(parent) && !whole) {
        if (k > parent.length) throw new PatchError(`index ${k} is past the end (${parent.length} items)`);
        parent.splice(k, 0, copied(op.value));
      } else {
        defineOwn(parent, k, copied(op.value));
      }
      return;
    case "replace":
      if (!has(parent, k)) throw new PatchError(`nothing at ${JSON.stringify(op.path)}`);
      defineOwn(parent, k, copied(op.value));
      return;
    case "remove":
      if (whole) throw new PatchError("the whole document cannot be removed");
      if (!has(parent, k)) throw new PatchError(`nothing at ${JSON.stringify(op.path)}`);
      if (Array.isArray(parent)) parent.splice(k, 1);
      else delete parent[k];
      return;
    case "append":
      if (!has(parent, k) || typeof parent[k] !== "string" || typeof op.value !== "string") {
        throw new PatchError("append needs a string at the path and a string value");
      }
      parent[k] += op.value;
      return;
    default:
      throw new PatchError(`unknown operation ${JSON.stringify(op.op)}`);
  }
}

// obj[k] = value, also for a key such as "__proto__" (a JSON key like any other, not the prototype).
function defineOwn(obj, k, value) {
  if (Array.isArray(obj) || k !== "__proto__") obj[k] = value;
  else Object.defineProperty(obj, k, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * The events of a fetch() Response whose body is text/event-stream, as {event, data, id}: the WHATWG framing
 * (lines ending in LF, CR or CRLF, "data" lines joined with LF, comments skipped, one leading space of a value
 * removed, an event without data not dispatched, an unfinished last event dropped).
 */
export async function* sseEvents(response) {
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const block = { event: "", data: [], id: "" };
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (!done) buffer += value;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer[i];
      if (c !== "\n" && c !== "\r") continue;
      // A CR that ends what has arrived may be the first half of a CRLF: wait for the next read to tell.
      if (c === "\r" && i === buffer.length - 1 && !done) break;
      const event = line(block, buffer.slice(start, i));
      if (event) yield event;
      if (c === "\r" && buffer[i + 1] === "\n") i++;
      start = i + 1;
    }
    buffer = buffer.slice(start);
    if (done) return; // an unfinished last event is dropped, as the standard says
  }
}

// One line of the stream: a field of the event being read, or (blank) its end: the event, if it has data.
function line(block, text) {
  if (text === "") {
    const event = block.data.length > 0
      ? { event: block.event || "message", data: block.data.join("\n"), id: block.id }
      : null;
    block.event = "";
    block.data = [];
    return event;
  }
  if (text[0] === ":") return null; // a comment
  const colon = text.indexOf(":");
  const field = colon < 0 ? text : text.slice(0, colon);
  let value = colon < 0 ? "" : text.slice(colon + 1);
  if (value[0] === " ") value = value.slice(1);
  if (field === "event") block.event = value;
  else if (field === "data") block.data.push(value);
  else if (field === "id" && !value.includes("\0")) block.id = value;
  return null;
}
