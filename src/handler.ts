import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import {
  context,
  diag,
  INVALID_SPANID,
  INVALID_TRACEID,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import {
  ERROR_TYPE,
  ERROR_TYPE_CANCELLED,
  EVENT_AGENT_ACTION,
  EVENT_AGENT_FINISH,
  EVENT_CONTENT,
  EVENT_TEXT,
  GEN_AI_REQUEST_STREAM,
  GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  GEN_AI_TOOL_NAME,
  LANGCHAIN_RUN_ID,
  LANGCHAIN_RUN_UNFINISHED,
  LANGCHAIN_TOOL_STREAM_EVENTS,
  OPENINFERENCE_SPAN_KIND,
} from "./attribute-names.js";
import { chainEndAttributes, chainKind, chainSpanName, chainStartAttributes, chainStartContent, isGraph, putChainInput, type ChainStart } from "./attributes/chain.js";
import { failureRecord, isCancellation, statusMessage } from "./attributes/error.js";
import { keepConventions } from "./attributes/conventions.js";
import { boundAttributes, identityText } from "./attributes/limits.js";
import { modelEndAttributes, modelName, modelSpanName, modelStartAttributes, modelStartContent, offeredToolDescriptions, type ModelOperation, type ModelStart } from "./attributes/model.js";
import { retrieverEndAttributes, retrieverStartAttributes, retrieverStartContent, type RetrieverStart } from "./attributes/retriever.js";
import { lastIdSegment } from "./attributes/content.js";
import { openInferenceContext } from "./attributes/openinference-context.js";
import { isHiddenRun, putRunAttributes, putRunMetadata, type RunIdentity } from "./attributes/run.js";
import { toolEndAttributes, toolName, toolStartAttributes, toolStartContent, type ToolStart } from "./attributes/tool.js";
import { GenAiMetrics } from "./metrics.js";
import { resolveOptions, type OpenTelemetryCallbackHandlerOptions, type ResolvedOptions } from "./options.js";
import { describeError, toPayload } from "./payload.js";
import { callerContext, parentContextOf, runContext } from "./run-context.js";
import { RunRegistry, type FailedChild, type OpenRun, type UnfinishedReason } from "./run-registry.js";
import { withTimeout } from "./timeout.js";
import { CallerSpans } from "./caller-span.js";
import { GraphAgents } from "./graph-agents.js";
import { ToolCatalog } from "./tool-catalog.js";
import { LIBRARY_NAME, LIBRARY_VERSION } from "./version.js";

type Serialized = Parameters<NonNullable<BaseCallbackHandler["handleChainStart"]>>[0];

/**
 * How a kind of run becomes attributes at its start: its structure, which the sampler sees, and,
 * for a span that is recorded, its content. `onSpan`: the attributes the span started with.
 */
interface StartBuilders<T> {
  structure(start: T): Attributes;
  content(start: T, maxContentLength: number, onSpan: Attributes): Attributes;
}

const CHAIN_START: StartBuilders<ChainStart> = { structure: chainStartAttributes, content: chainStartContent };
const MODEL_START: StartBuilders<ModelStart> = { structure: modelStartAttributes, content: modelStartContent };
const TOOL_START: StartBuilders<ToolStart> = { structure: toolStartAttributes, content: toolStartContent };
const RETRIEVER_START: StartBuilders<RetrieverStart> = { structure: retrieverStartAttributes, content: retrieverStartContent };
/** A start whose own builders failed: the span keeps the run's identity only. */
const NO_START_ATTRIBUTES: StartBuilders<undefined> = { structure: () => ({}), content: () => ({}) };

/** Far deeper than any real run tree (a LangGraph agent nests about five levels). */
const MAX_ANCESTOR_WALK = 256;

/**
 * Turns every LangChain run it sees into an OpenTelemetry span, keyed by run ID: the run tree
 * becomes the trace tree. Only the run lifecycle lives here; what goes on a span comes from
 * the pure functions in `attributes/`, and open runs live in the `RunRegistry`.
 */
export class OpenTelemetryCallbackHandler extends BaseCallbackHandler {
  name = "OpenTelemetryCallbackHandler";

  private readonly options: ResolvedOptions;
  private readonly tracer: Tracer;
  private readonly runs: RunRegistry;
  private readonly metrics: GenAiMetrics;
  private readonly toolCatalog = new ToolCatalog();
  private readonly graphAgents = new GraphAgents();
  /** Only with the `annotateCallerSpan` option. */
  private readonly callerSpans: CallerSpans | undefined;

  constructor(options?: OpenTelemetryCallbackHandlerOptions) {
    const resolved = resolveOptions(options);
    // Awaited, LangChain calls us inline: in the caller's async context (so a root run finds the
    // caller's active span) and at the run's real start and end (its background queue makes both
    // late under load). We do no I/O here, so awaiting us costs the chain nothing but our own work.
    super({ _awaitHandler: true });
    this.options = resolved;
    this.callerSpans = resolved.annotateCallerSpan ? new CallerSpans() : undefined;
    this.tracer = (resolved.tracerProvider ?? trace.getTracerProvider()).getTracer(LIBRARY_NAME, LIBRARY_VERSION);
    this.metrics = new GenAiMetrics(resolved.meterProvider);
    this.runs = new RunRegistry(resolved.runTtlMs, (runId, run, reason, detail) => this.endUnfinished(runId, run, reason, detail));
  }

  /** The handler's state is its open runs: every copy LangChain asks for must share them. */
  override copy(): this {
    return this;
  }

  /** Number of runs whose span is still open. */
  get openRunCount(): number {
    return this.runs.size;
  }

  // ---- starts ------------------------------------------------------------------------------

  override handleChatModelStart(
    llm: Serialized,
    messages: unknown[][],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.startModelRun("chat", llm, messages, runId, parentRunId, extraParams, tags, metadata, runName);
  }

  override handleLLMStart(
    llm: Serialized,
    prompts: string[],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.startModelRun("text_completion", llm, prompts, runId, parentRunId, extraParams, tags, metadata, runName);
  }

  /**
   * Declared in LangChain's types as (chain, inputs, runId, runType, tags, metadata, runName,
   * parentRunId), but the CallbackManager calls it in this order: trust the caller, not the type.
   */
  override handleChainStart(
    chain: Serialized,
    inputs: unknown,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runType?: string,
    runName?: string,
  ): void {
    this.safelyStart("handleChainStart", runId, parentRunId, runType ?? "chain", () => {
      const name = runName ?? lastIdSegment(chain) ?? "chain";
      const identity: RunIdentity = { runId, parentRunId, runType: runType ?? "chain", runName: name, tags, metadata };
      const kind = chainKind(chain, identity.runType, name, metadata);
      this.startRun(identity, chainSpanName(name, kind), SpanKind.INTERNAL, CHAIN_START, { kind, serialized: chain, inputs, metadata });
      const span = isGraph(chain) ? this.runs.get(runId)?.span : undefined;
      if (span !== undefined) this.graphAgents.graphStarted(span, name, kind.kind === "agent");
    });
  }

  override handleToolStart(
    tool: Serialized,
    input: string,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
    toolCallId?: string,
  ): void {
    this.safelyStart("handleToolStart", runId, parentRunId, "tool", () => {
      const name = toolName(tool, runName);
      const offeredDescription = this.toolCatalog.description(this.traceIdOf(parentRunId), name);
      const start = { serialized: tool, name, input, toolCallId, offeredDescription };
      const identity: RunIdentity = { runId, parentRunId, runType: "tool", runName: start.name, tags, metadata };
      this.startRun(identity, `execute_tool ${start.name}`, SpanKind.INTERNAL, TOOL_START, start);
    });
  }

  override handleRetrieverStart(
    retriever: Serialized,
    query: string,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    name?: string,
  ): void {
    this.safelyStart("handleRetrieverStart", runId, parentRunId, "retriever", () => {
      const retrieverName = name ?? lastIdSegment(retriever) ?? "retriever";
      const identity: RunIdentity = { runId, parentRunId, runType: "retriever", runName: retrieverName, tags, metadata };
      this.startRun(identity, `retrieval ${retrieverName}`, SpanKind.CLIENT, RETRIEVER_START, { name: retrieverName, query });
    });
  }

  // ---- progress ----------------------------------------------------------------------------

  /** Tokens are not events (one per token would swamp the span): only the first one's time is kept. */
  override handleLLMNewToken(_token: string, _idx: unknown, runId: string): void {
    this.safely("handleLLMNewToken", () => this.markFirstChunk(runId));
  }

  override handleChatModelStreamEvent(event: unknown, runId: string): void {
    this.safely("handleChatModelStreamEvent", () => {
      if ((event as { event?: unknown } | null)?.event === "content-block-delta") this.markFirstChunk(runId);
    });
  }

  override handleToolEvent(_chunk: unknown, runId: string): void {
    this.safely("handleToolEvent", () => {
      const run = this.runs.touch(runId);
      if (run !== undefined) run.streamEvents++;
    });
  }

  override handleText(text: string, runId: string): void {
    this.safely("handleText", () => this.addEvent(runId, EVENT_TEXT, {}, text));
  }

  override handleAgentAction(action: { tool?: unknown; toolInput?: unknown }, runId: string): void {
    this.safely("handleAgentAction", () => {
      const attributes: Attributes = typeof action?.tool === "string" ? { [GEN_AI_TOOL_NAME]: action.tool } : {};
      this.addEvent(runId, EVENT_AGENT_ACTION, attributes, action?.toolInput);
    });
  }

  override handleAgentEnd(finish: { returnValues?: unknown }, runId: string): void {
    this.safely("handleAgentEnd", () => this.addEvent(runId, EVENT_AGENT_FINISH, {}, finish?.returnValues));
  }

  /** `dispatchCustomEvent(name, data)`: an event named by the user on the run that dispatched it. */
  override handleCustomEvent(eventName: string, data: unknown, runId: string): void {
    this.safely("handleCustomEvent", () => this.addEvent(runId, identityText(String(eventName)), {}, data));
  }

  // ---- ends --------------------------------------------------------------------------------

  override handleLLMEnd(output: unknown, runId: string): void {
    this.safely("handleLLMEnd", () => {
      this.endRun(runId, (capture, run) => modelEndAttributes(output, capture, this.options.maxContentLength, run.root === run));
    });
  }

  override handleChainEnd(outputs: unknown, runId: string, _parentRunId?: string, _tags?: string[], kwargs?: { inputs?: unknown }): void {
    this.safely("handleChainEnd", () => {
      this.endRun(runId, (capture) => {
        const attributes = chainEndAttributes(outputs, capture, this.options.maxContentLength);
        if (capture) putLateInputs(attributes, kwargs, this.options.maxContentLength);
        return attributes;
      });
    });
  }

  override handleToolEnd(output: unknown, runId: string): void {
    this.safely("handleToolEnd", () => {
      this.endRun(runId, (capture) => toolEndAttributes(output, capture, this.options.maxContentLength));
    });
  }

  override handleRetrieverEnd(documents: unknown, runId: string): void {
    this.safely("handleRetrieverEnd", () => {
      this.endRun(runId, (capture) => retrieverEndAttributes(documents, capture, this.options.maxContentLength));
    });
  }

  override handleLLMError(error: unknown, runId: string): void {
    this.safely("handleLLMError", () => this.failRun(runId, error));
  }

  override handleChainError(error: unknown, runId: string, _parentRunId?: string, _tags?: string[], kwargs?: { inputs?: unknown }): void {
    this.safely("handleChainError", () => this.failRun(runId, error, kwargs));
  }

  override handleToolError(error: unknown, runId: string): void {
    this.safely("handleToolError", () => this.failRun(runId, error));
  }

  override handleRetrieverError(error: unknown, runId: string): void {
    this.safely("handleRetrieverError", () => this.failRun(runId, error));
  }

  // ---- flushing ----------------------------------------------------------------------------

  /**
   * Exports what has ended. Serverless hosts call this (or `shutdown`) before they freeze.
   * Waits at most `flushTimeoutMs` for the provider; never rejects. Resolves true when the
   * provider finished in time.
   */
  async forceFlush(): Promise<boolean> {
    const provider = unwrapProvider(this.options.tracerProvider ?? trace.getTracerProvider());
    const flush = (provider as { forceFlush?: () => Promise<void> }).forceFlush;
    if (typeof flush !== "function") return true;
    const outcome = await withTimeout(() => flush.call(provider), this.options.flushTimeoutMs);
    if (outcome === "done") return true;
    const why = outcome === "timeout" ? `did not finish within ${this.options.flushTimeoutMs} ms` : `failed: ${describeError(outcome)}`;
    diag.warn(`langchain-otel: forceFlush ${why}; spans not exported by then may be lost.`);
    return false;
  }

  /** Ends every open run's span (marked `langchain.run.unfinished=shutdown`) and flushes. The provider stays the caller's to shut down. */
  async shutdown(): Promise<boolean> {
    this.safely("shutdown", () => this.runs.expireAll("shutdown"));
    return this.forceFlush();
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  private startModelRun(
    operation: ModelOperation,
    llm: Serialized,
    /** Chat: one message list per prompt (LangChain sends one); text completion: the prompts. */
    inputs: unknown[],
    runId: string,
    parentRunId: string | undefined,
    extraParams: Record<string, unknown> | undefined,
    tags: string[] | undefined,
    metadata: Record<string, unknown> | undefined,
    runName: string | undefined,
  ): void {
    this.safelyStart(operation === "chat" ? "handleChatModelStart" : "handleLLMStart", runId, parentRunId, "llm", () => {
      const input = operation === "chat" ? inputs[0] : inputs;
      const model = modelName(extraParams, metadata);
      const isRoot = this.runs.get(parentRunId) === undefined;
      const start = { operation, serialized: llm, input: Array.isArray(input) ? input : [], extraParams, metadata, model, isRoot };
      // A model called by a chain no callback manager traces (handler on the model's constructor)
      // gets that chain's runName from LangChain (core's patchConfig keeps it): without a parent
      // run, name the model itself.
      const ownRunName = parentRunId === undefined ? undefined : runName;
      const identity: RunIdentity = { runId, parentRunId, runType: "llm", runName: ownRunName ?? lastIdSegment(llm), tags, metadata };
      this.startRun(identity, modelSpanName(operation, model), SpanKind.CLIENT, MODEL_START, start);
      // The tools offered are for the spans of the tools called next and for naming the agent: only recorded spans need them.
      if (this.runs.get(runId)?.span.isRecording() !== true) return;
      const offered = offeredToolDescriptions(extraParams, this.options.maxContentLength);
      if (offered !== undefined) {
        this.toolCatalog.remember(this.traceIdOf(runId), offered);
        const agent = this.graphAgents.modelOfferedTools(this.spansUpFrom(parentRunId));
        if (agent !== undefined) this.callerSpans?.update(agent, { [OPENINFERENCE_SPAN_KIND]: "AGENT" });
      }
    });
  }

  /**
   * The builders run only for a run not already open, the content one only for a recorded span.
   * A builder that fails costs its own attributes, never the span: the run's identity still
   * makes the span, so the tree survives.
   */
  private startRun<T>(identity: RunIdentity, spanName: string, kind: SpanKind, builders: StartBuilders<T>, start: T): void {
    if (this.runs.has(identity.runId)) return; // a duplicated start: the first span stands
    const parentRun = this.runs.get(identity.parentRunId);
    // Read once, for the parent and for what OpenInference's context API set: context.active()
    // is dearer inside runs with the bridge, which would only hand back a context derived from this one.
    const active = callerContext();
    const parentContext = parentContextOf(active, identity.runId, identity.parentRunId, parentRun?.context);
    const unsampledParent = unsampledSpanContext(parentContext);
    if (unsampledParent !== undefined) return this.startUnsampledRun(identity, parentContext, unsampledParent, builders, start);
    // The sampler sees the run's structure (identity, operation, model); content is built only
    // for a span that will be recorded.
    const fromContext = contained("OpenInference context", () => openInferenceContext(active));
    const attributes = contained("start attributes", () => builders.structure(start)) ?? {};
    contained("run attributes", () => putRunAttributes(attributes, identity, spanName, fromContext, parentRun !== undefined));
    attributes[LANGCHAIN_RUN_ID] = identity.runId;
    const span = this.tracer.startSpan(identityText(spanName), { kind, attributes: this.bounded(attributes) }, parentContext);
    const recording = span.isRecording();
    const captureContent = this.options.captureContent && !isHiddenRun(identity.tags) && recording;
    let content: Attributes | undefined;
    if (recording) {
      // What only a recorded span gets, in one write: the metadata JSON and the content.
      const recorded: Attributes = {};
      contained("run metadata", () => putRunMetadata(recorded, identity, this.options.maxContentLength, fromContext));
      if (captureContent) {
        content = contained("start content", () => keepConventions(builders.content(start, this.options.maxContentLength, attributes), this.options.contentConventions));
        if (content !== undefined) Object.assign(recorded, content);
      }
      span.setAttributes(this.bounded(recorded));
    }
    if (identity.parentRunId === undefined) this.callerSpans?.rootStarted(span, parentContext, { ...attributes, ...content });
    this.runs.add(identity.runId, {
      span,
      context: runContext(parentContext, span, identity.runId),
      parentRunId: identity.parentRunId,
      runType: identity.runType,
      captureContent,
      firstChunkAt: undefined,
      streamEvents: 0,
      metricAttributes: this.metrics.measures(identity.runType) ? this.metrics.startAttributes(attributes) : undefined,
    });
  }

  /**
   * A run under a span that is not sampled starts no span. The SDK's samplers would not sample
   * it either: ParentBased (the default) follows the parent's decision, TraceIdRatioBased decides
   * once per trace, AlwaysOff never samples. The run still gets a context of its own with the
   * unsampled span, so its children and the app's spans inside it stay in that trace, unsampled;
   * its metrics are recorded as any run's. (Under one of our runs that records nothing, a run
   * that needs no metrics never gets here: `joinedUnrecordedParent`.)
   */
  private startUnsampledRun<T>(identity: RunIdentity, parentContext: Context, parentSpanContext: SpanContext, builders: StartBuilders<T>, start: T): void {
    // A span of its own: ending this run must not end the caller's span, or a run's span that is
    // recorded but not sampled.
    const span = trace.wrapSpanContext(parentSpanContext);
    const measured = this.metrics.measures(identity.runType) && contained("start attributes", () => builders.structure(start));
    this.runs.add(identity.runId, {
      span,
      context: runContext(parentContext, span, identity.runId),
      parentRunId: identity.parentRunId,
      runType: identity.runType,
      captureContent: false,
      firstChunkAt: undefined,
      streamEvents: 0,
      metricAttributes: measured ? this.metrics.startAttributes(measured) : undefined,
    });
  }

  /**
   * A run under one of our runs that records nothing (not sampled, or no SDK) shares that run's
   * span (ending it does nothing) and context, and needs nothing else of its start: no names, no
   * attributes. Nothing in that trace is recorded, so a span the app made active inside the parent
   * run changes nothing either (`startUnsampledRun` has the rest). False when the run must be
   * described: a recorded or unknown parent, a duplicated start, or a run whose metrics are measured.
   */
  private joinedUnrecordedParent(runId: string, parentRunId: string | undefined, runType: string): boolean {
    const parentRun = this.runs.get(parentRunId);
    if (parentRun === undefined || parentRun.span.isRecording() || this.metrics.measures(runType) || this.runs.has(runId)) return false;
    if ((parentRun.span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) return false;
    this.runs.add(runId, {
      span: parentRun.span,
      context: parentRun.context,
      parentRunId,
      runType,
      captureContent: false,
      firstChunkAt: undefined,
      streamEvents: 0,
      metricAttributes: undefined,
    });
    return true;
  }

  /** `endAttributes` is only computed for a run we know, with that run's content setting. The span always ends. */
  private endRun(runId: string, endAttributes: (captureContent: boolean, run: OpenRun) => Attributes): void {
    const run = this.runs.removeAndEndChildren(runId);
    if (run === undefined) return; // unknown, already ended, or swept
    const recording = run.span.isRecording();
    // A span nobody records needs its end described only for the metrics (a model's usage).
    const described = recording || run.metricAttributes !== undefined;
    const attributes = (described && contained("end attributes", () => keepConventions(endAttributes(run.captureContent, run), this.options.contentConventions))) || {};
    try {
      if (!recording) return;
      if (run.streamEvents > 0) attributes[LANGCHAIN_TOOL_STREAM_EVENTS] = run.streamEvents;
      const bounded = this.bounded(attributes);
      this.callerSpans?.update(run.span, bounded);
      run.span.setAttributes(bounded);
    } finally {
      run.span.end();
      releaseFailedChildren(run, false);
      this.metrics.recordEnd(run, attributes);
    }
  }

  /**
   * A run is cancelled when its error says so (AbortError, TimeoutError, LangGraph's "Abort"),
   * or when it fails with an error none of its children reported while some are still in flight:
   * it was cut from outside (an abort with a custom reason), not by a failure from inside.
   */
  private failRun(runId: string, error: unknown, kwargs?: { inputs?: unknown }): void {
    const run = this.runs.get(runId);
    if (run === undefined) return;
    const cutInFlight = run.children !== undefined && run.children.size > 0 && !reportedErrors.has(error as object);
    const saysCancelled = isCancellation(error);
    const cancelled = saysCancelled || cutInFlight;
    const failure = failureRecord(error, cancelled, this.options.maxContentLength);
    // LangGraph's "Abort" on the graph says nothing of why: the child that saw the abort's reason does.
    const reason = saysCancelled ? (run.failedChildren?.at(-1)?.reason ?? failure.reason) : failure.reason;
    this.runs.removeAndEndChildren(runId, cancelled ? "cancelled" : "parent_ended", reason);
    if (typeof error === "object" && error !== null) reportedErrors.add(error);
    this.metrics.recordError(run, failure.type);
    try {
      const attributes: Attributes = { [ERROR_TYPE]: failure.type };
      if (run.captureContent) contained("late inputs", () => putLateInputs(attributes, kwargs, this.options.maxContentLength));
      run.span.setAttributes(this.bounded(attributes));
      run.span.recordException(failure.exception);
      run.span.setStatus({ code: SpanStatusCode.ERROR, message: statusMessage(reason, cancelled) });
    } finally {
      if (cancelled) releaseFailedChildren(run, true); // its failed children were cut by the same abort
      const parent = this.runs.get(run.parentRunId);
      if (parent !== undefined) {
        // Its outcome is final only once the parent's is known (see OpenRun.failedChildren).
        (parent.failedChildren ??= []).push({ span: run.span, failedAt: performance.now(), reason: failure.reason });
        for (const child of run.failedChildren ?? []) parent.failedChildren.push(child);
      } else {
        run.span.end();
        releaseFailedChildren(run, cancelled);
      }
    }
  }

  /** Ends a run that will not end by itself: its TTL passed, its parent ended first, or we are shutting down. */
  private endUnfinished(runId: string, run: OpenRun, reason: UnfinishedReason, detail: string | undefined): void {
    try {
      run.span.setAttribute(LANGCHAIN_RUN_UNFINISHED, reason);
      if (reason === "cancelled") {
        this.metrics.recordError(run, ERROR_TYPE_CANCELLED);
        run.span.setAttribute(ERROR_TYPE, ERROR_TYPE_CANCELLED);
        run.span.setStatus({ code: SpanStatusCode.ERROR, message: statusMessage(detail ?? "its parent run was cancelled", true) });
      }
    } catch (error) {
      diag.warn(`langchain-otel: could not mark unfinished run ${runId}: ${describeError(error)}`);
    } finally {
      // A swept run ends at its tree's last sign of life: an abandoned stream must not last the whole TTL.
      run.span.end(reason === "ttl_expired" ? run.root.lastActivityAt : undefined);
      releaseFailedChildren(run, reason === "cancelled");
    }
  }

  /** The spans of a run and its open ancestors, nearest first; bounded, as hand-fed parents can form a cycle. */
  private *spansUpFrom(runId: string | undefined): Iterable<Span> {
    let run = this.runs.get(runId);
    for (let step = 0; run !== undefined && step < MAX_ANCESTOR_WALK; step++, run = this.runs.get(run.parentRunId)) yield run.span;
  }

  /** The trace of a run we know, else of the caller's active span. */
  private traceIdOf(runId: string | undefined): string | undefined {
    return (this.runs.get(runId)?.span ?? trace.getSpan(context.active()))?.spanContext().traceId;
  }

  private markFirstChunk(runId: string): void {
    const run = this.runs.touch(runId);
    if (run === undefined || run.firstChunkAt !== undefined) return;
    run.firstChunkAt = performance.now();
    run.span.setAttribute(GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (run.firstChunkAt - run.startedAt) / 1000);
    // Chunks arrive only from a streamed call, whatever the model's invocation parameters say.
    run.span.setAttribute(GEN_AI_REQUEST_STREAM, true);
  }

  private addEvent(runId: string, name: string, attributes: Attributes, content: unknown): void {
    const run = this.runs.touch(runId);
    if (run === undefined) return;
    if (run.captureContent && content !== undefined) {
      attributes[EVENT_CONTENT] = toPayload(content, this.options.maxContentLength).text;
    }
    run.span.addEvent(name, this.bounded(attributes));
  }

  private bounded(attributes: Attributes): Attributes {
    return boundAttributes(attributes, this.options.maxContentLength);
  }

  /**
   * A start whose names or attributes cannot be worked out still opens a span with the run's
   * identity, so that its children keep their parent and the tree survives.
   */
  private safelyStart(callback: string, runId: string, parentRunId: string | undefined, runType: string, body: () => void): void {
    this.safely(callback, () => {
      try {
        if (this.joinedUnrecordedParent(runId, parentRunId, runType)) return;
        body();
      } catch (error) {
        if (typeof runId === "string" && !this.runs.has(runId)) {
          const identity: RunIdentity = { runId, parentRunId, runType, runName: undefined, tags: undefined, metadata: undefined };
          this.startRun(identity, runType, SpanKind.INTERNAL, NO_START_ATTRIBUTES, undefined);
        }
        throw error;
      }
    });
  }

  /** No callback may throw into the user's chain, whatever it is fed. */
  private safely(callback: string, body: () => void): void {
    try {
      body();
    } catch (error) {
      diag.warn(`langchain-otel: ${callback} failed and was skipped: ${describeError(error)}`);
    }
  }
}

/** Errors already recorded on a span: a parent failing with one of them is failing from inside. */
const reportedErrors = new WeakSet<object>();

/** Ends the spans of failed children held by `run` (see OpenRun.failedChildren) at the time they failed. */
function releaseFailedChildren(run: OpenRun, cancelled: boolean): void {
  const failed: FailedChild[] | undefined = run.failedChildren;
  if (failed === undefined) return;
  run.failedChildren = undefined;
  for (const child of failed) {
    try {
      if (cancelled) {
        child.span.setAttribute(ERROR_TYPE, ERROR_TYPE_CANCELLED);
        child.span.setStatus({ code: SpanStatusCode.ERROR, message: statusMessage(child.reason, true) });
      }
    } finally {
      child.span.end(child.failedAt);
    }
  }
}

/** Runs one attribute builder; a failure costs its attributes only (logged), never the span. */
function contained<T>(what: string, build: () => T): T | undefined {
  try {
    return build();
  } catch (error) {
    diag.warn(`langchain-otel: ${what} skipped: ${describeError(error)}`);
    return undefined;
  }
}

/** Streamed chains learn their input only at the end (their start sees an empty placeholder). */
function putLateInputs(attributes: Attributes, kwargs: { inputs?: unknown } | undefined, maxContentLength: number): void {
  if (kwargs?.inputs !== undefined) putChainInput(attributes, kwargs.inputs, maxContentLength);
}

/** The span context of the span a run would start under, when that span is not sampled. */
function unsampledSpanContext(parentContext: Context): SpanContext | undefined {
  const spanContext = trace.getSpanContext(parentContext);
  // Not `isSpanContextValid`: its two regular expressions would cost more than the rest of such a run.
  const valid = spanContext !== undefined && spanContext.traceId !== INVALID_TRACEID && spanContext.spanId !== INVALID_SPANID;
  return valid && (spanContext.traceFlags & TraceFlags.SAMPLED) === 0 ? spanContext : undefined;
}

/** The global provider is a proxy until an SDK registers; flushing must reach the real one. */
function unwrapProvider(provider: TracerProvider): TracerProvider {
  const delegate = (provider as { getDelegate?: () => TracerProvider }).getDelegate;
  return typeof delegate === "function" ? delegate.call(provider) : provider;
}
