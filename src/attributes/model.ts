import type { Attributes } from "@opentelemetry/api";
import {
  GEN_AI_INPUT_MESSAGES,
  GEN_AI_OPERATION_NAME,
  GEN_AI_OUTPUT_MESSAGES,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_CHOICE_COUNT,
  GEN_AI_REQUEST_FREQUENCY_PENALTY,
  GEN_AI_REQUEST_MAX_TOKENS,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_REQUEST_PRESENCE_PENALTY,
  GEN_AI_REQUEST_SEED,
  GEN_AI_REQUEST_STOP_SEQUENCES,
  GEN_AI_REQUEST_STREAM,
  GEN_AI_REQUEST_TEMPERATURE,
  GEN_AI_REQUEST_TOP_K,
  GEN_AI_REQUEST_TOP_P,
  GEN_AI_RESPONSE_FINISH_REASONS,
  GEN_AI_RESPONSE_ID,
  GEN_AI_RESPONSE_MODEL,
  GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  GEN_AI_USAGE_INPUT_TOKENS,
  GEN_AI_USAGE_OUTPUT_TOKENS,
  GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  INPUT_MIME_TYPE,
  INPUT_VALUE,
  LLM_INPUT_MESSAGES,
  LLM_INVOCATION_PARAMETERS,
  LLM_MODEL_NAME,
  LLM_OUTPUT_MESSAGES,
  LLM_PROVIDER,
  LLM_TOKEN_COUNT_COMPLETION,
  LLM_TOKEN_COUNT_COMPLETION_REASONING,
  LLM_TOKEN_COUNT_PROMPT,
  LLM_TOKEN_COUNT_PROMPT_CACHE_READ,
  LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE,
  LLM_TOKEN_COUNT_TOTAL,
  OPENINFERENCE_SPAN_KIND,
  OUTPUT_MIME_TYPE,
  OUTPUT_VALUE,
} from "../attribute-names.js";
import { toPayload } from "../payload.js";
import { asNumber, asRecord, asString, putPayload } from "./content.js";
import { FLATTENED_OUTPUT_ATTRIBUTE_BUDGET, flattenedInputBudget, putFlattenedMessages } from "./flattened-messages.js";
import { messagesPayload } from "./message-json.js";
import { promptMessage, toGenAiMessage, withFinishReason, type GenAiMessage } from "./messages.js";
import { putToolDefinitions, toolDescriptions } from "./tool-definitions.js";

export type ModelOperation = "chat" | "text_completion";

/**
 * LangChain `ls_provider` (or the package in the serialized id) to the GenAI
 * `gen_ai.provider.name` and OpenInference's `llm.provider` (Phoenix looks up costs by the
 * latter, so it keeps OpenInference's own, coarser names).
 */
const PROVIDER_NAMES: Record<string, { genAi: string; openInference: string }> = {
  openai: { genAi: "openai", openInference: "openai" },
  azure: { genAi: "azure.ai.openai", openInference: "azure" },
  azure_openai: { genAi: "azure.ai.openai", openInference: "azure" },
  anthropic: { genAi: "anthropic", openInference: "anthropic" },
  bedrock: { genAi: "aws.bedrock", openInference: "aws" },
  amazon_bedrock: { genAi: "aws.bedrock", openInference: "aws" },
  aws: { genAi: "aws.bedrock", openInference: "aws" },
  google_vertexai: { genAi: "gcp.vertex_ai", openInference: "google" },
  vertexai: { genAi: "gcp.vertex_ai", openInference: "google" },
  google_genai: { genAi: "gcp.gemini", openInference: "google" },
  google_gemini: { genAi: "gcp.gemini", openInference: "google" },
  mistral: { genAi: "mistral_ai", openInference: "mistralai" },
  mistralai: { genAi: "mistral_ai", openInference: "mistralai" },
  groq: { genAi: "groq", openInference: "groq" },
  cohere: { genAi: "cohere", openInference: "cohere" },
  deepseek: { genAi: "deepseek", openInference: "deepseek" },
  xai: { genAi: "x_ai", openInference: "xai" },
  perplexity: { genAi: "perplexity", openInference: "perplexity" },
  fireworks: { genAi: "fireworks", openInference: "fireworks" },
  together: { genAi: "together", openInference: "together" },
  ollama: { genAi: "ollama", openInference: "ollama" },
  cerebras: { genAi: "cerebras", openInference: "cerebras" },
  ibm: { genAi: "ibm.watsonx.ai", openInference: "ibm" },
  watsonx: { genAi: "ibm.watsonx.ai", openInference: "ibm" },
};

