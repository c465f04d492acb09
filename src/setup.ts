/**
 * `langchain-otel/setup`: an optional one-call OpenTelemetry tracing set-up for Node.
 *
 * The main entry (`langchain-otel`) never imports this file: users who already run their own
 * SDK or a vendor distro skip it, and the SDK packages it needs are optional peer dependencies.
 *
 * Which environment variables are read, and by whom:
 * - Read here (through the SDK's own `envDetector`, not re-parsed): `OTEL_SERVICE_NAME`,
 *   `OTEL_RESOURCE_ATTRIBUTES`. They override the `serviceName` / `resourceAttributes` options,
 *   so one build can be renamed per deployment. (The SDK's tracer provider itself does not read
 *   them: without this step every span would say `unknown_service:node`.)
 * - Read in ./trace-exporter.ts, as `@opentelemetry/sdk-node` reads them: `OTEL_SDK_DISABLED`,
 *   `OTEL_TRACES_EXPORTER` (`otlp`, `console`, `none`), `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`
 *   (`http/protobuf` by default, `http/json`, `grpc`; each needs its exporter package).
 * - Read by the `OTLPTraceExporter` itself: `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces` over
 *   HTTP), `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is), `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS`,
 *   `_TIMEOUT`, `_COMPRESSION`, `_CERTIFICATE`, `_CLIENT_KEY`, `_CLIENT_CERTIFICATE`.
 * - Read by `BatchSpanProcessor` itself: `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_EXPORT_TIMEOUT`,
 *   `OTEL_BSP_MAX_QUEUE_SIZE`, `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`.
 * - Read by `BasicTracerProvider` itself: `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`,
 *   `OTEL_SPAN_*_LIMIT`, `OTEL_ATTRIBUTE_*_LIMIT`.
 * - Not read by anyone here: `OTEL_PROPAGATORS` (it belongs to `@opentelemetry/sdk-node`).
 */
import { context, diag, DiagConsoleLogger, DiagLogLevel, metrics, trace, type AttributeValue, type Attributes } from "@opentelemetry/api";
import type { MeterProvider } from "@opentelemetry/sdk-metrics";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { LangChainContextManager } from "./context-manager.js";
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { describeValue } from "./describe-value.js";
import { ExportAccounting, type ExportCounts } from "./export-accounting.js";
import { DEFAULT_FLUSH_TIMEOUT_MS } from "./options.js";
import { withTimeout } from "./timeout.js";
import { createMeterProvider, type MetricsSetupOptions } from "./setup-metrics.js";
import { sdkDisabledFromEnv, traceExportersFromEnv } from "./trace-exporter.js";

export interface SetupTracingOptions extends MetricsSetupOptions {
  /**
   * `service.name` of every span. A default: `OTEL_SERVICE_NAME` (or `service.name` in
   * `OTEL_RESOURCE_ATTRIBUTES`) wins when set. Default: the SDK's `unknown_service:<argv0>`.
   */
  serviceName?: string;
  /** More resource attributes (e.g. `deployment.environment.name`); `OTEL_RESOURCE_ATTRIBUTES` wins per key. */
  resourceAttributes?: Attributes;
  /**
   * Where the batch span processor sends spans. Default: what `OTEL_TRACES_EXPORTER` names
   * (`otlp` if unset): an `OTLPTraceExporter` speaking `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL`
   * (`http/protobuf` if unset), configured by the `OTEL_EXPORTER_OTLP_*` variables. `null`: no
   * batch export at all, only the `spanProcessors` given. `OTEL_SDK_DISABLED=true` turns all of it off.
   */
  traceExporter?: SpanExporter | null;
  /** Extra span processors, run before the batch one (e.g. a `SimpleSpanProcessor` over an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
  /**
   * Register the provider and a context manager (`LangChainContextManager` over an
   * `AsyncLocalStorageContextManager`, so a run's span is active inside its body) as the
   * process-wide globals of `@opentelemetry/api` (default true). With false, nothing global changes: hand
   * `tracing.tracerProvider` to the handler yourself.
   */
  registerGlobally?: boolean;
  /**
   * Install a console logger for OpenTelemetry's diagnostics at WARN (or `OTEL_LOG_LEVEL`), so
   * that dropped spans are never silent (default true). Skipped when a logger is already set.
   */
  diagLogger?: boolean;
}

