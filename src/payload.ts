/**
 * Turns any run payload into a bounded, secret-free string attribute. Never throws: circular
 * graphs, BigInt, binary buffers, class instances, throwing getters and `toJSON`s, Proxies and
 * huge values all come out as valid text, and a cut is always marked.
 */

import { isSecretKey, REDACTED, scrubSecrets } from "./redaction.js";

export interface Payload {
  text: string;
  mimeType: "application/json" | "text/plain";
  truncated: boolean;
}

const MAX_DEPTH = 24;

/** LangChain's serialized secret marker: `{ lc: 1, type: "secret", id: ["OPENAI_API_KEY"] }`. */
function isLcSecret(value: object): boolean {
  const v = value as { lc?: unknown; type?: unknown };
  return v.lc === 1 && v.type === "secret";
}

export function truncationMarker(kept: number, total: number): string {
  return `…[truncated by langchain-otel: kept ${kept} of ${total} chars]`;
}

/** Cuts `text` to at most `maxLength` characters, marker included. */
export function capText(text: string, maxLength: number): { text: string; truncated: boolean } {
  if (text.length <= maxLength) return { text, truncated: false };
  return { text: cutText(text, maxLength, text.length), truncated: true };
}

/**
 * The first characters of `text` and a marker that says how many of `totalLength` were kept,
 * `maxLength` at most. A plain `slice` would keep the whole original alive (V8 shares the
 * parent's characters with the slice): the result is flattened into a copy of its own.
 */
function cutText(text: string, maxLength: number, totalLength: number): string {
  // The marker's own length depends on the kept count; the total's digits bound it from above.
  const kept = Math.max(0, Math.min(text.length, maxLength - truncationMarker(totalLength, totalLength).length));
  return flatCopy(text.slice(0, kept) + truncationMarker(kept, totalLength));
}

/** Slicing a concatenation makes V8 flatten it into new storage; the 1-char slice shares only that. */
function flatCopy(text: string): string {
  return (" " + text).slice(1);
}

/** Secrets straddling the cut must still be recognised: this much past the cap is scrubbed too. */
const SCRUB_MARGIN = 256;
/** JSON-looking strings up to this many times the cap are parsed so that nested secrets are redacted. */
const JSON_PARSE_FACTOR = 4;

/**
 * A string as it is recorded: credentials redacted (JSON text is parsed and redacted like an
 * object), at most `maxLength` characters with a marker when cut, never sharing the original's memory.
 */
export function cleanText(text: string, maxLength: number): { text: string; truncated: boolean } {
  const whole = text.length <= maxLength;
  const window = whole ? text : text.slice(0, maxLength + SCRUB_MARGIN);
  const scrubbed = scrubSecrets((whole ? redactedJsonText(text, maxLength) : undefined) ?? window);
  if (whole && scrubbed.length <= maxLength) return { text: scrubbed, truncated: false };
  return { text: cutText(scrubbed, maxLength, text.length), truncated: true };
}

export function textPayload(text: string, maxLength: number): Payload {
  const clean = cleanText(text, maxLength);
  return { text: clean.text, mimeType: "text/plain", truncated: clean.truncated };
}

/** Tool arguments and results arrive as JSON text: redacted like objects when they hold a secret key. */
function redactedJsonText(text: string, maxLength: number): string | undefined {
  if (text.length < 2 || text.length > JSON_PARSE_FACTOR * maxLength) return undefined;
  const first = text.charCodeAt(0);
  if (first !== 0x7b /* { */ && first !== 0x5b /* [ */) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const written = JsonWriter.write(parsed, maxLength);
  return written.redactions > 0 ? written.json : undefined;
}

/**
 * Strings go out as text/plain; everything else as JSON. When the JSON is longer than
 * `maxLength` it is cut and marked (and so becomes text/plain: a cut JSON is no JSON).
 */
export function toPayload(value: unknown, maxLength: number): Payload {
  if (typeof value === "string") return textPayload(value, maxLength);
  let written: WrittenJson;
  try {
    written = JsonWriter.write(value, maxLength);
  } catch (error) {
    written = { json: JSON.stringify(`[unserialisable: ${describeError(error)}]`), cut: false, redactions: 0 };
  }
  const capped = capText(written.json, maxLength);
  const truncated = capped.truncated || written.cut;
  return { text: capped.text, mimeType: capped.truncated ? "text/plain" : "application/json", truncated };
}

