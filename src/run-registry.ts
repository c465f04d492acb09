import type { Attributes, Context, Span } from "@opentelemetry/api";
import { indexRun, unindexRun } from "./run-context.js";

/** What the handler keeps about a run while its span is open. */
export interface OpenRun {
  span: Span;
  /** The parent's context with this run's span set: children start under it. */
  context: Context;
  parentRunId: string | undefined;
  /** LangChain's run type: "llm", "chain", "tool", "retriever", ... */
  runType: string;
  /** Runs started under this one that are still open. */
  children: Set<string> | undefined;
  /** Whether this run's payloads are recorded (off for LangGraph's hidden plumbing runs and spans a sampler dropped). */
  captureContent: boolean;
  /** `performance.now()` at start: for the time to first chunk. Stamped by the registry. */
  startedAt: number;
  /**
   * The root run of this run's tree (itself for a root). A tree lives or goes as a whole: in a
   * streamed sequence, the steps downstream of the model wait, idle but alive, while it streams.
   */
  root: OpenRun;
  /** On a root: `performance.now()` of the tree's last sign of life (a start, end, token or event in it). */
  lastActivityAt: number;
  firstChunkAt: number | undefined;
  streamEvents: number;
  /**
   * Children that failed while this run was open. Their spans end when this run's outcome is
   * known: if this run turns out cancelled (LangGraph reports an abort on the graph only after
   * the node failed with the abort's reason), they were cancelled too.
   */
  failedChildren: FailedChild[] | undefined;
  /** The GenAI metrics' attributes of this run (`metrics.ts`); undefined for runs no metric covers. */
  metricAttributes: Attributes | undefined;
}

export interface FailedChild {
  span: Span;
  /** `performance.now()` when it failed: its span ends then, whenever it is released. */
  failedAt: number;
  /** Why it failed: the abort's reason when it turns out cancelled. */
  reason: string;
}

export type NewRun = Omit<OpenRun, "startedAt" | "lastActivityAt" | "root" | "children" | "failedChildren">;

/** `cancelled`: the parent was aborted through its AbortSignal while this run was in flight. */
export type UnfinishedReason = "ttl_expired" | "parent_ended" | "cancelled" | "shutdown";

/**
 * The one owner of open runs. A run enters at start and leaves at end; a tree of runs that shows
 * no sign of life for `ttlMs` (an abandoned stream, say) leaves through `onExpired`, so memory
 * stays bounded, while a live tree (a long agent loop) is never cut.
 * Open runs are also in the process-wide index of `run-context.ts`, for the context manager.
 */
export class RunRegistry {
  private readonly runs = new Map<string, OpenRun>();
  private sweepTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly ttlMs: number,
    /** `detail`: why, in words, when the parent says (a cancellation's reason). */
    private readonly onExpired: (runId: string, run: OpenRun, reason: UnfinishedReason, detail: string | undefined) => void,
  ) {}

  get size(): number {
    return this.runs.size;
  }

  get(runId: string | undefined): OpenRun | undefined {
    return runId === undefined ? undefined : this.runs.get(runId);
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  add(runId: string, newRun: NewRun): OpenRun {
    const now = performance.now();
    const parent = this.get(newRun.parentRunId);
    // Field by field: `{ ...newRun, more }` leaves V8's fast object-clone path (about 1 µs per
    // extra field on Node 20, the largest single cost per run in the benchmark's profile).
    const run: OpenRun = {
      span: newRun.span,
      context: newRun.context,
      parentRunId: newRun.parentRunId,
      runType: newRun.runType,
      children: undefined,
      captureContent: newRun.captureContent,
      startedAt: now,
      root: undefined as unknown as OpenRun,
      lastActivityAt: now,
      firstChunkAt: newRun.firstChunkAt,
      streamEvents: newRun.streamEvents,
      metricAttributes: newRun.metricAttributes,
      failedChildren: undefined,
    };
    run.root = parent?.root ?? run;
    run.root.lastActivityAt = now;
    this.runs.set(runId, run);
    indexRun(runId, run);
    if (parent !== undefined) (parent.children ??= new Set()).add(runId);
    this.startSweeping();
    return run;
  }

  /** A sign of life (a token, an event): the tree's TTL counts from now. Returns the run, if open. */
  touch(runId: string): OpenRun | undefined {
    const run = this.runs.get(runId);
    if (run !== undefined) run.root.lastActivityAt = performance.now();
    return run;
  }

  /**
   * Removes a run that ended and returns it; its still-open descendants are handed to
   * `onExpired` with `reasonForChildren`. The parent counts the end as a sign of life.
   */
  removeAndEndChildren(runId: string, reasonForChildren: UnfinishedReason = "parent_ended", detail?: string): OpenRun | undefined {
    const run = this.detach(runId, reasonForChildren, detail);
    if (run !== undefined) run.root.lastActivityAt = performance.now();
    return run;
  }

  /** Ends every open run, e.g. at shutdown. */
  expireAll(reason: UnfinishedReason): void {
    for (const runId of [...this.runs.keys()]) this.expire(runId, reason);
    this.stopSweeping();
  }

  /**
   * Ends the trees idle for the TTL, leaves first; `now` is a `performance.now()` reading. Each
   * of their runs ends at the tree's last sign of life (`run.root.lastActivityAt`).
   */
  sweep(now: number): void {
    for (const [runId, run] of [...this.runs]) {
      if (run.root === run && now - run.lastActivityAt >= this.ttlMs) this.expire(runId, "ttl_expired");
    }
    if (this.runs.size === 0) this.stopSweeping();
  }

  private detach(runId: string, reasonForChildren: UnfinishedReason, detail?: string): OpenRun | undefined {
    const run = this.runs.get(runId);
    if (run === undefined) return undefined;
    this.runs.delete(runId);
    unindexRun(runId, run);
    this.get(run.parentRunId)?.children?.delete(runId);
    if (run.children !== undefined) {
      for (const childId of run.children) this.expire(childId, reasonForChildren, detail);
    }
    return run;
  }

  private expire(runId: string, reason: UnfinishedReason, detail?: string): void {
    const run = this.detach(runId, reason, detail);
    if (run !== undefined) this.onExpired(runId, run, reason, detail);
  }

  /** One unref'd timer while runs are open: it never keeps the process alive. */
  private startSweeping(): void {
    if (this.sweepTimer !== undefined) return;
    const interval = Math.max(10, Math.min(this.ttlMs / 2, 60_000));
    this.sweepTimer = setInterval(() => this.sweep(performance.now()), interval);
    this.sweepTimer.unref?.();
  }

  private stopSweeping(): void {
    if (this.sweepTimer === undefined) return;
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}
