// Every way the bench runs a workload: without a handler, with LangChain's bare callback
// machinery, with the span-per-run floor, with langchain-otel, and with each peer attached
// the way its documentation says.
//
// Two peers attach by patching CallbackManager._configureSync (a static method shared by
// every invocation in the process), so they cannot simply be left out of another
// configuration's invocations: each configuration has attach()/detach(), called around each
// of its rounds, and the bench asserts after every detach() that _configureSync is
// LangChain's original again. That lets all configurations interleave round by round.
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import * as CallbackManagerModule from "@langchain/core/callbacks/manager";
import type { TracerProvider } from "@opentelemetry/api";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { AlwaysOffSampler, ParentBasedSampler, TraceIdRatioBasedSampler } from "@opentelemetry/sdk-trace-base";
import { LangChainInstrumentation as OpenInferenceLangChainInstrumentation } from "@arizeai/openinference-instrumentation-langchain";
import { CallbackHandler as LangfuseCallbackHandler } from "@langfuse/langchain";
import { setLangfuseTracerProvider } from "@langfuse/tracing";
import { LangChainInstrumentation as OpenLLMetryLangChainInstrumentation } from "@traceloop/instrumentation-langchain";
import { setTimeout as sleep } from "node:timers/promises";
// Ours as it ships: the ESM build (`npm run build`, which `npm run bench` runs first). Through
// tsx the source would carry esbuild's keepNames wrapper on every closure it creates, a cost
// users never pay; bench-environment.ts refuses a build older than src/.
import { OpenTelemetryCallbackHandler } from "../../dist/esm/index.js";
import { sampledProvider, type TracingPipeline } from "./otel.js";
import { SpanPerRunReferenceHandler } from "./reference-handler.js";
import type { Handlers } from "./workloads.js";

export type ConfigurationRole = "baseline" | "floor" | "ours" | "peer";

export interface Configuration {
  id: string;
  label: string;
  role: ConfigurationRole;
  /** How LangChain runs this configuration's callbacks: awaited, or on its background queue. */
  callbackMode: "awaited" | "background" | "—";
  makesSpans: boolean;
  /**
   * Set for ours under a sampler other than always-on: its traces are partial by design, so the
   * nesting and timing checks (which need every span) leave it out.
   */
  sampler?: string;
  /** Passed as `callbacks` on every invocation; undefined for none (or for a patching peer). */
  handlers: Handlers;
  attach(): void;
  detach(): void;
  /** Runs the handler still holds open, where it can be read. */
  openRunCount(): number | undefined;
}

const { CallbackManager } = CallbackManagerModule;
type ConfigureSync = typeof CallbackManager._configureSync;
const pristineConfigureSync: ConfigureSync = CallbackManager._configureSync;

/** Throws if a patching peer is still attached (its handler would ride along in other configurations). */
export function assertCallbackManagerPristine(): void {
  if (CallbackManager._configureSync !== pristineConfigureSync) {
    throw new Error("CallbackManager._configureSync is still patched by a peer instrumentation");
  }
}

/** LangChain's own per-callback cost: a handler with no methods, awaited like ours. */
class NoopCallbackHandler extends BaseCallbackHandler {
  name = "NoopCallbackHandler";
  constructor() {
    super({ _awaitHandler: true });
  }
}

function handlerConfiguration(
  fields: Omit<Configuration, "attach" | "detach" | "handlers" | "openRunCount" | "callbackMode"> & {
    handler: BaseCallbackHandler;
    openRunCount?: () => number;
  },
): Configuration {
  const { handler, openRunCount, ...rest } = fields;
  return {
    ...rest,
    callbackMode: handler.awaitHandlers ? "awaited" : "background",
    handlers: [handler],
    attach: () => {},
    detach: () => {},
    openRunCount: openRunCount ?? (() => undefined),
  };
}

/**
 * OpenInference: `manuallyInstrument(CallbackManagerModule)` (its documented ESM set-up) wraps
 * _configureSync with shimmer; its own `unpatch` (private in the types, public at run time)
 * restores it. enabled:false keeps it from also hooking require() of the CJS build.
 */
function openInference(tracerProvider: TracerProvider): Configuration {
  const instrumentation = new OpenInferenceLangChainInstrumentation({ tracerProvider, instrumentationConfig: { enabled: false } });
  const unpatchable = instrumentation as unknown as { unpatch(module: typeof CallbackManagerModule): void };
  return {
    id: "openinference",
    label: "OpenInference 4.1.1 (patches CallbackManager)",
    role: "peer",
    callbackMode: "background",
    makesSpans: true,
    handlers: undefined,
    attach: () => instrumentation.manuallyInstrument(CallbackManagerModule),
    detach: () => unpatchable.unpatch(CallbackManagerModule),
    openRunCount: () => undefined,
  };
}

/**
 * OpenLLMetry: its constructor patches _configureSync at once (CJS build by require, ESM
 * build through a dynamic import that lands a tick later) and offers no unpatch. The bench
 * lets it patch once, keeps the patched function, and swaps it in and out around rounds.
 */
async function openLLMetry(tracerProvider: TracerProvider): Promise<Configuration> {
  const instrumentation = new OpenLLMetryLangChainInstrumentation();
  instrumentation.setTracerProvider(tracerProvider);
  // Its ESM patch lands when its own dynamic import() resolves: wait for it (bounded).
  const deadline = performance.now() + 10_000;
  while (CallbackManager._configureSync === pristineConfigureSync && performance.now() < deadline) await sleep(5);
  const patchedConfigureSync: ConfigureSync = CallbackManager._configureSync;
  if (patchedConfigureSync === pristineConfigureSync) throw new Error("OpenLLMetry did not patch the ESM CallbackManager");
  CallbackManager._configureSync = pristineConfigureSync;
  return {
    id: "openllmetry",
    label: "OpenLLMetry 0.27.0 (patches CallbackManager)",
    role: "peer",
    callbackMode: "background",
    makesSpans: true,
    handlers: undefined,
    attach: () => {
      CallbackManager._configureSync = patchedConfigureSync;
    },
    detach: () => {
      CallbackManager._configureSync = pristineConfigureSync;
    },
    openRunCount: () => undefined,
  };
}