export function describeError(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
    return String(error);
  } catch {
    return "unknown error";
  }
}

interface WrittenJson {
  json: string;
  cut: boolean;
  /** How many values were replaced by `[REDACTED]` because of their key or their `lc` secret marker. */
  redactions: number;
}

/** A string value near the end of a payload still keeps this much of itself (the marker alone is ~50). */
const MIN_STRING_ROOM = 64;

/**
 * Writes a value as JSON text, directly (no intermediate copy: payloads are on every span).
 * Once `maxLength` characters are written it stops descending, so a huge input costs about
 * `maxLength` work, not its size; what it leaves out it says it left out.
 */
class JsonWriter {
  private out = "";
  /** The objects being written, outermost first (at most MAX_DEPTH: a list is cheaper than a Set here). */
  private readonly ancestors: object[] = [];
  /** How many times the writer itself dropped or shortened something. */
  private cuts = 0;
  private redactions = 0;

  constructor(private readonly maxLength: number) {}

  static write(value: unknown, maxLength: number): WrittenJson {
    const writer = new JsonWriter(maxLength);
    if (!writer.value(value, 0)) writer.out = "null";
    return { json: writer.out, cut: writer.cuts > 0, redactions: writer.redactions };
  }

  private get exhausted(): boolean {
    return this.out.length >= this.maxLength;
  }

  /** Appends `value`; false when it has no JSON form (undefined), so an object omits its key. */
  private value(value: unknown, depth: number): boolean {
    switch (typeof value) {
      case "string":
        this.string(value);
        return true;
      case "number":
        this.out += Number.isFinite(value) ? String(value) : `"${String(value)}"`;
        return true;
      case "boolean":
        this.out += value ? "true" : "false";
        return true;
      case "bigint":
      case "symbol":
        this.string(value.toString());
        return true;
      case "function":
        this.string(`[function ${value.name || "anonymous"}]`);
        return true;
      case "undefined":
        return false;
      default:
        if (value === null) this.out += "null";
        else this.object(value as object, depth);
        return true;
    }
  }

  private string(value: string): void {
    const clean = cleanText(value, Math.max(MIN_STRING_ROOM, this.maxLength - this.out.length));
    if (clean.truncated) this.cuts++;
    this.out += quoted(clean.text);
  }

  private object(value: object, depth: number): void {
    if (this.ancestors.includes(value)) return this.string("[circular]");
    if (depth >= MAX_DEPTH) {
      this.cuts++;
      return this.string("[too deep]");
    }
    const mark = this.out.length;
    this.ancestors.push(value);
    try {
      this.container(value, depth);
    } catch (error) {
      // Whatever part of it was written is dropped: the text stays valid JSON.
      this.out = this.out.slice(0, mark);
      this.string(`[unreadable: ${describeError(error)}]`);
    } finally {
      this.ancestors.pop();
    }
  }