/** Where each request parameter hides in LangChain's `invocation_params` (provider spellings vary). */
const REQUEST_PARAMETERS: Array<[attribute: string, keys: string[]]> = [
  [GEN_AI_REQUEST_TEMPERATURE, ["temperature"]],
  [GEN_AI_REQUEST_TOP_P, ["top_p", "topP"]],
  [GEN_AI_REQUEST_TOP_K, ["top_k", "topK"]],
  [GEN_AI_REQUEST_MAX_TOKENS, ["max_tokens", "maxTokens", "max_completion_tokens", "max_output_tokens", "maxOutputTokens", "num_predict"]],
  [GEN_AI_REQUEST_FREQUENCY_PENALTY, ["frequency_penalty", "frequencyPenalty"]],
  [GEN_AI_REQUEST_PRESENCE_PENALTY, ["presence_penalty", "presencePenalty"]],
  [GEN_AI_REQUEST_SEED, ["seed"]],
  [GEN_AI_REQUEST_CHOICE_COUNT, ["n", "candidateCount"]],
];
const STOP_KEYS = ["stop", "stop_sequences", "stopSequences"];
const MODEL_KEYS = ["model", "model_name", "modelName", "model_id", "modelId"];

export interface ModelStart {
  operation: ModelOperation;
  serialized: unknown;
  /** Chat: the message list; text completion: the prompt strings. */
  input: unknown[];
  extraParams: Record<string, unknown> | undefined;
  metadata: Record<string, unknown> | undefined;
  /** From `modelName`. */
  model: string | undefined;
  /** No traced parent: the trace's (or the caller's) view of this call is this span. */
  isRoot: boolean;
}

function firstString(fields: Record<string, unknown> | undefined, keys: string[]): string | undefined {
  if (fields === undefined) return undefined;
  for (const key of keys) {
    const value = asString(fields[key]);
    if (value !== undefined) return value;
  }
  return undefined;
}

function providerNames(metadata: Record<string, unknown> | undefined, serialized: unknown): { genAi: string; openInference: string } | undefined {
  const lsProvider = asString(metadata?.["ls_provider"])?.toLowerCase();
  if (lsProvider !== undefined) return PROVIDER_NAMES[lsProvider] ?? { genAi: lsProvider, openInference: lsProvider };
  // Serialized ids look like ["langchain", "chat_models", "openai", "ChatOpenAI"].
  const id = asRecord(serialized)?.["id"];
  const packageName = Array.isArray(id) && id.length >= 4 ? asString(id[id.length - 2]) : undefined;
  return packageName !== undefined ? PROVIDER_NAMES[packageName] : undefined;
}

export function modelName(extraParams: Record<string, unknown> | undefined, metadata: Record<string, unknown> | undefined): string | undefined {
  return firstString(asRecord(extraParams?.["invocation_params"]), MODEL_KEYS) ?? asString(metadata?.["ls_model_name"]);
}

/** `chat gpt-4o`, `text_completion my-model`, or just the operation when the model is unknown. */
export function modelSpanName(operation: ModelOperation, model: string | undefined): string {
  return model === undefined ? operation : `${operation} ${model}`;
}

function putRequestParameters(attributes: Attributes, params: Record<string, unknown> | undefined, metadata: Record<string, unknown> | undefined): void {
  for (const [attribute, keys] of REQUEST_PARAMETERS) {
    for (const key of keys) {
      const value = asNumber(params?.[key]);
      if (value !== undefined) {
        attributes[attribute] = value;
        break;
      }
    }
  }
  if (attributes[GEN_AI_REQUEST_TEMPERATURE] === undefined) {
    const lsTemperature = asNumber(metadata?.["ls_temperature"]);
    if (lsTemperature !== undefined) attributes[GEN_AI_REQUEST_TEMPERATURE] = lsTemperature;
  }
  if (attributes[GEN_AI_REQUEST_MAX_TOKENS] === undefined) {
    const lsMaxTokens = asNumber(metadata?.["ls_max_tokens"]);
    if (lsMaxTokens !== undefined) attributes[GEN_AI_REQUEST_MAX_TOKENS] = lsMaxTokens;
  }
  const stop = STOP_KEYS.map((key) => params?.[key]).find(Array.isArray) ?? metadata?.["ls_stop"];
  if (Array.isArray(stop)) attributes[GEN_AI_REQUEST_STOP_SEQUENCES] = stop.filter((s): s is string => typeof s === "string");
  // The spec sets it only for streamed calls.
  if (params?.["stream"] === true || params?.["streaming"] === true) attributes[GEN_AI_REQUEST_STREAM] = true;
}