/** What a flush or shutdown achieved: the counters since setup, and what is still not exported. */
export interface DeliveryReport extends ExportCounts {
  /** False when it gave up at its timeout or a processor failed. */
  completed: boolean;
  /** Spans ended but not exported when it returned: still queued, in flight, or abandoned at shutdown. */
  pending: number;
}

export interface Tracing {
  /** The provider: pass it to `new OpenTelemetryCallbackHandler({ tracerProvider })` when not registered globally. */
  readonly tracerProvider: BasicTracerProvider;
  /** The provider of the handler's GenAI metrics: pass it as `meterProvider` when not registered globally. */
  readonly meterProvider: MeterProvider;
  /** Export every ended span now, waiting at most `timeoutMillis` (default 5 s). Never rejects. */
  forceFlush(options?: { timeoutMillis?: number }): Promise<DeliveryReport>;
  /**
   * Flush, stop exporting, and unregister the globals this call registered, waiting at most
   * `timeoutMillis` (default 5 s) for a backend that does not answer. Never rejects; what was not
   * exported is logged and reported. Safe to call twice.
   */
  shutdown(options?: { timeoutMillis?: number }): Promise<DeliveryReport>;
  /** The counters since setup: spans ended, exported, and failed to export. */
  exportCounts(): ExportCounts;
}


const OPTION_NAMES: ReadonlySet<string> = new Set<keyof SetupTracingOptions>([
  "serviceName",
  "resourceAttributes",
  "traceExporter",
  "spanProcessors",
  "registerGlobally",
  "diagLogger",
  "metricExporter",
  "metricReaders",
]);

/** Fixes for options people reach for by habit (other SDKs' names). */
const HINTS_FOR_UNKNOWN_OPTIONS: Readonly<Record<string, string>> = {
  endpoint: "set OTEL_EXPORTER_OTLP_ENDPOINT, or pass traceExporter: new OTLPTraceExporter({ url })",
  url: "set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or pass traceExporter: new OTLPTraceExporter({ url })",
  headers: "set OTEL_EXPORTER_OTLP_HEADERS, or pass traceExporter: new OTLPTraceExporter({ headers })",
  exporter: 'the option is called "traceExporter"',
  resource: 'pass plain attributes as "resourceAttributes"',
  contextManager:
    "pass registerGlobally: false and register your own context manager, wrapped so runs' spans stay active in their bodies: new LangChainContextManager(yourContextManager)",
};

/**
 * Builds a tracer provider that batches spans to an OTLP endpoint, and (by default)
 * registers it and an async-hooks context manager globally. Call once at start-up; call
 * `shutdown()` before the process exits so the last batch is sent.
 *
 * @throws Error naming the option and the fix, when an option is wrong or when a global tracer
 *   provider is already registered and `registerGlobally` is not false.
 */
