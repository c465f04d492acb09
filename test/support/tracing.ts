/** A real OTel SDK pipeline for tests: provider, simple processor, in-memory exporter, async context. */
import { context, type Span } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { LangChainContextManager, OpenTelemetryCallbackHandler, type OpenTelemetryCallbackHandlerOptions } from "../../src/index.js";
import { genAiSchemaCheck } from "./genai-schemas.js";
import type { RunStart } from "./run-recorder.js";

let contextManagerRegistered = false;

/**
 * Context must propagate across awaits, as it does under any Node SDK or vendor distribution.
 * `bridge`: wrapped in `LangChainContextManager`, as `langchain-otel/setup` does. The first call in a test file decides.
 */
export function registerContextManager(options: { bridge?: boolean } = {}): void {
  if (contextManagerRegistered) return;
  const base = new AsyncLocalStorageContextManager();
  context.setGlobalContextManager((options.bridge === true ? new LangChainContextManager(base) : base).enable());
  contextManagerRegistered = true;
}

export interface TestTracing {
  provider: BasicTracerProvider;
  exporter: InMemorySpanExporter;
  handler: OpenTelemetryCallbackHandler;
  spans(): ReadableSpan[];
  /** The single span named `name`; fails the test when there is not exactly one. */
  span(name: string): ReadableSpan;
  /** Runs `body` inside an active "request" span, as an HTTP server instrumentation would. */
  inRequestSpan<T>(name: string, body: (span: Span) => Promise<T>): Promise<T>;
}

export function createTestTracing(options: Omit<OpenTelemetryCallbackHandlerOptions, "tracerProvider"> = {}): TestTracing {
  registerContextManager();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [genAiSchemaCheck, new SimpleSpanProcessor(exporter)] });
  const handler = new OpenTelemetryCallbackHandler({ ...options, tracerProvider: provider });
  const spans = () => exporter.getFinishedSpans();
  return {
    provider,
    exporter,
    handler,
    spans,
    span(name) {
      const matching = spans().filter((s) => s.name === name);
      if (matching.length !== 1) {
        throw new Error(`expected one span named "${name}", found ${matching.length} among: ${spans().map((s) => s.name).join(", ")}`);
      }
      return matching[0] as ReadableSpan;
    },
    inRequestSpan(name, body) {
      const tracer = provider.getTracer("test-http-server");
      return tracer.startActiveSpan(name, async (span) => {
        try {
          return await body(span);
        } finally {
          span.end();
        }
      });
    },
  };
}

export function parentSpanId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/**
 * Checks that the spans form the run tree: every span's parent span is the span of its
 * parent run (`langchain.run.parent_id`), and runs without a parent hang under `rootParentSpanId`.
 */
export function assertRunTree(spans: ReadableSpan[], rootParentSpanId: string | undefined, runs: ReadonlyArray<Pick<RunStart, "runId" | "parentRunId">>): void {
  const spanIdByRunId = new Map<string, string>();
  for (const span of spans) spanIdByRunId.set(String(span.attributes["langchain.run.id"]), span.spanContext().spanId);
  const parentRunIds = new Map(runs.map((run) => [run.runId, run.parentRunId]));
  for (const span of spans) {
    const parentRunId = parentRunIds.get(String(span.attributes["langchain.run.id"]));
    const expected = parentRunId === undefined ? rootParentSpanId : spanIdByRunId.get(String(parentRunId));
    if (parentSpanId(span) !== expected) {
      throw new Error(`span "${span.name}" has parent ${parentSpanId(span)}, expected ${expected} (run parent ${String(parentRunId)})`);
    }
  }
}
