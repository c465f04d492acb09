import type { Attributes } from "@opentelemetry/api";
import {
  GEN_AI_CONVERSATION_ID,
  LANGCHAIN_RUN_ID,
  LANGCHAIN_RUN_NAME,
  LANGCHAIN_RUN_PARENT_ID,
  LANGCHAIN_RUN_TYPE,
  LANGGRAPH_CHECKPOINT_NS,
  LANGGRAPH_NODE,
  LANGGRAPH_STEP,
  LANGGRAPH_TRIGGERS,
  METADATA,
  OPENINFERENCE_SPAN_KIND,
  SESSION_ID,
  TAG_TAGS,
  USER_ID,
} from "../attribute-names.js";
import { asRecord, asString, putValue } from "./content.js";
import type { OpenInferenceContext } from "./openinference-context.js";

export interface RunIdentity {
  runId: string;
  parentRunId: string | undefined;
  runType: string;
  runName: string | undefined;
  tags: string[] | undefined;
  metadata: Record<string, unknown> | undefined;
}

/**
 * Metadata keys that name the conversation, the explicit `session_id` first. LangGraph copies
 * `configurable.thread_id` into metadata; LangChain hands other runs' `configurable` only to
 * LangSmith's tracer, so a plain chain's session comes from metadata or the OpenTelemetry context.
 */
const CONVERSATION_KEYS = ["session_id", "sessionId", "conversation_id", "thread_id"] as const;

/**
 * Adds what every span gets at its start, for the sampler too: who the run is, its tags, session,
 * user and LangGraph position, merged over what the caller set with OpenInference's context API
 * (`setSession`, `setUser`, `setMetadata`, `setTags`, ...). The metadata JSON is `putRunMetadata`'s.
 */
export function putRunAttributes(attributes: Attributes, run: RunIdentity, spanName: string, fromContext?: OpenInferenceContext, parentRunTraced = false): void {
  if (fromContext !== undefined) Object.assign(attributes, fromContext.attributes);
  attributes[LANGCHAIN_RUN_ID] = run.runId;
  // Written where the span kind does not already say it (a parser's `parser`, a custom type).
  if (runTypeOfSpanKind(attributes[OPENINFERENCE_SPAN_KIND]) !== run.runType) attributes[LANGCHAIN_RUN_TYPE] = run.runType;
  // Under its parent run's span the parent is the span's parent: the id is written only where it is not.
  if (run.parentRunId !== undefined && !parentRunTraced) attributes[LANGCHAIN_RUN_PARENT_ID] = run.parentRunId;
  // A chain's span is named after its run: the name is written again only where the span's differs.
  if (run.runName !== undefined && run.runName !== spanName) attributes[LANGCHAIN_RUN_NAME] = run.runName;
  const tags = runTags(run.tags, fromContext?.tags);
  if (tags !== undefined) attributes[TAG_TAGS] = tags;
  const metadata = mergedMetadata(run, fromContext);
  if (metadata !== undefined) {
    putLangGraphAttributes(attributes, metadata);
    for (const key of CONVERSATION_KEYS) {
      const conversationId = scalarString(metadata[key]);
      if (conversationId !== undefined) {
        attributes[GEN_AI_CONVERSATION_ID] = conversationId;
        attributes[SESSION_ID] = conversationId;
        break;
      }
    }
    const userId = scalarString(metadata["user_id"]);
    if (userId !== undefined) attributes[USER_ID] = userId;
  }
  // A session set only through the context names the conversation too.
  const sessionId = attributes[SESSION_ID];
  if (typeof sessionId === "string" && attributes[GEN_AI_CONVERSATION_ID] === undefined) attributes[GEN_AI_CONVERSATION_ID] = sessionId;
}

/** The run's string tags after the context's, each once; a copy (LangChain's array stays its own), undefined for none. */
function runTags(ownTags: unknown, contextTags: string[] | undefined): string[] | undefined {
  const own = Array.isArray(ownTags) ? ownTags.filter((tag): tag is string => typeof tag === "string") : [];
  const tags = contextTags === undefined ? own : [...new Set([...contextTags, ...own])];
  return tags.length > 0 ? tags : undefined;
}

