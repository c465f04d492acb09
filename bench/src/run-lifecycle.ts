// Turns LangChain's per-kind callbacks into two events, run start and run end, for the
// bench's own handlers (the span-per-run floor and the run-tree recorder).
import { BaseCallbackHandler, type BaseCallbackHandlerInput } from "@langchain/core/callbacks/base";
import type { Serialized } from "@langchain/core/load/serializable";

export interface RunStart {
  runId: string;
  parentRunId: string | undefined;
  name: string;
  runType: string;
  tags: readonly string[];
}

function lastIdSegment(serialized: Serialized): string {
  return serialized.id.at(-1) ?? "unknown";
}

export abstract class RunLifecycleHandler extends BaseCallbackHandler {
  protected abstract onRunStart(start: RunStart): void;
  protected abstract onRunEnd(runId: string): void;

  constructor(input?: BaseCallbackHandlerInput) {
    super(input);
  }

  // The declared type is (chain, inputs, runId, runType, tags, metadata, runName, parentRunId),
  // but CallbackManager calls (chain, inputs, runId, parentRunId, tags, metadata, runType, runName):
  // the parameters are named after what actually arrives.
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
    this.onRunStart({ runId, parentRunId, name: runName ?? lastIdSegment(chain), runType: runType ?? "chain", tags: tags ?? [] });
  }

  override handleChatModelStart(
    llm: Serialized,
    _messages: unknown,
    runId: string,
    parentRunId?: string,
    _extraParams?: Record<string, unknown>,
    tags?: string[],
    _metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.onRunStart({ runId, parentRunId, name: runName ?? lastIdSegment(llm), runType: "llm", tags: tags ?? [] });
  }

  override handleLLMStart(
    llm: Serialized,
    _prompts: string[],
    runId: string,
    parentRunId?: string,
    _extraParams?: Record<string, unknown>,
    tags?: string[],
    _metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.onRunStart({ runId, parentRunId, name: runName ?? lastIdSegment(llm), runType: "llm", tags: tags ?? [] });
  }

  override handleToolStart(
    tool: Serialized,
    _input: string,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    _metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.onRunStart({ runId, parentRunId, name: runName ?? lastIdSegment(tool), runType: "tool", tags: tags ?? [] });
  }

  override handleRetrieverStart(
    retriever: Serialized,
    _query: string,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    _metadata?: Record<string, unknown>,
    name?: string,
  ): void {
    this.onRunStart({ runId, parentRunId, name: name ?? lastIdSegment(retriever), runType: "retriever", tags: tags ?? [] });
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    this.onRunEnd(runId);
  }
  override handleChainError(_error: Error, runId: string): void {
    this.onRunEnd(runId);
  }
  override handleLLMEnd(_output: unknown, runId: string): void {
    this.onRunEnd(runId);
  }
  override handleLLMError(_error: Error, runId: string): void {
    this.onRunEnd(runId);
  }
  override handleToolEnd(_output: unknown, runId: string): void {
    this.onRunEnd(runId);
  }
  override handleToolError(_error: Error, runId: string): void {
    this.onRunEnd(runId);
  }
  override handleRetrieverEnd(_documents: unknown, runId: string): void {
    this.onRunEnd(runId);
  }
  override handleRetrieverError(_error: Error, runId: string): void {
    this.onRunEnd(runId);
  }
}
