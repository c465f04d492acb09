/**
 * Which LangChain run the running code belongs to, and that run's OpenTelemetry context.
 *
 * Every handler's `RunRegistry` puts its open runs in one process-wide index (on `globalThis`,
 * so the ESM and CJS builds loaded side by side share it). The context manager
 * (`context-manager.ts`) and the public `getRunContext` / `getRunSpan` read it.
 */
import { context, createContextKey, trace, type Context, type Span } from "@opentelemetry/api";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";

/** What the index needs of an open run (the registry's `OpenRun` has all of it). */
export interface IndexedRun {
  /** The parent's context with this run's span (and `RUN_ID_KEY`) set. */
  readonly context: Context;
  readonly parentRunId: string | undefined;
  /** IDs of this run's children that are still open. */
  readonly children: ReadonlySet<string> | undefined;
  readonly runType: string;
}

/** Marks a context as derived from a run's context: whatever is set on top of it stays inside that run. */
export const RUN_ID_KEY = createContextKey("langchain-otel run id");

/** Shared by every copy of this module in the process (the ESM and CJS builds side by side). */
interface RunContextState {
  readonly openRuns: Map<string, IndexedRun>;
  /** Open root runs by the exact context they started in (only contexts with a span). */
  readonly rootsByStartContext: Map<Context, Set<string>>;
  readonly startContextOfRoot: Map<string, Context>;
  /** Set while the handler reads the caller's own context: the bridge then adds nothing. */
  readingCallerContext: boolean;
  /** The root run being started and its context, until the registry indexes it. */
  startingRoot: { runId: string; context: Context } | undefined;
}

const STATE_KEY = Symbol.for("langchain-otel.run-context");
const globals = globalThis as { [STATE_KEY]?: RunContextState };
const state: RunContextState = (globals[STATE_KEY] ??= {
  openRuns: new Map(),
  rootsByStartContext: new Map(),
  startContextOfRoot: new Map(),
  readingCallerContext: false,
  startingRoot: undefined,
});
const { openRuns, rootsByStartContext, startContextOfRoot } = state;

/** The caller's own context: what the registered manager holds, whatever the bridge would make of it. */
export function callerContext(): Context {
  state.readingCallerContext = true;
  try {
    return context.active();
  } finally {
    state.readingCallerContext = false;
  }
}

/** The context children of a run start under: its parent's, with its span and ID set. */
export function runContext(parentContext: Context, span: Span, runId: string): Context {
  // A parent run's own layer says nothing its child's does not override.
  return new RunLayer(parentContext instanceof RunLayer ? parentContext.below : parentContext, span, runId);
}

/** The API's own key for the active span (`createContextKey` is `Symbol.for`). */
const SPAN_KEY = createContextKey("OpenTelemetry Context Key SPAN");

/**
 * A run's context: the context below it with the run's span and ID on top, in one small object.
 * The API's contexts copy every key, and make three closures, on each `setValue`: a run needs
 * two, on every start. What the app sets on top of it (its own span, baggage) goes in an `Overlay`.
 */
class RunLayer implements Context {
  constructor(
    readonly below: Context,
    private readonly span: Span,
    private readonly runId: string,
  ) {}

  getValue(key: symbol): unknown {
    if (key === SPAN_KEY) return this.span;
    if (key === RUN_ID_KEY) return this.runId;
    return this.below.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new Overlay(this, new Map([[key, value]]));
  }

  deleteValue(key: symbol): Context {
    return this.setValue(key, undefined);
  }
}

/** Values set on top of a run's context, copied on each change as the API's contexts are: never deeper than one layer. */
class Overlay implements Context {
  constructor(
    private readonly below: RunLayer,
    private readonly values: ReadonlyMap<symbol, unknown>,
  ) {}

  getValue(key: symbol): unknown {
    return this.values.has(key) ? this.values.get(key) : this.below.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return new Overlay(this.below, new Map(this.values).set(key, value));
  }

  deleteValue(key: symbol): Context {
    return this.setValue(key, undefined);
  }
}

/**
 * Where a run's span starts: under the span the user made active inside the parent run's body
 * when there is one (the active context then still carries the parent's ID), else under the
 * parent run; a root, or a run whose parent we never saw (handler set on a child's
 * constructor), under the caller's span. A root's starting context is noted: code that runs in
 * that very context and in no run body (a model's provider call in a chain invoked from plain
 * code, a stream's generator) belongs to the root's tree. `active`: the caller's context (`callerContext`).
 */
export function parentContextOf(active: Context, runId: string, parentRunId: string | undefined, parentRunContext: Context | undefined): Context {
  if (parentRunContext !== undefined) return active.getValue(RUN_ID_KEY) === parentRunId ? active : parentRunContext;
  // Only under a span: runs started in a span-less context begin traces of their own, and other
  // requests may share that context.
  state.startingRoot = parentRunId === undefined && trace.getSpan(active) !== undefined ? { runId, context: active } : undefined;
  return active;
}

