import type { Attributes } from "@opentelemetry/api";
import { GEN_AI_TOOL_DEFINITIONS, LANGCHAIN_CONTENT_TRUNCATED, LLM_TOOLS, TOOL_JSON_SCHEMA } from "../attribute-names.js";
import { toPayload, type Payload } from "../payload.js";
import { asRecord, asString } from "./content.js";

/** A tool offered to a model, in the spec's flat shape (`gen_ai.tool.definitions`). */
export interface GenAiToolDefinition {
  type: string;
  name: string;
  description?: string;
  parameters?: unknown;
}

/** Each `llm.tools.{i}.tool.json_schema` is one attribute: a bound keeps room for the rest of the span. */
export const MAX_FLATTENED_TOOLS = 12;

/**
 * The tools in a model's invocation parameters, whatever the provider's shape: OpenAI's
 * `{type, function: {name, description, parameters}}`, Anthropic's `{name, description,
 * input_schema}`, Gemini's `{functionDeclarations: [...]}`, or built-in tools (`{type}`).
 */
export function toGenAiToolDefinitions(tools: readonly unknown[]): GenAiToolDefinition[] {
  const definitions: GenAiToolDefinition[] = [];
  for (const tool of tools) {
    const fields = asRecord(tool);
    if (fields === undefined) continue;
    const declarations = fields["functionDeclarations"] ?? fields["function_declarations"];
    if (Array.isArray(declarations)) {
      definitions.push(...toGenAiToolDefinitions(declarations));
      continue;
    }
    const fn = asRecord(fields["function"]) ?? fields;
    const name = asString(fn["name"]) ?? asString(fields["type"]);
    if (name === undefined) continue;
    const definition: GenAiToolDefinition = { type: fields["function"] !== undefined || fields["type"] === undefined ? "function" : String(fields["type"]), name };
    const description = asString(fn["description"]);
    if (description !== undefined) definition.description = description;
    const parameters = asRecord(fn["parameters"] ?? fn["input_schema"] ?? fn["inputSchema"]);
    if (parameters !== undefined) definition.parameters = parameters;
    definitions.push(definition);
  }
  return definitions;
}

interface ToolAttributes {
  maxLength: number;
  definitions: Payload;
  schemas: string[];
  descriptions: Map<string, string>;
}

/** A model bound to tools sends the same tools array on every call: its attributes are written once. */
const written = new WeakMap<object, ToolAttributes>();

function toolAttributes(tools: readonly unknown[], maxLength: number): ToolAttributes {
  const cached = written.get(tools);
  if (cached?.maxLength === maxLength) return cached;
  const definitions = toGenAiToolDefinitions(tools);
  const result: ToolAttributes = {
    maxLength,
    definitions: definitionsPayload(definitions, maxLength),
    schemas: tools.slice(0, MAX_FLATTENED_TOOLS).map((tool) => toPayload(tool, maxLength).text),
    descriptions: new Map(definitions.filter((d) => d.description !== undefined).map((d) => [d.name, d.description as string])),
  };
  written.set(tools, result);
  return result;
}

/**
 * Valid JSON whatever the cap: when the definitions do not fit, their parameter schemas go
 * first, then their descriptions; the names stay.
 */
function definitionsPayload(definitions: GenAiToolDefinition[], maxLength: number): Payload {
  const attempts = [
    definitions,
    definitions.map(({ parameters: _parameters, ...rest }) => rest),
    definitions.map(({ type, name }) => ({ type, name })),
  ];
  for (const [index, attempt] of attempts.entries()) {
    const payload = toPayload(attempt, maxLength);
    if (payload.mimeType === "application/json" && payload.text.length <= maxLength) return { ...payload, truncated: payload.truncated || index > 0 };
  }
  return { text: "[]", mimeType: "application/json", truncated: true };
}

/** `gen_ai.tool.definitions` (flat) and OpenInference's `llm.tools.{i}.tool.json_schema` (as the provider got them). */
export function putToolDefinitions(attributes: Attributes, tools: readonly unknown[], maxLength: number): void {
  const { definitions, schemas } = toolAttributes(tools, maxLength);
  attributes[GEN_AI_TOOL_DEFINITIONS] = definitions.text;
  if (definitions.truncated) attributes[LANGCHAIN_CONTENT_TRUNCATED] = true;
  schemas.forEach((schema, index) => {
    attributes[`${LLM_TOOLS}.${index}.${TOOL_JSON_SCHEMA}`] = schema;
  });
}

/** Tool name to description, for the tool spans of the same run tree. */
export function toolDescriptions(tools: readonly unknown[], maxLength: number): ReadonlyMap<string, string> {
  return toolAttributes(tools, maxLength).descriptions;
}
