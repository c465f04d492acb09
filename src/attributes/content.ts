import type { Attributes } from "@opentelemetry/api";
import { LANGCHAIN_CONTENT_TRUNCATED } from "../attribute-names.js";
import { toPayload, type Payload } from "../payload.js";

/**
 * Writes a payload attribute (and its OpenInference mime type), flagging the span when it was cut.
 * The mime type is written for JSON only: text/plain is what OpenInference readers assume without one.
 */
export function putPayload(attributes: Attributes, name: string, payload: Payload, mimeTypeName?: string): void {
  attributes[name] = payload.text;
  if (mimeTypeName !== undefined && payload.mimeType === "application/json") attributes[mimeTypeName] = payload.mimeType;
  if (payload.truncated) attributes[LANGCHAIN_CONTENT_TRUNCATED] = true;
}

export function putValue(attributes: Attributes, name: string, value: unknown, maxLength: number, mimeTypeName?: string): void {
  putPayload(attributes, name, toPayload(value, maxLength), mimeTypeName);
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The value of a JSON text; `fallback` for anything that is not one. */
export function parseJsonOr(text: unknown, fallback: unknown): unknown {
  if (typeof text !== "string") return fallback;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fallback;
  }
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** The class name at the end of a serialized id, e.g. `ChatOpenAI` in ["langchain", "chat_models", "openai", "ChatOpenAI"]. */
export function lastIdSegment(serialized: unknown): string | undefined {
  const id = asRecord(serialized)?.["id"];
  return Array.isArray(id) ? asString(id[id.length - 1]) : undefined;
}