/** Attributes known when a chat model or LLM run starts, for the sampler too: operation, model, provider, request parameters. */
export function modelStartAttributes(start: ModelStart): Attributes {
  const params = asRecord(start.extraParams?.["invocation_params"]);
  const model = start.model;
  const provider = providerNames(start.metadata, start.serialized);
  const attributes: Attributes = {
    [GEN_AI_OPERATION_NAME]: start.operation,
    [OPENINFERENCE_SPAN_KIND]: "LLM",
  };
  if (model !== undefined) {
    attributes[GEN_AI_REQUEST_MODEL] = model;
    attributes[LLM_MODEL_NAME] = model;
  }
  if (provider !== undefined) {
    attributes[GEN_AI_PROVIDER_NAME] = provider.genAi;
    attributes[LLM_PROVIDER] = provider.openInference;
  }
  putRequestParameters(attributes, params, start.metadata);
  return attributes;
}

/**
 * A recorded model call's invocation parameters, offered tools and input messages. `onSpan`: the
 * attributes the span already has, which the flattened messages must leave room for.
 */
export function modelStartContent(start: ModelStart, maxContentLength: number, onSpan: Attributes): Attributes {
  const params = asRecord(start.extraParams?.["invocation_params"]);
  const attributes: Attributes = {};
  if (params !== undefined) {
    const tools = params["tools"];
    const offersTools = Array.isArray(tools) && tools.length > 0;
    // The tools are named by count: each is whole in `llm.tools.{i}.tool.json_schema` (where
    // Phoenix's playground reads them) and in `gen_ai.tool.definitions`; a third copy would be
    // the span's largest attribute. Empty parameters say nothing and are left out.
    const invocationParameters = toPayload(offersTools ? { ...params, tools: `[${tools.length} tools: see llm.tools]` } : params, maxContentLength);
    if (invocationParameters.text !== "{}") putPayload(attributes, LLM_INVOCATION_PARAMETERS, invocationParameters);
    if (offersTools) putToolDefinitions(attributes, tools, maxContentLength);
  }
  const messages: GenAiMessage[] = start.input.map((item) => (typeof item === "string" ? promptMessage(item) : toGenAiMessage(item)));
  const payload = messagesPayload(messages, maxContentLength);
  putPayload(attributes, GEN_AI_INPUT_MESSAGES, payload);
  // The same JSON again as `input.value` only on a root: Phoenix shows a trace's input from its
  // root span, and reads a chat span's messages from `llm.input_messages` below.
  if (start.isRoot) putPayload(attributes, INPUT_VALUE, payload, INPUT_MIME_TYPE);
  putFlattenedMessages(attributes, LLM_INPUT_MESSAGES, messages, maxContentLength, flattenedInputBudget(onSpan, attributes));
  return attributes;
}

/** The tools offered in this call, by name, with their descriptions (for the tool spans that follow). */
export function offeredToolDescriptions(extraParams: Record<string, unknown> | undefined, maxContentLength: number): ReadonlyMap<string, string> | undefined {
  const tools = asRecord(extraParams?.["invocation_params"])?.["tools"];
  return Array.isArray(tools) && tools.length > 0 ? toolDescriptions(tools, maxContentLength) : undefined;
}

interface TokenUsage {
  input?: number;
  output?: number;
  total?: number;
  cacheRead?: number;
  cacheCreation?: number;
  reasoning?: number;
}

function addUsage(total: TokenUsage, usage: TokenUsage): void {
  for (const key of Object.keys(usage) as Array<keyof TokenUsage>) {
    const value = usage[key];
    if (value !== undefined) total[key] = (total[key] ?? 0) + value;
  }
}

/** LangChain's standard `usage_metadata` on an AIMessage. */
function messageUsage(message: Record<string, unknown>): TokenUsage | undefined {
  const usage = asRecord(message["usage_metadata"]);
  if (usage === undefined) return undefined;
  return {
    input: asNumber(usage["input_tokens"]),
    output: asNumber(usage["output_tokens"]),
    total: asNumber(usage["total_tokens"]),
    cacheRead: asNumber(asRecord(usage["input_token_details"])?.["cache_read"]),
    cacheCreation: asNumber(asRecord(usage["input_token_details"])?.["cache_creation"]),
    reasoning: asNumber(asRecord(usage["output_token_details"])?.["reasoning"]),
  };
}

/** Older providers report usage only in `llmOutput.tokenUsage` (or `estimatedTokenUsage`). */
function llmOutputUsage(llmOutput: Record<string, unknown> | undefined): TokenUsage | undefined {
  const usage = asRecord(llmOutput?.["tokenUsage"]) ?? asRecord(llmOutput?.["estimatedTokenUsage"]) ?? asRecord(llmOutput?.["usage"]);
  if (usage === undefined) return undefined;
  return {
    input: asNumber(usage["promptTokens"] ?? usage["prompt_tokens"] ?? usage["input_tokens"]),
    output: asNumber(usage["completionTokens"] ?? usage["completion_tokens"] ?? usage["output_tokens"]),
    total: asNumber(usage["totalTokens"] ?? usage["total_tokens"]),
  };
}

