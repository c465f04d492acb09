import type { Attributes } from "@opentelemetry/api";
import {
  GEN_AI_OPERATION_NAME,
  GEN_AI_TOOL_CALL_ARGUMENTS,
  GEN_AI_TOOL_CALL_ID,
  GEN_AI_TOOL_CALL_RESULT,
  GEN_AI_TOOL_DESCRIPTION,
  GEN_AI_TOOL_NAME,
  GEN_AI_TOOL_TYPE,
  INPUT_MIME_TYPE,
  INPUT_VALUE,
  OPENINFERENCE_SPAN_KIND,
  OUTPUT_MIME_TYPE,
  OUTPUT_VALUE,
  TOOL_DESCRIPTION,
  TOOL_NAME,
} from "../attribute-names.js";
import { toPayload } from "../payload.js";
import { asRecord, asString, putPayload } from "./content.js";

export interface ToolStart {
  serialized: unknown;
  /** From `toolName`. */
  name: string;
  /** LangChain passes structured tool input as a JSON string. */
  input: string;
  toolCallId: string | undefined;
  /** From the definitions offered to a model earlier in the same trace (see `ToolCatalog`). */
  offeredDescription: string | undefined;
}

export function toolName(serialized: unknown, runName: string | undefined): string {
  return runName ?? asString(asRecord(serialized)?.["name"]) ?? "tool";
}

export function toolStartAttributes(start: ToolStart): Attributes {
  const name = start.name;
  const attributes: Attributes = {
    [GEN_AI_OPERATION_NAME]: "execute_tool",
    [OPENINFERENCE_SPAN_KIND]: "TOOL",
    [GEN_AI_TOOL_NAME]: name,
    [GEN_AI_TOOL_TYPE]: "function",
    [TOOL_NAME]: name,
  };
  if (start.toolCallId !== undefined) attributes[GEN_AI_TOOL_CALL_ID] = start.toolCallId;
  const description = asString(asRecord(asRecord(start.serialized)?.["kwargs"])?.["description"]) ?? start.offeredDescription;
  if (description !== undefined) {
    attributes[GEN_AI_TOOL_DESCRIPTION] = description;
    attributes[TOOL_DESCRIPTION] = description;
  }
  return attributes;
}

/** A recorded tool call's arguments. */
export function toolStartContent(start: ToolStart, maxContentLength: number): Attributes {
  const attributes: Attributes = {};
  if (typeof start.input !== "string") return attributes;
  const payload = toPayload(start.input, maxContentLength);
  putPayload(attributes, GEN_AI_TOOL_CALL_ARGUMENTS, payload);
  putPayload(attributes, INPUT_VALUE, payload, INPUT_MIME_TYPE);
  return attributes;
}

/** A tool returns anything; ToolNode-style tools return a ToolMessage whose content is the result. */
export function toolEndAttributes(output: unknown, captureContent: boolean, maxContentLength: number): Attributes {
  const attributes: Attributes = {};
  if (!captureContent) return attributes;
  const message = asRecord(output);
  const result = message !== undefined && message["type"] === "tool" && "content" in message ? message["content"] : output;
  const payload = toPayload(result, maxContentLength);
  putPayload(attributes, GEN_AI_TOOL_CALL_RESULT, payload);
  putPayload(attributes, OUTPUT_VALUE, payload, OUTPUT_MIME_TYPE);
  return attributes;
}
