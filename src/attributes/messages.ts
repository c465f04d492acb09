import { asRecord, asString, parseJsonOr } from "./content.js";

/**
 * A message in the GenAI conventions' JSON shape (`gen_ai.input.messages` /
 * `gen_ai.output.messages`, semantic conventions v1.41.1 schemas).
 */
export interface GenAiMessage {
  role: string;
  parts: GenAiPart[];
  name?: string;
  finish_reason?: string;
}

/** A message part: `text`, `reasoning`, `tool_call`, `tool_call_response`, `uri`, `blob`, `file`, or a provider's own type. */
export interface GenAiPart {
  type: string;
  [field: string]: unknown;
}

export interface ToolCallPart extends GenAiPart {
  type: "tool_call";
  id?: string;
  name: string;
  arguments?: unknown;
}

/** LangChain message `type` to GenAI role. */
const ROLE_BY_TYPE: Record<string, string> = {
  human: "user",
  ai: "assistant",
  system: "system",
  developer: "system",
  tool: "tool",
  function: "tool",
};

/** LangChain messages (instances or their plain fields), duck-typed so that any copy of @langchain/core works. */
interface MessageLike {
  type?: unknown;
  role?: unknown;
  content?: unknown;
  name?: unknown;
  tool_calls?: unknown;
  invalid_tool_calls?: unknown;
  tool_call_id?: unknown;
  additional_kwargs?: unknown;
}

function roleOf(message: MessageLike): string {
  const type = asString(message.type);
  if (type === "generic") return asString(message.role) ?? "user";
  return (type !== undefined ? ROLE_BY_TYPE[type] : undefined) ?? type ?? "user";
}

/** Provider blocks that only repeat `tool_calls` (Anthropic's `tool_use`, Gemini's `functionCall`). */
const TOOL_CALL_BLOCKS = new Set(["tool_use", "functionCall", "function_call", "tool_call", "tool_call_chunk"]);

const MODALITIES = new Set(["image", "audio", "video"]);

function modalityOf(type: string, mimeType: string | undefined): string {
  const fromMime = mimeType?.split("/")[0];
  if (fromMime !== undefined && MODALITIES.has(fromMime)) return fromMime;
  return MODALITIES.has(type) ? type : type === "image_url" ? "image" : "document";
}

/** `data:image/png;base64,AAAA` becomes a blob part; any other URL a uri part. */
function urlPart(modality: string, url: string, mimeType: string | undefined): GenAiPart {
  const dataUrl = /^data:([^;,]*)(;base64)?,/.exec(url);
  if (dataUrl !== null) {
    const part: GenAiPart = { type: "blob", modality, content: url.slice(dataUrl[0].length) };
    const mime = asString(dataUrl[1]) ?? mimeType;
    if (mime !== undefined) part.mime_type = mime;
    return part;
  }
  const part: GenAiPart = { type: "uri", modality, uri: url };
  if (mimeType !== undefined) part.mime_type = mimeType;
  return part;
}

/**
 * Multimodal blocks in every shape LangChain carries: OpenAI's `image_url` and `input_audio`,
 * LangChain's standard `image`/`audio`/`video`/`file` blocks (v0 `source_type` and v1 fields),
 * and Anthropic's `source`.
 */
function mediaPart(type: string, block: Record<string, unknown>): GenAiPart | undefined {
  const source = asRecord(block["source"]);
  const mimeType = asString(block["mime_type"]) ?? asString(block["mimeType"]) ?? asString(source?.["media_type"]);
  const modality = modalityOf(type, mimeType);
  const imageUrl = block["image_url"];
  const url = asString(imageUrl) ?? asString(asRecord(imageUrl)?.["url"]) ?? asString(block["url"]) ?? asString(source?.["url"]);
  const sourceType = asString(block["source_type"]);
  if (url !== undefined) return urlPart(modality, url, mimeType);
  if (sourceType === "url" && asString(block["data"]) !== undefined) return urlPart(modality, block["data"] as string, mimeType);
  const fileId = asString(block["file_id"]) ?? asString(block["fileId"]) ?? (sourceType === "id" ? asString(block["id"]) : undefined);
  if (fileId !== undefined) {
    const part: GenAiPart = { type: "file", modality, file_id: fileId };
    if (mimeType !== undefined) part.mime_type = mimeType;
    return part;
  }
  const audio = asRecord(block["input_audio"]);
  const data = asString(block["data"]) ?? asString(block["base64"]) ?? asString(source?.["data"]) ?? asString(audio?.["data"]);
  if (data === undefined) return undefined;
  const part: GenAiPart = { type: "blob", modality, content: data };
  const mime = mimeType ?? (asString(audio?.["format"]) !== undefined ? `audio/${audio?.["format"] as string}` : undefined);
  if (mime !== undefined) part.mime_type = mime;
  return part;
}

