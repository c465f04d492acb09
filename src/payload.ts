/**
 * Turns any run payload into a bounded, secret-free string attribute. Never throws: circular
 * graphs, BigInt, binary buffers, class instances, throwing getters and `toJSON`s, Proxies and
 * huge values all come out as valid text, and a cut is always marked.
 */

export interface Payload {
  text: string;
  mimeType: "application/json" | "text/plain";
  truncated: boolean;
}

export const REDACTED = "[REDACTED]";
const MAX_DEPTH = 24;

/**
 * Key names that hold credentials (after camelCase is folded to snake_case): `apiKey`,
 * `openAIApiKey`, `client_secret`, `Authorization`, `x-api-key`, `accessToken`...
 */
const SECRET_KEY = /(^|_)(api_?key|secret|secret_?key|client_?secret|password|passwd|authorization|auth_?token|access_?token|refresh_?token|session_?token|bearer_?token|private_?key|credentials?)$/;

/** Keys repeat across runs (metadata, messages): the answer per key is cached, within a bound. */
const secretKeyCache = new Map<string, boolean>();
const SECRET_KEY_CACHE_LIMIT = 4096;

export function isSecretKey(key: string): boolean {
  let secret = secretKeyCache.get(key);
  if (secret !== undefined) return secret;
  const snake = key
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2") // openAIApiKey -> openAI_ApiKey
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2") // -> open_AI_Api_Key
    .replace(/[-\s.]/g, "_")
    .toLowerCase();
  secret = SECRET_KEY.test(snake);
  if (secretKeyCache.size >= SECRET_KEY_CACHE_LIMIT) secretKeyCache.clear();
  secretKeyCache.set(key, secret);
  return secret;
}

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
  // The marker's own length depends on the kept count; the total's digits bound it from above.
  const markerLength = truncationMarker(text.length, text.length).length;
  const kept = Math.max(0, maxLength - markerLength);
  return { text: text.slice(0, kept) + truncationMarker(kept, text.length), truncated: true };
}

export function textPayload(text: string, maxLength: number): Payload {
  const capped = capText(text, maxLength);
  return { text: capped.text, mimeType: "text/plain", truncated: capped.truncated };
}

/**
 * Strings go out as text/plain; everything else as JSON. When the JSON is longer than
 * `maxLength` it is cut and marked (and so becomes text/plain: a cut JSON is no JSON).
 */
export function toPayload(value: unknown, maxLength: number): Payload {
  if (typeof value === "string") return textPayload(value, maxLength);
  let written: { json: string; cut: boolean };
  try {
    written = JsonWriter.write(value, maxLength);
  } catch (error) {
    written = { json: JSON.stringify(`[unserialisable: ${describeError(error)}]`), cut: false };
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

/**
 * Writes a value as JSON text, directly (no intermediate copy: payloads are on every span).
 * Once `maxLength` characters are written it stops descending, so a huge input costs about
 * `maxLength` work, not its size; what it leaves out it says it left out.
 */
class JsonWriter {
  private out = "";
  private readonly ancestors = new Set<object>();
  /** How many times the writer itself dropped or shortened something. */
  private cuts = 0;

  constructor(private readonly maxLength: number) {}

  static write(value: unknown, maxLength: number): { json: string; cut: boolean } {
    const writer = new JsonWriter(maxLength);
    if (!writer.value(value, 0)) writer.out = "null";
    return { json: writer.out, cut: writer.cuts > 0 };
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
    const room = Math.max(0, Math.min(value.length, this.maxLength - this.out.length));
    if (room === value.length) {
      this.out += JSON.stringify(value);
      return;
    }
    this.cuts++;
    this.out += JSON.stringify(value.slice(0, room) + truncationMarker(room, value.length));
  }

  private object(value: object, depth: number): void {
    if (this.ancestors.has(value)) return this.string("[circular]");
    if (depth >= MAX_DEPTH) {
      this.cuts++;
      return this.string("[too deep]");
    }
    const mark = this.out.length;
    this.ancestors.add(value);
    try {
      this.container(value, depth);
    } catch (error) {
      // Whatever part of it was written is dropped: the text stays valid JSON.
      this.out = this.out.slice(0, mark);
      this.string(`[unreadable: ${describeError(error)}]`);
    } finally {
      this.ancestors.delete(value);
    }
  }

  private container(value: object, depth: number): void {
    // Arrays and plain objects are nearly all of a payload: they skip the class checks below.
    if (Array.isArray(value)) return this.list(value, depth);
    const prototype: unknown = Object.getPrototypeOf(value);
    if ((prototype === Object.prototype || prototype === null) && typeof (value as { toJSON?: unknown }).toJSON !== "function") {
      return isLcSecret(value) ? this.string(REDACTED) : this.record(value as Record<string, unknown>, depth);
    }
    const binary = binaryDescription(value);
    if (binary !== undefined) return this.string(binary);
    if (value instanceof Date) return this.string(Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString());
    if (value instanceof Error) return this.record({ name: value.name, message: value.message }, depth);
    if (value instanceof Set) return this.list([...value], depth);
    if (value instanceof Map) return this.record(Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), v])), depth);
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

  private list(items: readonly unknown[], depth: number): void {
    this.out += "[";
    for (let index = 0; index < items.length; index++) {
      if (index > 0) this.out += ",";
      if (this.exhausted) {
        this.cuts++;
        this.out += `"[${items.length - index} more items]"`;
        break;
      }
      if (!this.value(items[index], depth + 1)) this.out += "null";
    }
    this.out += "]";
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
      if (isSecretKey(key)) {
        item = REDACTED;
      } else {
        try {
          item = value[key];
        } catch (error) {
          item = `[unreadable: ${describeError(error)}]`;
        }
      }
      if (item === undefined) continue;
      this.out += `${written > 0 ? "," : ""}${JSON.stringify(key)}:`;
      written++;
      this.value(item, depth + 1);
    }
    this.out += "}";
  }
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
