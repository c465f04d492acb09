import type { AttributeValue, Attributes } from "@opentelemetry/api";
import {
  AGENT_NAME,
  ERROR_TYPE,
  GEN_AI_AGENT_ID,
  GEN_AI_AGENT_NAME,
  GEN_AI_CONVERSATION_ID,
  GEN_AI_DATA_SOURCE_ID,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_RESPONSE_ID,
  GEN_AI_RESPONSE_MODEL,
  GEN_AI_TOOL_CALL_ID,
  GEN_AI_TOOL_NAME,
  LANGCHAIN_RUN_NAME,
  LANGGRAPH_CHECKPOINT_NS,
  LANGGRAPH_NODE,
  LLM_MODEL_NAME,
  LLM_PROVIDER,
  SESSION_ID,
  TOOL_NAME,
  USER_ID,
} from "../attribute-names.js";
import { capText } from "../payload.js";

/**
 * Names, ids and types are short by nature: a huge one is a bug or an attack, and it would
 * land in span names, indexes and metric labels. They keep this many characters.
 */
export const MAX_IDENTITY_LENGTH = 256;
/** Tags, triggers, stop sequences, finish reasons: arrays keep this many items. */
export const MAX_ARRAY_ITEMS = 64;

/** Attributes that hold an identity, not content: capped at `MAX_IDENTITY_LENGTH`. */
const IDENTITY_ATTRIBUTES: ReadonlySet<string> = new Set([
  LANGCHAIN_RUN_NAME,
  GEN_AI_AGENT_NAME,
  GEN_AI_AGENT_ID,
  AGENT_NAME,
  SESSION_ID,
  USER_ID,
  GEN_AI_CONVERSATION_ID,
  ERROR_TYPE,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_RESPONSE_MODEL,
  GEN_AI_RESPONSE_ID,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_TOOL_NAME,
  GEN_AI_TOOL_CALL_ID,
  GEN_AI_DATA_SOURCE_ID,
  LLM_MODEL_NAME,
  LLM_PROVIDER,
  TOOL_NAME,
  LANGGRAPH_NODE,
  LANGGRAPH_CHECKPOINT_NS,
]);

/** A span or event name, or any other identity-like text, at most `MAX_IDENTITY_LENGTH` characters. */
export function identityText(text: string): string {
  return capText(text, MAX_IDENTITY_LENGTH).text;
}

/**
 * The last word on size before attributes reach a span, whichever builder wrote them: identity
 * values are cut to `MAX_IDENTITY_LENGTH`, any other string to `maxContentLength` (payload
 * builders already cut theirs, with JSON kept valid), arrays to `MAX_ARRAY_ITEMS` short items.
 * Changes `attributes` in place and returns it.
 */
export function boundAttributes(attributes: Attributes, maxContentLength: number): Attributes {
  for (const name in attributes) {
    const value = attributes[name];
    if (typeof value === "string") {
      const cap = IDENTITY_ATTRIBUTES.has(name) ? MAX_IDENTITY_LENGTH : maxContentLength;
      if (value.length > cap) attributes[name] = capText(value, cap).text;
    } else if (Array.isArray(value)) {
      attributes[name] = boundArray(value as unknown[]) as AttributeValue;
    }
  }
  return attributes;
}

function boundArray<T>(items: T[]): T[] {
  let kept = items.length > MAX_ARRAY_ITEMS ? items.slice(0, MAX_ARRAY_ITEMS) : items;
  for (let index = 0; index < kept.length; index++) {
    const item = kept[index];
    if (typeof item !== "string" || item.length <= MAX_IDENTITY_LENGTH) continue;
    if (kept === items) kept = [...items];
    kept[index] = identityText(item) as T;
  }
  return kept;
}
