import type { Context, Span } from "@opentelemetry/api";
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
  /** Whether this run's payloads are recorded (off for LangGraph's hidden plumbing runs). */
  captureContent: boolean;
  /** `performance.now()` at start: for the TTL and time to first chunk. */
  startedAt: number;
  firstChunkAt: number | undefined;
  streamEvents: number;
}

/** `cancelled`: the parent was aborted through its AbortSignal while this run was in flight. */
export type UnfinishedReason = "ttl_expired" | "parent_ended" | "cancelled" | "shutdown";

/**
 * The one owner of open runs. A run enters at start and leaves at end; a run that never ends
 * (an abandoned stream, say) leaves after `ttlMs`, through `onExpired`, so memory stays bounded.
 * Open runs are also in the process-wide index of `run-context.ts`, for the context manager.
 */
export class RunRegistry {
  /** Insertion order is start order, so the oldest runs are first: the sweep stops at the first young one. */
  private readonly runs = new Map<string, OpenRun>();
  private sweepTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly onExpired: (runId: string, run: OpenRun, reason: UnfinishedReason) => void,
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

  add(runId: string, run: OpenRun): void {
    this.runs.set(runId, run);
    indexRun(runId, run);
    const parent = this.get(run.parentRunId);
    if (parent !== undefined) (parent.children ??= new Set()).add(runId);
    this.startSweeping();
  }

  /** Removes a run and returns it; its still-open descendants are handed to `onExpired`. */
  remove(runId: string, reasonForChildren: UnfinishedReason = "parent_ended"): OpenRun | undefined {
    const run = this.runs.get(runId);
    if (run === undefined) return undefined;
    this.runs.delete(runId);
    unindexRun(runId, run);
    this.get(run.parentRunId)?.children?.delete(runId);
    if (run.children !== undefined) {
      for (const childId of run.children) this.expire(childId, reasonForChildren);
    }
    return run;
  }

  /** Ends every open run, e.g. at shutdown. */
  expireAll(reason: UnfinishedReason): void {
    for (const runId of [...this.runs.keys()]) this.expire(runId, reason);
    this.stopSweeping();
  }

  /** Ends runs older than the TTL; `now` is a `performance.now()` reading. */
  sweep(now: number): void {
    for (const [runId, run] of this.runs) {
      if (now - run.startedAt < this.ttlMs) break;
      this.expire(runId, "ttl_expired");
    }
    if (this.runs.size === 0) this.stopSweeping();
  }

  private expire(runId: string, reason: UnfinishedReason): void {
    const run = this.remove(runId, reason);
    if (run !== undefined) this.onExpired(runId, run, reason);
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