export function setupTracing(options: SetupTracingOptions = {}): Tracing {
  validateOptions(options);
  // As in the Node SDK: disabled means no processor, no exporter and no globals.
  const disabled = sdkDisabledFromEnv();
  const registerGlobally = !disabled && (options.registerGlobally ?? true);

  const accounting = new ExportAccounting();
  const spanProcessors = disabled ? [] : [...(options.spanProcessors ?? [])];
  const traceExporters =
    disabled || options.traceExporter === null ? [] : options.traceExporter ? [options.traceExporter] : traceExportersFromEnv();
  if (traceExporters.length > 0) spanProcessors.push(accounting.counter);
  spanProcessors.push(...traceExporters.map((traceExporter) => new BatchSpanProcessor(accounting.wrap(traceExporter))));

  const resource = buildResource(options);
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors });
  const meterProvider = createMeterProvider(resource, disabled ? { metricExporter: null } : options);

  let registeredProvider = false;
  let registeredContextManager = false;
  let registeredMeterProvider = false;
  if (registerGlobally) {
    registeredProvider = trace.setGlobalTracerProvider(tracerProvider);
    if (!registeredProvider) {
      void tracerProvider.shutdown();
      void meterProvider.shutdown();
      throw new Error(
        "setupTracing: a global OpenTelemetry tracer provider is already registered (setupTracing " +
          "called twice, or another SDK runs in this process). Pass { registerGlobally: false } and " +
          "give tracing.tracerProvider to the handler, or shut the other one down first.",
      );
    }
    // Another context manager may already be registered (e.g. by an APM agent that leaves the
    // tracer provider to us): keep it, it propagates context just as well.
    const contextManager = new LangChainContextManager(new AsyncLocalStorageContextManager()).enable();
    registeredContextManager = context.setGlobalContextManager(contextManager);
    if (!registeredContextManager) contextManager.disable();
    // An APM agent may own the global meter provider: the handler then records into that one.
    registeredMeterProvider = metrics.setGlobalMeterProvider(meterProvider);
    if (!registeredMeterProvider) diag.warn("setupTracing: a global meter provider is already registered; the handler's metrics go to it.");
  }

  const registeredDiagLogger = (options.diagLogger ?? true) && installDiagLogger();

  /** Waits for `work` at most `timeoutMillis`, and says what is still not exported. Never rejects. */
  async function deliver(what: string, work: () => Promise<void>, timeoutMillis = DEFAULT_FLUSH_TIMEOUT_MS): Promise<DeliveryReport> {
    const outcome = await withTimeout(work, timeoutMillis);
    const report: DeliveryReport = { ...accounting.snapshot(), pending: accounting.pending, completed: outcome === "done" };
    if (!report.completed || report.pending > 0) {
      const why = outcome === "timeout" ? `did not finish within ${timeoutMillis} ms` : outcome === "done" ? "finished" : `failed (${outcome.message})`;
      diag.warn(`langchain-otel: ${what} ${why}; ${report.pending} spans not exported (${report.failed} failed to export since setup).`);
    }
    return report;
  }

  let shutdownReport: Promise<DeliveryReport> | undefined;
  return {
    tracerProvider,
    meterProvider,
    forceFlush: (flushOptions) =>
      deliver("forceFlush", async () => void (await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()])), flushOptions?.timeoutMillis),
    shutdown(shutdownOptions) {
      shutdownReport ??= deliver("shutdown", async () => void (await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()])), shutdownOptions?.timeoutMillis).finally(() => {
        // Unregister only what this call registered, so setupTracing can run again afterwards.
        if (registeredProvider) trace.disable();
        if (registeredContextManager) context.disable();
        if (registeredMeterProvider) metrics.disable();
        if (registeredDiagLogger) diag.disable();
      });
      return shutdownReport;
    },
    exportCounts: () => accounting.snapshot(),
  };
}

/**
 * A console logger at WARN, unless the app set one (found in the API's global registry) or
 * `OTEL_LOG_LEVEL` names another level (as the Node SDK reads it). True when installed.
 */
function installDiagLogger(): boolean {
  const registry = (globalThis as Record<symbol, { diag?: unknown } | undefined>)[Symbol.for("opentelemetry.js.api.1")];
  if (registry?.diag !== undefined) return false;
  const level = process.env["OTEL_LOG_LEVEL"]?.trim().toUpperCase();
  const logLevel = level !== undefined && level in DiagLogLevel ? DiagLogLevel[level as keyof typeof DiagLogLevel] : DiagLogLevel.WARN;
  return diag.setLogger(new DiagConsoleLogger(), { logLevel, suppressOverrideMessage: true });
}

/** SDK defaults < options < environment (OTEL_RESOURCE_ATTRIBUTES < OTEL_SERVICE_NAME). */
function buildResource(options: SetupTracingOptions) {
  const fromOptions: Attributes = { ...options.resourceAttributes };
  if (options.serviceName !== undefined) fromOptions["service.name"] = options.serviceName;
  return defaultResource()
    .merge(resourceFromAttributes(fromOptions))
    .merge(detectResources({ detectors: [envDetector] }));
}

