// The floor of the span-per-run approach: one span per run, parented on the parent run's
// span, the root on the caller's active context, no attributes, no status, no events.
// Anything a real handler costs above this is the price of what it records.
import type { BaseCallbackHandlerInput } from "@langchain/core/callbacks/base";
import { context, trace, type Span, type Tracer, type TracerProvider } from "@opentelemetry/api";
import { RunLifecycleHandler, type RunStart } from "../../test/support/run-recorder.js";

export interface SpanPerRunReferenceHandlerOptions {
  tracerProvider: TracerProvider;
  /**
   * true: LangChain awaits each callback, so the handler runs in the caller's context and
   * at the true time (what langchain-otel does). false: LangChain's default background queue.
   */
  awaitHandler: boolean;
}

export class SpanPerRunReferenceHandler extends RunLifecycleHandler {
  name = "SpanPerRunReferenceHandler";
  private readonly tracer: Tracer;
  private readonly spans = new Map<string, Span>();

  constructor({ tracerProvider, awaitHandler }: SpanPerRunReferenceHandlerOptions) {
    const input: BaseCallbackHandlerInput = { _awaitHandler: awaitHandler };
    super(input);
    this.tracer = tracerProvider.getTracer("bench.reference-handler");
  }

  get openRunCount(): number {
    return this.spans.size;
  }

  protected onRunStart({ runId, parentRunId, name }: RunStart): void {
    const parentSpan = parentRunId === undefined ? undefined : this.spans.get(parentRunId);
    const parentContext = parentSpan === undefined ? context.active() : trace.setSpan(context.active(), parentSpan);
    this.spans.set(runId, this.tracer.startSpan(name, undefined, parentContext));
  }

  protected onRunEnd(runId: string): void {
    const span = this.spans.get(runId);
    if (span === undefined) return;
    this.spans.delete(runId);
    span.end();
  }
}