/** The sampling rate of the ratio-sampled configuration (production services sample 1-10%). */
export const SAMPLED_RATIO = 0.1;

/**
 * A real SDK meter provider for the metrics-on configuration: every measurement is aggregated;
 * the reader exports once a minute to memory, so the export itself is not what is measured.
 */
function benchMeterProvider(): MeterProvider {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  return new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })] });
}

export async function createConfigurations(pipeline: TracingPipeline): Promise<Configuration[]> {
  const tracerProvider = pipeline.provider;
  const floorAwaited = new SpanPerRunReferenceHandler({ tracerProvider, awaitHandler: true });
  const floorBackground = new SpanPerRunReferenceHandler({ tracerProvider, awaitHandler: false });
  const ours = new OpenTelemetryCallbackHandler({ tracerProvider });
  const oursWithoutContent = new OpenTelemetryCallbackHandler({ tracerProvider, captureContent: false });
  const oursNeverSampled = new OpenTelemetryCallbackHandler({ tracerProvider: sampledProvider(pipeline, new AlwaysOffSampler()) });
  const ratioSampler = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(SAMPLED_RATIO) });
  const oursRatioSampled = new OpenTelemetryCallbackHandler({ tracerProvider: sampledProvider(pipeline, ratioSampler) });
  // "ours" records its metrics into the global meter provider, a no-op here: metrics off.
  const oursWithMetrics = new OpenTelemetryCallbackHandler({ tracerProvider, meterProvider: benchMeterProvider() });
  // Langfuse v5 makes its observations as OTel spans through this provider; without a
  // LangfuseSpanProcessor nothing is sent anywhere.
  setLangfuseTracerProvider(tracerProvider);
  const langfuse = new LangfuseCallbackHandler();
  const langfuseRuns = langfuse as unknown as { runMap: Map<string, unknown> };
  return [
    {
      id: "none",
      label: "no handler",
      role: "baseline",
      callbackMode: "—",
      makesSpans: false,
      handlers: undefined,
      attach: () => {},
      detach: () => {},
      openRunCount: () => undefined,
    },
    handlerConfiguration({ id: "noop", label: "no-op BaseCallbackHandler", role: "baseline", makesSpans: false, handler: new NoopCallbackHandler() }),
    handlerConfiguration({
      id: "floor",
      label: "floor: span per run, awaited",
      role: "floor",
      makesSpans: true,
      handler: floorAwaited,
      openRunCount: () => floorAwaited.openRunCount,
    }),
    handlerConfiguration({
      id: "floor-bg",
      label: "floor: span per run, background",
      role: "floor",
      makesSpans: true,
      handler: floorBackground,
      openRunCount: () => floorBackground.openRunCount,
    }),
    handlerConfiguration({
      id: "ours",
      label: "langchain-otel (defaults)",
      role: "ours",
      makesSpans: true,
      handler: ours,
      openRunCount: () => ours.openRunCount,
    }),
    handlerConfiguration({
      id: "ours-metrics",
      label: "langchain-otel (defaults + GenAI metrics into an SDK MeterProvider)",
      role: "ours",
      makesSpans: true,
      handler: oursWithMetrics,
      openRunCount: () => oursWithMetrics.openRunCount,
    }),
    handlerConfiguration({
      id: "ours-no-content",
      label: "langchain-otel (captureContent: false)",
      role: "ours",
      makesSpans: true,
      handler: oursWithoutContent,
      openRunCount: () => oursWithoutContent.openRunCount,
    }),
    handlerConfiguration({
      id: "ours-always-off",
      label: "langchain-otel, AlwaysOffSampler",
      role: "ours",
      makesSpans: true,
      sampler: "AlwaysOff",
      handler: oursNeverSampled,
      openRunCount: () => oursNeverSampled.openRunCount,
    }),
    handlerConfiguration({
      id: "ours-ratio",
      label: `langchain-otel, ParentBased(TraceIdRatioBased(${SAMPLED_RATIO}))`,
      role: "ours",
      makesSpans: true,
      sampler: `ParentBased(TraceIdRatioBased(${SAMPLED_RATIO}))`,
      handler: oursRatioSampled,
      openRunCount: () => oursRatioSampled.openRunCount,
    }),
    openInference(tracerProvider),
    handlerConfiguration({
      id: "langfuse",
      label: "Langfuse 5.11.1 (callbacks)",
      role: "peer",
      makesSpans: true,
      handler: langfuse,
      openRunCount: () => langfuseRuns.runMap.size,
    }),
    await openLLMetry(tracerProvider),
  ];
}

/**
 * Ours writing one convention's content only (`contentConventions`): what writing each thing
 * once would save, in bytes on the wire and in time per run (key ratios only).
 */
export function oneConventionConfigurations(tracerProvider: TracerProvider): Configuration[] {
  return (["gen_ai", "openinference"] as const).map((convention) => {
    const handler = new OpenTelemetryCallbackHandler({ tracerProvider, contentConventions: [convention] });
    return handlerConfiguration({
      id: `ours-${convention}-only`,
      label: `langchain-otel (contentConventions: ["${convention}"])`,
      role: "ours",
      makesSpans: true,
      handler,
      openRunCount: () => handler.openRunCount,
    });
  });
}
