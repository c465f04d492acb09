import type { Attributes } from "@opentelemetry/api";
import { cleanText } from "../payload.js";
import { asRecord, asString } from "./content.js";

/** A message in the GenAI conventions' JSON shape (`gen_ai.input.messages` / `gen_ai.output.messages`). */
export interface GenAiMessage {
  role: string;
  parts: GenAiPart[];
  name?: string;
  finish_reason?: string;
}

export type GenAiPart =
  | { type: "text"; content: string }
  | { type: "tool_call"; id?: string; name: string; arguments?: unknown }
  | { type: "tool_call_response"; id?: string; response: unknown }
  | { type: string; content?: unknown };

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
  tool_call_id?: unknown;
}

function roleOf(message: MessageLike): string {
  const type = asString(message.type);
  if (type === "generic") return asString(message.role) ?? "user";
  return (type !== undefined ? ROLE_BY_TYPE[type] : undefined) ?? type ?? "user";
}

function contentParts(content: unknown): GenAiPart[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", content }];
  if (!Array.isArray(content)) return content === undefined || content === null ? [] : [{ type: "unknown", content }];
  return content.map((block): GenAiPart => {
    const fields = asRecord(block);
    if (fields === undefined) return { type: "text", content: String(block) };
    const text = asString(fields["text"]);
    if (fields["type"] === "text" && text !== undefined) return { type: "text", content: text };
    // Images, audio, files: kept as given; the payload cap bounds their size.
    return { type: asString(fields["type"]) ?? "unknown", content: block };
  });
}

export function toGenAiMessage(message: unknown): GenAiMessage {
  const fields = (asRecord(message) ?? { content: message }) as MessageLike;
  const role = roleOf(fields);
  const parts: GenAiPart[] = [];
  if (role === "tool") {
    parts.push({ type: "tool_call_response", id: asString(fields.tool_call_id), response: fields.content });
  } else {
    parts.push(...contentParts(fields.content));
  }
  if (Array.isArray(fields.tool_calls)) {
    for (const call of fields.tool_calls) {
      const callFields = asRecord(call);
      if (callFields === undefined) continue;
      parts.push({ type: "tool_call", id: asString(callFields["id"]), name: asString(callFields["name"]) ?? "", arguments: callFields["args"] });
    }
  }
  const genAiMessage: GenAiMessage = { role, parts };
  const name = asString(fields.name);
  if (name !== undefined) genAiMessage.name = name;
  return genAiMessage;
}

/**
 * OpenInference flattens messages into attributes. Spans hold 128 attributes by default, so
 * only the last `MAX_FLATTENED_MESSAGES` are flattened; the full list is in the JSON attribute.
 */
export const MAX_FLATTENED_MESSAGES = 8;

function partText(part: GenAiPart): string {
  if (part.type === "text") return (part as { content: string }).content;
  const response = part.type === "tool_call_response" ? (part as { response: unknown }).response : undefined;
  return typeof response === "string" ? response : "";
}

export function putFlattenedMessages(attributes: Attributes, prefix: string, messages: GenAiMessage[], maxContentLength: number): void {
  const first = Math.max(0, messages.length - MAX_FLATTENED_MESSAGES);
  for (let index = first; index < messages.length; index++) {
    const message = messages[index] as GenAiMessage;
    const base = `${prefix}.${index}.message`;
    attributes[`${base}.role`] = message.role;
    const text = message.parts.map(partText).join("");
    if (text !== "") attributes[`${base}.content`] = cleanText(text, maxContentLength).text;
    let callIndex = 0;
    for (const part of message.parts) {
      if (part.type === "tool_call") {
        const call = part as { id?: string; name: string; arguments?: unknown };
        const callBase = `${base}.tool_calls.${callIndex++}.tool_call`;
        if (call.id !== undefined) attributes[`${callBase}.id`] = call.id;
        attributes[`${callBase}.function.name`] = call.name;
      } else if (part.type === "tool_call_response") {
        const id = (part as { id?: string }).id;
        if (id !== undefined) attributes[`${base}.tool_call_id`] = id;
      }
    }
  }
}
