// One OTel pipeline shared by every configuration, so span costs are comparable.
//
// SimpleSpanProcessor, not Batch: it hands each span to the exporter when it ends, so the
// whole export cost lands inside the measured invocation (Batch would defer it to a timer,
// hiding part of it, and drops spans past its 2048-span queue when 200 invocations run at
// once, which would corrupt the nesting and span counts). With an in-memory exporter the
// "export" is an array push, the same for every configuration.
import { context, trace, type Context, type Span, type TracerProvider } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Sampler,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";

/** Instrumentation scope of the bench's own "request" spans (the callers' active spans). */
export const REQUEST_SCOPE = "bench.request";

export interface TracingPipeline {
  provider: BasicTracerProvider;
  exporter: InMemorySpanExporter;
  processor: SpanProcessor;
}

/** Another provider on the same processor and exporter, deciding with `sampler` (the shared one records every span). */
export function sampledProvider(pipeline: TracingPipeline, sampler: Sampler): BasicTracerProvider {
  return new BasicTracerProvider({ sampler, spanProcessors: [pipeline.processor] });
}

/**
 * Registers the global context manager (AsyncLocalStorage, so context.active() follows
 * async calls) and tracer provider: the OpenLLMetry instrumentation takes its tracer from
 * the global provider, the others get the provider passed explicitly.
 */
export function installTracingPipeline(): TracingPipeline {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const contextManagerRegistered = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const providerRegistered = trace.setGlobalTracerProvider(provider);
  if (!contextManagerRegistered || !providerRegistered) {
    throw new Error("another OTel context manager or tracer provider is already registered globally");
  }
  return { provider, exporter, processor };
}

/** Spans made by the configuration under test, i.e. everything but the bench's request spans. */
export function handlerSpans(exporter: InMemorySpanExporter): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.instrumentationScope.name !== REQUEST_SCOPE);
}

export function requestSpans(exporter: InMemorySpanExporter): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.instrumentationScope.name === REQUEST_SCOPE);
}

/**
 * Runs `work` as a web request would: under a fresh "request" span made active with
 * context.with, so a handler that honours the caller's context nests the run's root under it.
 */
export async function underRequestSpan<T>(
  provider: TracerProvider,
  name: string,
  work: (requestSpan: Span) => Promise<T>,
): Promise<T> {
  const requestSpan = provider.getTracer(REQUEST_SCOPE).startSpan(name, undefined, context.active());
  const requestContext: Context = trace.setSpan(context.active(), requestSpan);
  try {
    return await context.with(requestContext, () => work(requestSpan));
  } finally {
    requestSpan.end();
  }
}

export function parentSpanId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** Milliseconds between two OTel high-resolution times. */
export function durationMs(span: ReadableSpan): number {
  return span.duration[0] * 1e3 + span.duration[1] / 1e6;
}

/** Epoch milliseconds of a span's start (same clock as performance.timeOrigin + performance.now()). */
export function startEpochMs(span: ReadableSpan): number {
  return span.startTime[0] * 1e3 + span.startTime[1] / 1e6;
}
