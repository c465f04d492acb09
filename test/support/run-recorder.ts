/**
 * LangChain's run tree as its CallbackManager reports it, recorded independently of the
 * handler under test: the truth that the tests, the end-to-end tests and the benchmark check
 * spans against.
 */
import { BaseCallbackHandler, type BaseCallbackHandlerInput } from "@langchain/core/callbacks/base";

export interface RunStart {
  runId: string;
  parentRunId: string | undefined;
  /** The run name, or the class at the end of the serialized id. */
  name: string;
  /** As LangChain reports it: chain, prompt, parser, llm, tool, retriever, ... */
  runType: string;
  tags: readonly string[];
  /** Model runs: the model LangChain passes (invocation params, else `ls_model_name`). */
  model: string | undefined;
}

type Serialized = { id?: unknown } | undefined;

function serializedName(serialized: Serialized, fallback: string): string {
  const id = serialized?.id;
  const last: unknown = Array.isArray(id) ? id.at(-1) : undefined;
  return typeof last === "string" ? last : fallback;
}

function modelOf(extraParams: Record<string, unknown> | undefined, metadata: Record<string, unknown> | undefined): string | undefined {
  const invocationModel = (extraParams?.["invocation_params"] as { model?: unknown } | undefined)?.model;
  const model = typeof invocationModel === "string" ? invocationModel : metadata?.["ls_model_name"];
  return typeof model === "string" ? model : undefined;
}

/**
 * Folds LangChain's per-kind callbacks into run start and run end. The parameters are named
 * after what the CallbackManager passes, which for handleChainStart is not the declared order.
 */
export abstract class RunLifecycleHandler extends BaseCallbackHandler {
  protected abstract onRunStart(start: RunStart): void;
  protected abstract onRunEnd(runId: string, error?: unknown): void;

  constructor(input?: BaseCallbackHandlerInput) {
    super(input);
  }

  override handleChainStart(
    chain: Serialized,
    _inputs: unknown,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    _metadata?: Record<string, unknown>,
    runType?: string,
    runName?: string,
  ): void {
    this.onRunStart({ runId, parentRunId, name: runName ?? serializedName(chain, "chain"), runType: runType ?? "chain", tags: tags ?? [], model: undefined });
  }

  override handleChatModelStart(
    llm: Serialized,
    _messages: unknown[][],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.onRunStart({ runId, parentRunId, name: runName ?? serializedName(llm, "chat"), runType: "llm", tags: tags ?? [], model: modelOf(extraParams, metadata) });
  }

  override handleLLMStart(
    llm: Serialized,
    _prompts: string[],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.onRunStart({ runId, parentRunId, name: runName ?? serializedName(llm, "llm"), runType: "llm", tags: tags ?? [], model: modelOf(extraParams, metadata) });
  }

  override handleToolStart(tool: Serialized, _input: string, runId: string, parentRunId?: string, tags?: string[], _metadata?: Record<string, unknown>, runName?: string): void {
    this.onRunStart({ runId, parentRunId, name: runName ?? serializedName(tool, "tool"), runType: "tool", tags: tags ?? [], model: undefined });
  }

  override handleRetrieverStart(retriever: Serialized, _query: string, runId: string, parentRunId?: string, tags?: string[], _metadata?: Record<string, unknown>, name?: string): void {
    this.onRunStart({ runId, parentRunId, name: name ?? serializedName(retriever, "retriever"), runType: "retriever", tags: tags ?? [], model: undefined });
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    this.onRunEnd(runId);
  }
  override handleLLMEnd(_output: unknown, runId: string): void {
    this.onRunEnd(runId);
  }
  override handleToolEnd(_output: unknown, runId: string): void {
    this.onRunEnd(runId);
  }
  override handleRetrieverEnd(_documents: unknown, runId: string): void {
    this.onRunEnd(runId);
  }
  override handleChainError(error: unknown, runId: string): void {
    this.onRunEnd(runId, error);
  }
  override handleLLMError(error: unknown, runId: string): void {
    this.onRunEnd(runId, error);
  }
  override handleToolError(error: unknown, runId: string): void {
    this.onRunEnd(runId, error);
  }
  override handleRetrieverError(error: unknown, runId: string): void {
    this.onRunEnd(runId, error);
  }
}

/** LangGraph tags its internal plumbing runs with this. */
export const HIDDEN_TAG = "langsmith:hidden";

export interface RecordedRun extends Omit<RunStart, "tags"> {
  hidden: boolean;
  failed: boolean;
  /** Epoch ms (performance.timeOrigin + performance.now()) when LangChain reported the start. */
  startedAtMs: number;
  /** Same clock, when LangChain reported the end or error; NaN while open. */
  endedAtMs: number;
}

const nowEpochMs = (): number => performance.timeOrigin + performance.now();

/**
 * Records every run it is told about. Awaited, so LangChain calls it the moment a run starts
 * or ends: its timestamps are the runs' true boundaries.
 */
export class RunTreeRecorder extends RunLifecycleHandler {
  name = "RunTreeRecorder";
  readonly runs: RecordedRun[] = [];
  private readonly openRuns = new Map<string, RecordedRun>();

  constructor() {
    super({ _awaitHandler: true });
  }

  /** One recorder per invocation: LangChain's copies must record into it. */
  override copy(): this {
    return this;
  }

  protected onRunStart({ tags, ...start }: RunStart): void {
    const run: RecordedRun = { ...start, hidden: tags.includes(HIDDEN_TAG), failed: false, startedAtMs: nowEpochMs(), endedAtMs: Number.NaN };
    this.runs.push(run);
    this.openRuns.set(run.runId, run);
  }

  protected onRunEnd(runId: string, error?: unknown): void {
    const run = this.openRuns.get(runId);
    if (run === undefined) return;
    run.endedAtMs = nowEpochMs();
    run.failed = error !== undefined;
    this.openRuns.delete(runId);
  }

  find(runId: string): RecordedRun | undefined {
    return this.runs.find((run) => run.runId === runId);
  }

  roots(): RecordedRun[] {
    return this.runs.filter((run) => run.parentRunId === undefined);
  }

  /** The one root run; fails when there are several (a batch) or none. */
  root(): RecordedRun {
    const roots = this.roots();
    if (roots.length !== 1 || roots[0] === undefined) throw new Error(`expected one root run, recorded ${roots.length}`);
    return roots[0];
  }

  /** `root` and all its descendants. */
  treeOf(root: RecordedRun): RecordedRun[] {
    const tree = [root];
    for (let index = 0; index < tree.length; index++) {
      const parent = tree[index] as RecordedRun;
      tree.push(...this.runs.filter((run) => run.parentRunId === parent.runId));
    }
    return tree;
  }
}