function blockPart(block: unknown): GenAiPart | undefined {
  if (typeof block === "string") return { type: "text", content: block };
  const fields = asRecord(block);
  if (fields === undefined) return block === undefined || block === null ? undefined : { type: "text", content: String(block) };
  const type = asString(fields["type"]) ?? "unknown";
  if (TOOL_CALL_BLOCKS.has(type)) return undefined;
  const text = asString(fields["text"]);
  if ((type === "text" || type === "text_delta") && text !== undefined) return { type: "text", content: text };
  const reasoning = asString(fields["reasoning"]) ?? asString(fields["thinking"]);
  if ((type === "reasoning" || type === "thinking") && reasoning !== undefined) return { type: "reasoning", content: reasoning };
  if (type === "image_url" || type === "input_audio" || MODALITIES.has(type) || type === "file" || type === "document") {
    const media = mediaPart(type, fields);
    if (media !== undefined) return media;
  }
  // Anything else (provider-specific blocks) is kept as a generic part with its fields.
  return { ...fields, type };
}

function contentParts(content: unknown): GenAiPart[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", content }];
  if (!Array.isArray(content)) return content === undefined || content === null ? [] : [{ type: "text", content: String(content) }];
  const parts: GenAiPart[] = [];
  for (const block of content) {
    const part = blockPart(block);
    if (part !== undefined) parts.push(part);
  }
  return parts;
}

/** Provider tool-call arguments arrive as a JSON string; the GenAI part holds the object when it parses. */
function parsedArguments(raw: unknown): unknown {
  return parseJsonOr(raw, raw);
}

/**
 * The tool calls a message requests: LangChain's `tool_calls` (and `invalid_tool_calls`, which
 * the model did request), else what older integrations leave in `additional_kwargs`
 * (`tool_calls` in OpenAI's shape, or the legacy single `function_call`).
 */
export function toolCallParts(message: MessageLike): ToolCallPart[] {
  const calls: ToolCallPart[] = [];
  const standard = [
    ...(Array.isArray(message.tool_calls) ? message.tool_calls : []),
    ...(Array.isArray(message.invalid_tool_calls) ? message.invalid_tool_calls : []),
  ];
  for (const call of standard) {
    const fields = asRecord(call);
    if (fields === undefined) continue;
    calls.push(toolCallPart(fields["id"], fields["name"], parsedArguments(fields["args"])));
  }
  if (calls.length > 0) return calls;
  const kwargs = asRecord(message.additional_kwargs);
  if (Array.isArray(kwargs?.["tool_calls"])) {
    for (const call of kwargs["tool_calls"] as unknown[]) {
      const fields = asRecord(call);
      const fn = asRecord(fields?.["function"]);
      if (fields === undefined || fn === undefined) continue;
      calls.push(toolCallPart(fields["id"], fn["name"], parsedArguments(fn["arguments"])));
    }
  }
  const legacy = asRecord(kwargs?.["function_call"]);
  if (calls.length === 0 && legacy !== undefined) calls.push(toolCallPart(undefined, legacy["name"], parsedArguments(legacy["arguments"])));
  return calls;
}

function toolCallPart(id: unknown, name: unknown, args: unknown): ToolCallPart {
  const part: ToolCallPart = { type: "tool_call", name: asString(name) ?? "" };
  const callId = asString(id);
  if (callId !== undefined) part.id = callId;
  if (args !== undefined) part.arguments = args;
  return part;
}

