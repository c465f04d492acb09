import type { Attributes } from "@opentelemetry/api";
import { cleanText, toPayload } from "../payload.js";
import { elisionMessage, keptMessageIndices, withGaps, type GenAiMessage, type GenAiPart } from "./messages.js";

/**
 * Spans hold 128 attributes by default (the SDK's `attributeCountLimit`), and the SDK drops
 * whatever comes after. The input messages get what the chat span's other start attributes
 * leave (its structure and the run's identity, tags and session, already on the span, the
 * metadata JSON, and the content written before them), less room for what is only known at the
 * end: usage, response, output JSON and the flattened output.
 */
const SPAN_ATTRIBUTE_LIMIT = 128;
const METADATA_RESERVE = 1;
const END_ATTRIBUTES_RESERVE = 20;
export const FLATTENED_OUTPUT_ATTRIBUTE_BUDGET = 16;

export function flattenedInputBudget(onSpan: Attributes, contentBefore: Attributes): number {
  const taken = Object.keys(onSpan).length + METADATA_RESERVE + Object.keys(contentBefore).length;
  const left = SPAN_ATTRIBUTE_LIMIT - taken - END_ATTRIBUTES_RESERVE - FLATTENED_OUTPUT_ATTRIBUTE_BUDGET;
  // However crowded the span, the system message, the question and the last message show.
  return Math.max(12, left);
}

/**
 * OpenInference's flattened messages (`llm.input_messages.{i}.message.*`), which Phoenix reads
 * instead of the GenAI JSON. Over budget, the beginning (system messages, first user message)
 * and the tail are kept with a marker message in between, as in the JSON.
 */
export function putFlattenedMessages(attributes: Attributes, prefix: string, messages: readonly GenAiMessage[], maxContentLength: number, budget: number): void {
  const flattened = messages.map((message) => flattenMessage(message, maxContentLength));
  const costs = flattened.map((fields) => fields.length);
  const kept = keptMessageIndices(
    messages.map((message) => message.role),
    costs,
    budget,
    2,
  );
  let position = 0;
  for (const item of withGaps(kept, messages.length)) {
    const fields = "index" in item ? (flattened[item.index] ?? []) : flattenMessage(elisionMessage(item.elided), maxContentLength);
    const base = `${prefix}.${position++}.message.`;
    for (const [key, value] of fields) attributes[base + key] = value;
  }
}

type Field = [key: string, value: string];

function flattenMessage(message: GenAiMessage, maxContentLength: number): Field[] {
  const fields: Field[] = [["role", message.role]];
  if (message.name !== undefined) fields.push(["name", message.name]);
  const media = message.parts.some(isMedia);
  if (media) {
    // OpenInference's typed contents, which Phoenix renders as text and images.
    let index = 0;
    for (const part of message.parts) {
      const base = `contents.${index}.message_content.`;
      if (part.type === "text") {
        fields.push([`${base}type`, "text"], [`${base}text`, cleanText(String(part["content"]), maxContentLength).text]);
        index++;
      } else if (isMedia(part) && part["modality"] === "image") {
        const url = imageUrl(part);
        fields.push([`${base}type`, "image"]);
        if (url !== undefined && url.length <= maxContentLength) fields.push([`${base}image.image.url`, url]);
        index++;
      }
    }
  } else {
    const text = message.parts.map((part) => partText(part, maxContentLength)).join("");
    if (text !== "") fields.push(["content", cleanText(text, maxContentLength).text]);
  }
  let callIndex = 0;
  for (const part of message.parts) {
    if (part.type === "tool_call") {
      const base = `tool_calls.${callIndex++}.tool_call.`;
      if (typeof part["id"] === "string") fields.push([`${base}id`, part["id"]]);
      fields.push([`${base}function.name`, String(part["name"])]);
      const args = part["arguments"];
      if (args !== undefined) fields.push([`${base}function.arguments`, typeof args === "string" ? cleanText(args, maxContentLength).text : toPayload(args, maxContentLength).text]);
    } else if (part.type === "tool_call_response" && typeof part["id"] === "string") {
      fields.push(["tool_call_id", part["id"]]);
    }
  }
  return fields;
}

function isMedia(part: GenAiPart): boolean {
  return part.type === "uri" || part.type === "blob" || part.type === "file";
}

function imageUrl(part: GenAiPart): string | undefined {
  if (part.type === "uri") return String(part["uri"]);
  if (part.type === "blob") return `data:${typeof part["mime_type"] === "string" ? part["mime_type"] : "image/*"};base64,${String(part["content"])}`;
  return undefined;
}

function partText(part: GenAiPart, maxContentLength: number): string {
  if (part.type === "text") return String(part["content"]);
  if (part.type !== "tool_call_response") return "";
  const response = part["response"];
  if (typeof response === "string") return response;
  if (Array.isArray(response)) return response.map((block) => (typeof block === "string" ? block : typeof block?.text === "string" ? block.text : "")).join("");
  return response === undefined || response === null ? "" : toPayload(response, maxContentLength).text;
}