function validateOptions(options: unknown): asserts options is SetupTracingOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`setupTracing: options must be an object such as { serviceName: "my-app" }, got ${describeValue(options)}.`);
  }
  for (const name of Object.keys(options)) {
    if (OPTION_NAMES.has(name)) continue;
    const hint = HINTS_FOR_UNKNOWN_OPTIONS[name] ?? `valid options are ${[...OPTION_NAMES].join(", ")}`;
    throw new TypeError(`setupTracing: unknown option "${name}": ${hint}.`);
  }
  const { serviceName, resourceAttributes, traceExporter, spanProcessors, registerGlobally, diagLogger, metricExporter, metricReaders } =
    options as Record<keyof SetupTracingOptions, unknown>;

  if (serviceName !== undefined && (typeof serviceName !== "string" || serviceName.trim() === "")) {
    throw new TypeError(
      `setupTracing: serviceName must be a non-empty string such as "checkout-api", got ${describeValue(serviceName)}.`,
    );
  }
  if (resourceAttributes !== undefined) {
    if (typeof resourceAttributes !== "object" || resourceAttributes === null || Array.isArray(resourceAttributes)) {
      throw new TypeError(
        `setupTracing: resourceAttributes must be an object of attributes such as { "deployment.environment.name": "prod" }, got ${describeValue(resourceAttributes)}.`,
      );
    }
    for (const [key, value] of Object.entries(resourceAttributes)) {
      if (!isAttributeValue(value)) {
        throw new TypeError(
          `setupTracing: resourceAttributes["${key}"] must be a string, number, boolean or an array of one of those, got ${describeValue(value)}.`,
        );
      }
    }
  }
  if (traceExporter !== undefined && traceExporter !== null && !hasMethods(traceExporter, ["export", "shutdown"])) {
    throw new TypeError(
      `setupTracing: traceExporter must be a SpanExporter (with export() and shutdown()), or null for no batch export, got ${describeValue(traceExporter)}.`,
    );
  }
  if (spanProcessors !== undefined) {
    if (!Array.isArray(spanProcessors)) {
      throw new TypeError(`setupTracing: spanProcessors must be an array of SpanProcessor, got ${describeValue(spanProcessors)}.`);
    }
    spanProcessors.forEach((processor: unknown, index) => {
      if (!hasMethods(processor, ["onStart", "onEnd", "forceFlush", "shutdown"])) {
        throw new TypeError(
          `setupTracing: spanProcessors[${index}] is not a SpanProcessor (needs onStart, onEnd, forceFlush, shutdown); ` +
            `wrap exporters in one, e.g. new SimpleSpanProcessor(exporter). Got ${describeValue(processor)}.`,
        );
      }
    });
  }
  if (metricExporter !== undefined && metricExporter !== null && !hasMethods(metricExporter, ["export", "forceFlush", "shutdown"])) {
    throw new TypeError(
      `setupTracing: metricExporter must be a PushMetricExporter (with export(), forceFlush() and shutdown()), or null for no periodic export, got ${describeValue(metricExporter)}.`,
    );
  }
  if (metricReaders !== undefined && (!Array.isArray(metricReaders) || !metricReaders.every((reader) => hasMethods(reader, ["setMetricProducer", "collect", "shutdown"])))) {
    throw new TypeError(`setupTracing: metricReaders must be an array of MetricReader (e.g. new PeriodicExportingMetricReader({ exporter })), got ${describeValue(metricReaders)}.`);
  }
  if (registerGlobally !== undefined && typeof registerGlobally !== "boolean") {
    throw new TypeError(`setupTracing: registerGlobally must be true or false, got ${describeValue(registerGlobally)}.`);
  }
  if (diagLogger !== undefined && typeof diagLogger !== "boolean") {
    throw new TypeError(`setupTracing: diagLogger must be true or false, got ${describeValue(diagLogger)}.`);
  }
}

function isAttributeValue(value: unknown): value is AttributeValue {
  const isPrimitive = (item: unknown) => ["string", "number", "boolean"].includes(typeof item);
  return isPrimitive(value) || (Array.isArray(value) && value.every((item) => item == null || isPrimitive(item)));
}

function hasMethods(value: unknown, methodNames: readonly string[]): boolean {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return methodNames.every((name) => typeof record[name] === "function");
}
