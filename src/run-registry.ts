import type { Context, Span } from "@opentelemetry/api";

/** What the handler keeps about a run while its span is open. */
export interface OpenRun {
  span: Span;
  /** The parent's context with this run's span set: children start under it. */
  context: Context;
  parentRunId: string | undefined;
  /** Runs started under this one that are still open. */
  children: Set<string> | undefined;
  /** Whether this run's payloads are recorded (off for LangGraph's hidden plumbing runs). */
  captureContent: boolean;
  /** `performance.now()` at start: for the time to first chunk. Stamped by the registry. */
  startedAt: number;
  /** `performance.now()` of the run's last sign of life: its start, events, tokens, children starting or ending. */
  lastActivityAt: number;
  firstChunkAt: number | undefined;
  streamEvents: number;
  /**
   * Children that failed while this run was open. Their spans end when this run's outcome is
   * known: if this run turns out cancelled (LangGraph reports an abort on the graph only after
   * the node failed with the abort's reason), they were cancelled too.
   */
  failedChildren: FailedChild[] | undefined;
}

export interface FailedChild {
  span: Span;
  /** `performance.now()` when it failed: its span ends then, whenever it is released. */
  failedAt: number;
  /** Its status message, the abort's reason when it turns out cancelled. */
  statusMessage: string;
}

export type NewRun = Omit<OpenRun, "startedAt" | "lastActivityAt" | "children" | "failedChildren">;

/** `cancelled`: the parent was aborted through its AbortSignal while this run was in flight. */
export type UnfinishedReason = "ttl_expired" | "parent_ended" | "cancelled" | "shutdown";

/**
 * The one owner of open runs. A run enters at start and leaves at end; a run that shows no sign
 * of life for `ttlMs` (an abandoned stream, say) and has no open children leaves through
 * `onExpired`, so memory stays bounded while long live runs (agent loops) are never cut.
 */
export class RunRegistry {
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

  add(runId: string, newRun: NewRun): OpenRun {
    const now = performance.now();
    const run: OpenRun = { ...newRun, startedAt: now, lastActivityAt: now, children: undefined, failedChildren: undefined };
    this.runs.set(runId, run);
    const parent = this.get(run.parentRunId);
    if (parent !== undefined) {
      (parent.children ??= new Set()).add(runId);
      parent.lastActivityAt = now;
    }
    this.startSweeping();
    return run;
  }

  /** A sign of life (a token, an event): the run's TTL counts from now. Returns the run, if open. */
  touch(runId: string): OpenRun | undefined {
    const run = this.runs.get(runId);
    if (run !== undefined) run.lastActivityAt = performance.now();
    return run;
  }

  /**
   * Removes a run that ended and returns it; its still-open descendants are handed to
   * `onExpired` with `reasonForChildren`. The parent counts the end as a sign of life.
   */
  removeAndEndChildren(runId: string, reasonForChildren: UnfinishedReason = "parent_ended"): OpenRun | undefined {
    return this.detach(runId, reasonForChildren, performance.now());
  }

  /** Ends every open run, e.g. at shutdown. */
  expireAll(reason: UnfinishedReason): void {
    for (const runId of [...this.runs.keys()]) this.expire(runId, reason);
    this.stopSweeping();
  }

  /**
   * Ends runs idle for the TTL that have no open children; `now` is a `performance.now()`
   * reading. Children are visited before their parents (newest first), so an abandoned tree
   * goes in one sweep, and a parent is idle only as long as its last child.
   */
  sweep(now: number): void {
    for (const [runId, run] of [...this.runs].reverse()) {
      if (run.children === undefined || run.children.size === 0) {
        if (now - run.lastActivityAt >= this.ttlMs) this.expire(runId, "ttl_expired");
      }
    }
    if (this.runs.size === 0) this.stopSweeping();
  }

  private detach(runId: string, reasonForChildren: UnfinishedReason, endedAt: number): OpenRun | undefined {
    const run = this.runs.get(runId);
    if (run === undefined) return undefined;
    this.runs.delete(runId);
    const parent = this.get(run.parentRunId);
    if (parent !== undefined) {
      parent.children?.delete(runId);
      parent.lastActivityAt = Math.max(parent.lastActivityAt, endedAt);
    }
    if (run.children !== undefined) {
      for (const childId of run.children) this.expire(childId, reasonForChildren);
    }
    return run;
  }

  /** A swept run ended at its last sign of life, and that is all its parent learns of it. */
  private expire(runId: string, reason: UnfinishedReason): void {
    const run = this.runs.get(runId);
    if (run === undefined) return;
    this.detach(runId, reason, reason === "ttl_expired" ? run.lastActivityAt : performance.now());
    this.onExpired(runId, run, reason);
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