/** Converting a message is pure; graphs send the same message objects on every model call. */
const converted = new WeakMap<object, GenAiMessage>();

/** A LangChain message (or its plain fields) as a GenAI message. Never returns empty `parts`. */
export function toGenAiMessage(message: unknown): GenAiMessage {
  const object = asRecord(message);
  const cached = object === undefined ? undefined : converted.get(object);
  if (cached !== undefined) return cached;
  const fields = (object ?? { content: message }) as MessageLike;
  const role = roleOf(fields);
  const parts: GenAiPart[] = [];
  if (role === "tool") {
    const response: GenAiPart = { type: "tool_call_response", response: fields.content ?? "" };
    const id = asString(fields.tool_call_id);
    if (id !== undefined) response.id = id;
    parts.push(response);
  } else {
    parts.push(...contentParts(fields.content));
  }
  parts.push(...toolCallParts(fields));
  // The schema allows an empty list, but readers show nothing for it: an empty reply stays visible.
  if (parts.length === 0) parts.push({ type: "text", content: "" });
  const genAiMessage: GenAiMessage = { role, parts };
  const name = asString(fields.name);
  if (name !== undefined) genAiMessage.name = name;
  if (object !== undefined) converted.set(object, genAiMessage);
  return genAiMessage;
}

/** A prompt string of a text-completion model as a user message. */
export function promptMessage(prompt: string): GenAiMessage {
  return { role: "user", parts: [{ type: "text", content: prompt }] };
}

/**
 * The output message's `finish_reason` (required by the schema): the provider's, else
 * `tool_call` when it requests tools, else `unknown` (the provider reported none).
 */
export function withFinishReason(message: GenAiMessage, finishReason: string | undefined): GenAiMessage {
  const reason = finishReason ?? (message.parts.some((part) => part.type === "tool_call") ? "tool_call" : "unknown");
  return { ...message, finish_reason: reason };
}

/**
 * The marker that stands in for messages left out of a long conversation. Its role is its own,
 * so no reader mistakes it for something the user, the model or a tool said.
 */
export const ELIDED_ROLE = "elided";

export function elisionMessage(count: number): GenAiMessage {
  return { role: ELIDED_ROLE, parts: [{ type: "text", content: `[${count} message${count === 1 ? "" : "s"} left out by langchain-otel]` }] };
}

/**
 * Which messages of a conversation too long for its budget to keep: the leading system
 * message(s), the first user message, and as much of the tail as fits. Returns the kept
 * indices in order; a gap between two kept indices is where an elision marker goes.
 */
export function keptMessageIndices(roles: readonly string[], costs: readonly number[], budget: number, markerCost: number): number[] {
  const count = roles.length;
  let total = 0;
  for (const cost of costs) total += cost;
  if (total <= budget) return roles.map((_, index) => index);
  const head: number[] = [];
  let index = 0;
  while (index < count && roles[index] === "system") head.push(index++);
  const firstUser = roles.indexOf("user", index);
  if (firstUser !== -1 && firstUser < count - 1) head.push(firstUser);
  // Two markers at most: between the system messages and the first user message, and after it.
  let used = head.reduce((sum, i) => sum + (costs[i] ?? 0), 0) + 2 * markerCost;
  const tail: number[] = [];
  for (let i = count - 1; i >= 0 && !head.includes(i); i--) {
    const cost = costs[i] ?? 0;
    // The last message is always kept: it is what the model answers.
    if (tail.length > 0 && used + cost > budget) break;
    used += cost;
    tail.unshift(i);
  }
  return [...head, ...tail];
}

/** Walks `kept` and yields, in order, each kept index or the size of the gap before it. */
export function withGaps(kept: readonly number[], total: number): Array<{ index: number } | { elided: number }> {
  const out: Array<{ index: number } | { elided: number }> = [];
  let next = 0;
  for (const index of kept) {
    if (index > next) out.push({ elided: index - next });
    out.push({ index });
    next = index + 1;
  }
  if (next < total) out.push({ elided: total - next });
  return out;
}
