import type { Attributes } from "@opentelemetry/api";
import {
  GEN_AI_INPUT_MESSAGES,
  GEN_AI_OUTPUT_MESSAGES,
  GEN_AI_TOOL_CALL_ARGUMENTS,
  GEN_AI_TOOL_CALL_RESULT,
  GEN_AI_TOOL_DEFINITIONS,
  INPUT_MIME_TYPE,
  INPUT_VALUE,
  LLM_INPUT_MESSAGES,
  LLM_INVOCATION_PARAMETERS,
  LLM_OUTPUT_MESSAGES,
  LLM_TOOLS,
  OUTPUT_MIME_TYPE,
  OUTPUT_VALUE,
  PROMPT_TEMPLATE_TEMPLATE,
  PROMPT_TEMPLATE_VARIABLES,
  RETRIEVAL_DOCUMENTS,
} from "../attribute-names.js";

/** Whose content attributes a span carries: the OTel GenAI conventions' (`gen_ai.*`), OpenInference's, or both. */
export type ContentConvention = "gen_ai" | "openinference";
export const CONTENT_CONVENTIONS: readonly ContentConvention[] = ["gen_ai", "openinference"];

const GEN_AI_CONTENT: ReadonlySet<string> = new Set([GEN_AI_INPUT_MESSAGES, GEN_AI_OUTPUT_MESSAGES, GEN_AI_TOOL_DEFINITIONS, GEN_AI_TOOL_CALL_ARGUMENTS, GEN_AI_TOOL_CALL_RESULT]);
const OPENINFERENCE_CONTENT: ReadonlySet<string> = new Set([LLM_INVOCATION_PARAMETERS, PROMPT_TEMPLATE_TEMPLATE, PROMPT_TEMPLATE_VARIABLES]);
const OPENINFERENCE_CONTENT_PREFIXES = [`${LLM_INPUT_MESSAGES}.`, `${LLM_OUTPUT_MESSAGES}.`, `${LLM_TOOLS}.`, `${RETRIEVAL_DOCUMENTS}.`];

function isOpenInferenceContent(name: string): boolean {
  return OPENINFERENCE_CONTENT.has(name) || OPENINFERENCE_CONTENT_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * The content attributes of the conventions chosen, from a builder's output. With `gen_ai` only,
 * `input.value` / `output.value` stay where no `gen_ai.*` attribute holds the same content
 * (chains, retrievers): the GenAI conventions have no attribute for a chain's input.
 */
export function keepConventions(attributes: Attributes, conventions: readonly ContentConvention[]): Attributes {
  if (conventions.length === CONTENT_CONVENTIONS.length) return attributes;
  const genAiOnly = conventions[0] === "gen_ai";
  const inputInGenAi = attributes[GEN_AI_INPUT_MESSAGES] !== undefined || attributes[GEN_AI_TOOL_CALL_ARGUMENTS] !== undefined;
  const outputInGenAi = attributes[GEN_AI_OUTPUT_MESSAGES] !== undefined || attributes[GEN_AI_TOOL_CALL_RESULT] !== undefined;
  const kept: Attributes = {};
  for (const name in attributes) {
    const dropped = genAiOnly
      ? isOpenInferenceContent(name) ||
        (inputInGenAi && (name === INPUT_VALUE || name === INPUT_MIME_TYPE)) ||
        (outputInGenAi && (name === OUTPUT_VALUE || name === OUTPUT_MIME_TYPE))
      : GEN_AI_CONTENT.has(name);
    if (!dropped) kept[name] = attributes[name];
  }
  return kept;
}