  private container(value: object, depth: number): void {
    // Arrays and plain objects are nearly all of a payload: they skip the class checks below.
    if (Array.isArray(value)) return this.list(value, value.length, depth);
    const prototype: unknown = Object.getPrototypeOf(value);
    if ((prototype === Object.prototype || prototype === null) && typeof (value as { toJSON?: unknown }).toJSON !== "function") {
      return isLcSecret(value) ? this.redacted() : this.record(value as Record<string, unknown>, depth);
    }
    const binary = binaryDescription(value);
    if (binary !== undefined) return this.string(binary);
    if (value instanceof Date) return this.string(Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString());
    if (value instanceof Error) return this.record({ name: value.name, message: value.message }, depth);
    if (value instanceof Set) return this.list(value, value.size, depth);
    if (value instanceof Map) return this.map(value, depth);
    if (isLangChainMessage(value)) return this.message(value, depth);
    if (isPromptValue(value)) return this.record(promptValueFields(value), depth);
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") {
      const replaced: unknown = toJSON.call(value);
      if (replaced !== value) {
        if (!this.value(replaced, depth + 1)) this.out += "null";
        return;
      }
    }
    this.record(value as Record<string, unknown>, depth);
  }

  /**
   * A graph's state carries the same message objects from node to node, and every node's
   * input and output holds all of them: each message is written once and its JSON reused.
   */
  private message(message: Record<string, unknown>, depth: number): void {
    const cached = messageJson.get(message);
    if (cached !== undefined && cached.length <= this.maxLength - this.out.length) {
      this.out += cached;
      return;
    }
    const start = this.out.length;
    const cutsBefore = this.cuts;
    this.record(messageFields(message), depth);
    if (this.cuts === cutsBefore) messageJson.set(message, this.out.slice(start));
  }

  /** Iterates, so that a huge Set costs what is written, not its size. */
  private list(items: Iterable<unknown>, count: number, depth: number): void {
    this.out += "[";
    let index = 0;
    for (const item of items) {
      if (index > 0) this.out += ",";
      if (this.exhausted) {
        this.cuts++;
        this.out += `"[${count - index} more items]"`;
        break;
      }
      if (!this.value(item, depth + 1)) this.out += "null";
      index++;
    }
    this.out += "]";
  }

  /** A Map as an object of its entries, read lazily for the same reason. */
  private map(entries: Map<unknown, unknown>, depth: number): void {
    this.out += "{";
    let written = 0;
    for (const [key, item] of entries) {
      if (this.exhausted) {
        this.cuts++;
        this.out += `${written > 0 ? "," : ""}"[truncated]":"${entries.size - written} more entries"`;
        break;
      }
      if (this.entry(String(key), item, written, depth)) written++;
    }
    this.out += "}";
  }

  /** Each key is read on its own, so that one throwing getter spoils only its own key. */
  private record(value: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(value);
    this.out += "{";
    let written = 0;
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index] as string;
      if (this.exhausted) {
        this.cuts++;
        this.out += `${written > 0 ? "," : ""}"[truncated]":"${keys.length - index} more keys"`;
        break;
      }
      let item: unknown;
      try {
        item = value[key];
      } catch (error) {
        item = `[unreadable: ${describeError(error)}]`;
      }
      if (this.entry(key, item, written, depth)) written++;
    }
    this.out += "}";
  }

  /** Writes `"key":value` (a credential key gets `[REDACTED]`); false when the value has no JSON form. */
  private entry(key: string, item: unknown, written: number, depth: number): boolean {
    if (item === undefined) return false;
    this.out += `${written > 0 ? "," : ""}${quoted(key)}:`;
    if (isSecretKey(key)) this.redacted();
    else this.value(item, depth + 1);
    return true;
  }

  private redacted(): void {
    this.redactions++;
    this.out += `"${REDACTED}"`;
  }
}

/** What JSON must escape in a string: quotes, backslashes, control characters, and (lone) surrogates. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `text` as a JSON string. Most keys and values need no escape, and JSON.stringify costs more than this test. */
function quoted(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * LangChain messages are the bulk of chain and graph payloads; their own `toJSON` (a full
 * serialization with aliases and secret maps) costs more than the rest of a span. Their
 * meaningful fields are copied instead.
 */
function isLangChainMessage(value: object): value is Record<string, unknown> {
  const fields = value as { lc_serializable?: unknown; lc_namespace?: unknown; type?: unknown };
  return typeof fields.type === "string" && "content" in value && Array.isArray(fields.lc_namespace) && fields.lc_namespace[1] === "messages";
}

/** JSON of messages already written (messages are not changed once made; a changed one would show its first form). */
const messageJson = new WeakMap<object, string>();

/** `ChatPromptValue` / `StringPromptValue`: what a prompt template hands the model. */
function isPromptValue(value: object): value is Record<string, unknown> {
  const namespace = (value as { lc_namespace?: unknown }).lc_namespace;
  return Array.isArray(namespace) && namespace[1] === "prompt_values";
}

function promptValueFields(promptValue: Record<string, unknown>): Record<string, unknown> {
  return Array.isArray(promptValue["messages"]) ? { messages: promptValue["messages"] } : { value: promptValue["value"] };
}

const MESSAGE_FIELDS = ["type", "content", "name", "id", "tool_calls", "tool_call_id", "status", "usage_metadata"] as const;

function messageFields(message: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const key of MESSAGE_FIELDS) {
    const field = message[key];
    if (field !== undefined && field !== null && !(Array.isArray(field) && field.length === 0)) fields[key] = field;
  }
  return fields;
}

function binaryDescription(value: object): string | undefined {
  if (ArrayBuffer.isView(value)) return `[binary: ${value.byteLength} bytes]`;
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer)) {
    return `[binary: ${value.byteLength} bytes]`;
  }
  return undefined;
}