/** The LangChain run type an OpenInference span kind stands for: `langchain.run.type` is left out where it is this one. */
const RUN_TYPE_BY_SPAN_KIND: ReadonlyMap<unknown, string> = new Map([
  ["LLM", "llm"],
  ["CHAIN", "chain"],
  ["AGENT", "chain"],
  ["TOOL", "tool"],
  ["RETRIEVER", "retriever"],
  ["PROMPT", "prompt"],
]);

export function runTypeOfSpanKind(spanKind: unknown): string | undefined {
  return RUN_TYPE_BY_SPAN_KIND.get(spanKind);
}

/**
 * The run's own metadata as JSON (`metadata`), LangGraph's bookkeeping left out. Written only on a
 * recorded span: serialising it is most of a start's cost, and no sampler needs it.
 */
export function putRunMetadata(attributes: Attributes, run: RunIdentity, maxContentLength: number, fromContext?: OpenInferenceContext): void {
  const metadata = mergedMetadata(run, fromContext);
  const userMetadata = metadata === undefined ? undefined : withoutFrameworkKeys(metadata);
  if (userMetadata !== undefined) putValue(attributes, METADATA, userMetadata, maxContentLength);
}

function mergedMetadata(run: RunIdentity, fromContext: OpenInferenceContext | undefined): Record<string, unknown> | undefined {
  return fromContext?.metadata === undefined ? asRecord(run.metadata) : { ...fromContext.metadata, ...asRecord(run.metadata) };
}

/**
 * LangGraph fills every run's metadata with its own bookkeeping (`langgraph_*`,
 * `checkpoint_ns`, `versions`): it becomes `langgraph.*` attributes instead. `ls_integration`
 * only tells LangSmith which integration made the run (`langgraph` on every graph run). The
 * other `ls_*` keys stay, as Phoenix users filter on them (`metadata['ls_model_name']`).
 */
const FRAMEWORK_KEY = /^(langgraph_|__)|^(checkpoint_ns|versions|ls_integration)$/;

function withoutFrameworkKeys(metadata: Record<string, unknown>): Record<string, unknown> | undefined {
  let userMetadata: Record<string, unknown> | undefined;
  for (const key of Object.keys(metadata)) {
    if (FRAMEWORK_KEY.test(key)) continue;
    (userMetadata ??= {})[key] = metadata[key];
  }
  return userMetadata;
}

/**
 * A run inside a LangGraph step (a node, or a chain the node runs): its input is the graph's
 * whole state, which the graph span's input and the earlier steps' outputs already hold.
 */
export function isInsideGraphStep(metadata: Record<string, unknown> | undefined): boolean {
  return typeof metadata?.["langgraph_node"] === "string";
}

/** LangGraph tags its plumbing (`__start__`, channel writes) `langsmith:hidden`: their payloads only repeat the graph's. */
export function isHiddenRun(tags: unknown): boolean {
  return Array.isArray(tags) && tags.includes("langsmith:hidden");
}

function putLangGraphAttributes(attributes: Attributes, metadata: Record<string, unknown>): void {
  const node = asString(metadata["langgraph_node"]);
  if (node === undefined) return;
  attributes[LANGGRAPH_NODE] = node;
  const step = metadata["langgraph_step"];
  if (typeof step === "number") attributes[LANGGRAPH_STEP] = step;
  const triggers = metadata["langgraph_triggers"];
  if (Array.isArray(triggers)) attributes[LANGGRAPH_TRIGGERS] = triggers.filter((t): t is string => typeof t === "string");
  const checkpointNs = asString(metadata["langgraph_checkpoint_ns"]);
  if (checkpointNs !== undefined) attributes[LANGGRAPH_CHECKPOINT_NS] = checkpointNs;
}

function scalarString(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return asString(value);
}