function putUsage(attributes: Attributes, usage: TokenUsage): void {
  const pairs: Array<[number | undefined, string[]]> = [
    [usage.input, [GEN_AI_USAGE_INPUT_TOKENS, LLM_TOKEN_COUNT_PROMPT]],
    [usage.output, [GEN_AI_USAGE_OUTPUT_TOKENS, LLM_TOKEN_COUNT_COMPLETION]],
    [usage.total ?? (usage.input !== undefined && usage.output !== undefined ? usage.input + usage.output : undefined), [LLM_TOKEN_COUNT_TOTAL]],
    [usage.cacheRead, [GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, LLM_TOKEN_COUNT_PROMPT_CACHE_READ]],
    [usage.cacheCreation, [GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, LLM_TOKEN_COUNT_PROMPT_CACHE_WRITE]],
    [usage.reasoning, [GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, LLM_TOKEN_COUNT_COMPLETION_REASONING]],
  ];
  for (const [value, names] of pairs) {
    if (value === undefined) continue;
    for (const name of names) attributes[name] = value;
  }
}

/** Attributes of a finished chat model or LLM run, from its `LLMResult`. */
export function modelEndAttributes(output: unknown, captureContent: boolean, maxContentLength: number, isRoot: boolean): Attributes {
  const attributes: Attributes = {};
  const result = asRecord(output);
  const llmOutput = asRecord(result?.["llmOutput"]);
  const generations = Array.isArray(result?.["generations"]) ? (result["generations"] as unknown[]).flat() : [];
  const usage: TokenUsage = {};
  let sawMessageUsage = false;
  const finishReasons: string[] = [];
  const messages: GenAiMessage[] = [];
  let responseModel = firstString(llmOutput, ["model_name", "model"]);
  let responseId: string | undefined;

  for (const generation of generations) {
    const fields = asRecord(generation);
    if (fields === undefined) continue;
    const message = asRecord(fields["message"]);
    const responseMetadata = asRecord(message?.["response_metadata"]);
    const finishReason =
      asString(asRecord(fields["generationInfo"])?.["finish_reason"]) ??
      asString(responseMetadata?.["finish_reason"]) ??
      asString(responseMetadata?.["stop_reason"]);
    if (finishReason !== undefined) finishReasons.push(finishReason);
    responseModel ??= firstString(responseMetadata, ["model_name", "model"]);
    responseId ??= asString(responseMetadata?.["id"]) ?? providerMessageId(message);
    const messageTokens = message === undefined ? undefined : messageUsage(message);
    if (messageTokens !== undefined) {
      sawMessageUsage = true;
      addUsage(usage, messageTokens);
    }
    if (captureContent) {
      const genAiMessage: GenAiMessage = message !== undefined ? toGenAiMessage(message) : { role: "assistant", parts: [{ type: "text", content: asString(fields["text"]) ?? "" }] };
      messages.push(withFinishReason(genAiMessage, finishReason));
    }
  }
  if (!sawMessageUsage) addUsage(usage, llmOutputUsage(llmOutput) ?? {});

  putUsage(attributes, usage);
  if (responseModel !== undefined) attributes[GEN_AI_RESPONSE_MODEL] = responseModel;
  if (responseId !== undefined) attributes[GEN_AI_RESPONSE_ID] = responseId;
  if (finishReasons.length > 0) attributes[GEN_AI_RESPONSE_FINISH_REASONS] = finishReasons;
  if (captureContent && messages.length > 0) {
    const payload = messagesPayload(messages, maxContentLength, true);
    putPayload(attributes, GEN_AI_OUTPUT_MESSAGES, payload);
    if (isRoot) putPayload(attributes, OUTPUT_VALUE, payload, OUTPUT_MIME_TYPE);
    putFlattenedMessages(attributes, LLM_OUTPUT_MESSAGES, messages, maxContentLength, FLATTENED_OUTPUT_ATTRIBUTE_BUDGET);
  }
  return attributes;
}

/** LangChain gives messages ids of its own (`run-…`); only a provider's id is a response id. */
function providerMessageId(message: Record<string, unknown> | undefined): string | undefined {
  const id = asString(message?.["id"]);
  return id !== undefined && !id.startsWith("run-") && !id.startsWith("lc_") ? id : undefined;
}