/** Two handlers may see the same run: the first one's span stands, as it does for a duplicated start. */
export function indexRun(runId: string, run: IndexedRun): void {
  const starting = state.startingRoot;
  state.startingRoot = undefined;
  if (openRuns.has(runId)) return;
  openRuns.set(runId, run);
  if (starting?.runId !== runId) return;
  startContextOfRoot.set(runId, starting.context);
  const roots = rootsByStartContext.get(starting.context);
  if (roots === undefined) rootsByStartContext.set(starting.context, new Set([runId]));
  else roots.add(runId);
}

export function unindexRun(runId: string, run: IndexedRun): void {
  if (openRuns.get(runId) !== run) return;
  openRuns.delete(runId);
  const startContext = startContextOfRoot.get(runId);
  if (startContext === undefined) return;
  startContextOfRoot.delete(runId);
  const roots = rootsByStartContext.get(startContext);
  roots?.delete(runId);
  if (roots?.size === 0) rootsByStartContext.delete(startContext);
}

/**
 * Runs whose body LangChain does not wrap in its own async context: a chat model's `_generate`
 * and a retriever's `_getRelevantDocuments` see their *parent's* config.
 */
const BODY_SEES_PARENT: ReadonlySet<string> = new Set(["llm", "retriever"]);

/**
 * The run whose body the current code runs in (`baseContext`: the base manager's context).
 * - In a run body: from the run config LangChain keeps in its AsyncLocalStorage (`callbacks`
 *   there is the child manager of the run that set it). When that run has exactly one open child
 *   and it is a model or retriever with no open child of its own, the code is that child's body
 *   (or the parent's own code running alongside it: see README).
 * - In no run body: when exactly one open root run started in this very context, and its open
 *   runs form a single path down to a model or retriever, the code is that run's body (a chain
 *   invoked from plain code, a stream's generator). Otherwise none.
 */
export function currentRunId(baseContext: Context): string | undefined {
  if (openRuns.size === 0 || state.readingCallerContext) return undefined; // nothing open, or the handler reads the caller's own context
  const runId = configRunId(AsyncLocalStorageProviderSingleton.getRunnableConfig());
  if (runId !== undefined) {
    const run = openRuns.get(runId);
    if (run === undefined) return undefined;
    const only = onlyChild(run);
    return only !== undefined && isLeafBody(only.run) ? only.runId : runId;
  }
  const roots = rootsByStartContext.get(baseContext);
  if (roots?.size !== 1) return undefined;
  let [id] = roots;
  let run = id === undefined ? undefined : openRuns.get(id);
  for (let only = run && onlyChild(run); only !== undefined; only = onlyChild(only.run)) ({ runId: id, run } = only);
  return run !== undefined && isLeafBody(run) ? id : undefined;
}

/** A model or retriever run with no open child: its body runs with its caller's config. */
function isLeafBody(run: IndexedRun): boolean {
  return BODY_SEES_PARENT.has(run.runType) && (run.children?.size ?? 0) === 0;
}

export function openRunContext(runId: string): Context | undefined {
  return openRuns.get(runId)?.context;
}

/** Whether `runId` is `ancestorId` or one of its open descendants. */
export function isWithinRun(runId: string, ancestorId: string): boolean {
  for (let id: string | undefined = runId; id !== undefined; id = openRuns.get(id)?.parentRunId) {
    if (id === ancestorId) return true;
  }
  return false;
}

/** A tool's or lambda's `RunnableConfig` (its `callbacks` is the run's child manager), or a run ID. */
export type RunReference = string | { callbacks?: unknown } | undefined;

/**
 * The OpenTelemetry context of an open run: its span is active in it. Pass a run ID, or the
 * `RunnableConfig` a tool or `RunnableLambda` receives (then it is that tool's or lambda's run).
 * Undefined once the run has ended, or when no `OpenTelemetryCallbackHandler` saw it.
 */
export function getRunContext(run: RunReference): Context | undefined {
  const runId = typeof run === "string" ? run : configRunId(run);
  return runId === undefined ? undefined : openRunContext(runId);
}

/** The span of an open run (see `getRunContext`), e.g. to link to it or add an event. */
export function getRunSpan(run: RunReference): Span | undefined {
  const runContext = getRunContext(run);
  return runContext === undefined ? undefined : trace.getSpan(runContext);
}

function configRunId(config: { callbacks?: unknown } | undefined): string | undefined {
  const callbacks = config?.callbacks as { getParentRunId?: () => string | undefined } | undefined;
  if (typeof callbacks?.getParentRunId !== "function") return undefined;
  try {
    return callbacks.getParentRunId();
  } catch {
    return undefined;
  }
}

function onlyChild(run: IndexedRun): { runId: string; run: IndexedRun } | undefined {
  if (run.children?.size !== 1) return undefined;
  const [runId] = run.children;
  const child = runId === undefined ? undefined : openRuns.get(runId);
  return child === undefined || runId === undefined ? undefined : { runId, run: child };
}
