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

export function isSecretKey(key: string): boolean {
  const snake = key
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2") // openAIApiKey -> openAI_ApiKey
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2") // -> open_AI_Api_Key
    .replace(/[-\s.]/g, "_")
    .toLowerCase();
  return SECRET_KEY.test(snake);
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
  const walk = new PlainWalk(maxLength);
  let json: string;
  try {
    json = JSON.stringify(walk.plain(value, 0)) ?? "null";
  } catch (error) {
    json = JSON.stringify(`[unserialisable: ${describeError(error)}]`);
  }
  const capped = capText(json, maxLength);
  const truncated = capped.truncated || walk.cut;
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
 * Copies a value into plain JSON data. `budget` counts characters still to spend: once it is
 * spent the walk stops descending, so a huge input costs about `maxLength` work, not its size.
 */
class PlainWalk {
  private budget: number;
  private readonly ancestors = new Set<object>();
  /** Set when the walk itself dropped or shortened something. */
  cut = false;

  constructor(maxLength: number) {
    this.budget = maxLength;
  }

  plain(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case "string":
        return this.string(value);
      case "number":
        this.budget -= 8;
        return Number.isFinite(value) ? value : String(value);
      case "boolean":
        this.budget -= 5;
        return value;
      case "bigint":
        return this.string(value.toString());
      case "undefined":
        return undefined;
      case "symbol":
        return this.string(value.toString());
      case "function":
        return this.string(`[function ${value.name || "anonymous"}]`);
      default:
        return value === null ? null : this.object(value as object, depth);
    }
  }

  private string(value: string): string {
    const room = Math.max(0, Math.min(value.length, this.budget));
    this.budget -= value.length + 2;
    if (room === value.length) return value;
    this.cut = true;
    return value.slice(0, room) + truncationMarker(room, value.length);
  }

  private object(value: object, depth: number): unknown {
    if (this.ancestors.has(value)) return "[circular]";
    if (depth >= MAX_DEPTH) {
      this.cut = true;
      return "[too deep]";
    }
    const binary = binaryDescription(value);
    if (binary !== undefined) return this.string(binary);
    if (value instanceof Date) return this.string(Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString());
    if (isLcSecret(value)) return REDACTED;

    this.ancestors.add(value);
    try {
      return this.container(value, depth);
    } catch (error) {
      return this.string(`[unreadable: ${describeError(error)}]`);
    } finally {
      this.ancestors.delete(value);
    }
  }

  private container(value: object, depth: number): unknown {
    if (value instanceof Error) {
      return { name: this.plain(value.name, depth + 1), message: this.plain(value.message, depth + 1) };
    }
    if (Array.isArray(value) || value instanceof Set) return this.list([...value], depth);
    if (value instanceof Map) return this.record([...value.entries()].map(([k, v]) => [String(k), () => v]), depth);
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") {
      const replaced: unknown = toJSON.call(value);
      if (replaced !== value) return this.plain(replaced, depth + 1);
    }
    return this.record(
      Object.keys(value).map((key) => [key, () => (value as Record<string, unknown>)[key]]),
      depth,
    );
  }

  private list(items: unknown[], depth: number): unknown[] {
    const out: unknown[] = [];
    for (const item of items) {
      if (this.budget <= 0) {
        this.cut = true;
        out.push(`[${items.length - out.length} more items]`);
        break;
      }
      const plain = this.plain(item, depth + 1);
      out.push(plain === undefined ? null : plain);
    }
    return out;
  }

  /** Entries are read lazily so that one throwing getter spoils only its own key. */
  private record(entries: Array<[string, () => unknown]>, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let written = 0;
    for (const [key, read] of entries) {
      if (this.budget <= 0) {
        this.cut = true;
        out["[truncated]"] = `${entries.length - written} more keys`;
        break;
      }
      written++;
      this.budget -= key.length + 4;
      if (isSecretKey(key)) {
        out[key] = REDACTED;
        continue;
      }
      let item: unknown;
      try {
        item = read();
      } catch (error) {
        out[key] = this.string(`[unreadable: ${describeError(error)}]`);
        continue;
      }
      const plain = this.plain(item, depth + 1);
      if (plain !== undefined) out[key] = plain;
    }
    return out;
  }
}

function binaryDescription(value: object): string | undefined {
  if (ArrayBuffer.isView(value)) return `[binary: ${value.byteLength} bytes]`;
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer)) {
    return `[binary: ${value.byteLength} bytes]`;
  }
  return undefined;
}
