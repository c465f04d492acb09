import type { Attributes } from "@opentelemetry/api";
import {
  AGENT_NAME,
  GEN_AI_AGENT_ID,
  GEN_AI_AGENT_NAME,
  GEN_AI_OPERATION_NAME,
  INPUT_MIME_TYPE,
  INPUT_VALUE,
  OPENINFERENCE_SPAN_KIND,
  OUTPUT_MIME_TYPE,
  OUTPUT_VALUE,
} from "../attribute-names.js";
import { textPayload, toPayload, type Payload } from "../payload.js";
import { asRecord, asString, putPayload } from "./content.js";
import { promptTemplateContent, promptTemplateVersion } from "./prompt.js";
import { isInsideGraphStep } from "./run.js";

/** A compiled LangGraph graph serializes as ["langgraph", "pregel", "CompiledStateGraph"]. */
export function isGraph(serialized: unknown): boolean {
  const id = asRecord(serialized)?.["id"];
  return Array.isArray(id) && id[0] === "langgraph" && /^(Compiled\w*Graph|Pregel)$/.test(String(id[id.length - 1]));
}

/**
 * What a chain run is: an agent (`invoke_agent`, GenAI semconv v1.41.1), a workflow
 * (`invoke_workflow`: any other LangGraph graph), a prompt template, or a plain chain.
 */
export type ChainKind = { kind: "agent"; name: string; id: string | undefined } | { kind: "workflow" } | { kind: "prompt" } | { kind: "chain" };

/**
 * Agents known at their start: run type `agent`, and LangChain's `createAgent` graphs (which
 * carry `lc_agent_name` or `ls_integration: "langchain_create_agent"`). Other graphs start as
 * workflows; the handler promotes one to an agent when it offers a model tools (see `agentAttributes`).
 */
export function chainKind(serialized: unknown, runType: string, name: string, metadata: Record<string, unknown> | undefined): ChainKind {
  const graph = isGraph(serialized);
  if (runType === "agent" || (graph && (asString(metadata?.["lc_agent_name"]) !== undefined || metadata?.["ls_integration"] === "langchain_create_agent"))) {
    // LangGraph Platform names the deployed assistant in metadata.
    return { kind: "agent", name: asString(metadata?.["lc_agent_name"]) ?? name, id: asString(metadata?.["assistant_id"]) };
  }
  if (graph) return { kind: "workflow" };
  return runType === "prompt" ? { kind: "prompt" } : { kind: "chain" };
}

/** `invoke_agent support_agent`, `invoke_workflow LangGraph`; other chains and graph nodes go by the run's name. */
export function chainSpanName(name: string, kind: ChainKind): string {
  if (kind.kind === "agent") return `invoke_agent ${kind.name}`;
  return kind.kind === "workflow" ? `invoke_workflow ${name}` : name;
}

export function agentAttributes(name: string, id: string | undefined): Attributes {
  const attributes: Attributes = {
    [GEN_AI_OPERATION_NAME]: "invoke_agent",
    [OPENINFERENCE_SPAN_KIND]: "AGENT",
    [GEN_AI_AGENT_NAME]: name,
    [AGENT_NAME]: name,
  };
  if (id !== undefined) attributes[GEN_AI_AGENT_ID] = id;
  return attributes;
}

export interface ChainStart {
  kind: ChainKind;
  serialized: unknown;
  inputs: unknown;
  metadata: Record<string, unknown> | undefined;
}

/** What a chain's span starts with, for the sampler too: what kind of run it is. */
export function chainStartAttributes(start: ChainStart): Attributes {
  const { kind } = start;
  if (kind.kind === "agent") return agentAttributes(kind.name, kind.id);
  if (kind.kind === "workflow") return { [OPENINFERENCE_SPAN_KIND]: "CHAIN", [GEN_AI_OPERATION_NAME]: "invoke_workflow" };
  if (kind.kind === "prompt") return { [OPENINFERENCE_SPAN_KIND]: "PROMPT", ...promptTemplateVersion(start.metadata) };
  return { [OPENINFERENCE_SPAN_KIND]: "CHAIN" };
}

/** A recorded chain's input, and a prompt's template and variables (written once: a prompt's variables are its input). */
export function chainStartContent(start: ChainStart, maxContentLength: number): Attributes {
  const attributes: Attributes = {};
  const isPrompt = start.kind.kind === "prompt";
  const writesInput = !isInsideGraphStep(start.metadata);
  // Inside a graph step the input is the graph's whole state: not even serialised unless a prompt's variables need it.
  if (!isPrompt && !writesInput) return attributes;
  const input = chainValuePayload(start.inputs, maxContentLength);
  if (isPrompt) Object.assign(attributes, promptTemplateContent(start.serialized, start.inputs, input, maxContentLength));
  if (writesInput) putPayload(attributes, INPUT_VALUE, input, INPUT_MIME_TYPE);
  return attributes;
}

export function putChainInput(attributes: Attributes, inputs: unknown, maxContentLength: number): void {
  putPayload(attributes, INPUT_VALUE, chainValuePayload(inputs, maxContentLength), INPUT_MIME_TYPE);
}

export function chainEndAttributes(outputs: unknown, captureContent: boolean, maxContentLength: number): Attributes {
  const attributes: Attributes = {};
  if (captureContent) putPayload(attributes, OUTPUT_VALUE, chainValuePayload(outputs, maxContentLength), OUTPUT_MIME_TYPE);
  return attributes;
}

/**
 * LangChain wraps a chain's plain input or output as `{input: ...}` / `{output: ...}`: a single
 * string is written as that text, as OpenInference does; anything else as JSON.
 */
function chainValuePayload(value: unknown, maxContentLength: number): Payload {
  const only = singleString(value);
  return only !== undefined ? textPayload(only, maxContentLength) : toPayload(value, maxContentLength);
}

/** Only LangChain's own wrappers are looked into: listing the keys of any object would cost its size. */
const WRAPPER_KEYS = ["input", "output"] as const;

function singleString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  const record = asRecord(value);
  if (record === undefined) return undefined;
  for (const key of WRAPPER_KEYS) {
    const wrapped = record[key];
    if (typeof wrapped === "string") return Object.keys(record).length === 1 ? wrapped : undefined;
  }
  return undefined;
}
