import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { context, createContextKey, metrics, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunnableLambda } from "@langchain/core/runnables";
import { OpenTelemetryCallbackHandler } from "../src/index.js";
import { setupTracing, type SetupTracingOptions, type Tracing } from "../src/setup.js";
import { OTLP_METRIC_EXPORTER_PACKAGES } from "../src/setup-metrics.js";
import { OTLP_EXPORTER_PACKAGES } from "../src/trace-exporter.js";
import { ScriptedChatModel } from "../demo/scripted-chat-model.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedRequest } from "./support/otlp-receiver.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Every OTEL_* variable a test sets; each test starts with none of them. */
const OTEL_ENV_VARS = [
  "OTEL_SERVICE_NAME",
  "OTEL_RESOURCE_ATTRIBUTES",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "OTEL_BSP_SCHEDULE_DELAY",
  "OTEL_METRICS_EXPORTER",
  "OTEL_METRIC_EXPORT_INTERVAL",
  "OTEL_METRIC_EXPORT_TIMEOUT",
  "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
  "OTEL_EXPORTER_OTLP_PROTOCOL",
] as const;

let receiver: OtlpReceiver;
let savedEnv: Map<string, string | undefined>;
/** Set-ups made by a test, shut down after it even when it fails, so globals never leak. */
let openTracings: Tracing[];

beforeEach(async () => {
  savedEnv = new Map(OTEL_ENV_VARS.map((name) => [name, process.env[name]]));
  for (const name of OTEL_ENV_VARS) delete process.env[name];
  receiver = await startOtlpReceiver();
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.baseUrl;
  openTracings = [];
});

afterEach(async () => {
  await Promise.all(openTracings.map((tracing) => tracing.shutdown()));
  await receiver.close();
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

function setup(options?: SetupTracingOptions): Tracing {
  const tracing = setupTracing(options);
  openTracings.push(tracing);
  return tracing;
}

function endSpanNamed(name: string, tracerProvider = trace.getTracerProvider()): void {
  tracerProvider.getTracer("setup-test").startSpan(name).end();
}

describe("setupTracing export", () => {
  it("sends OTLP (protobuf by default) to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces with the serviceName option, and nests spans across await", async () => {
    const tracing = setup({ serviceName: "checkout-api" });

    await trace.getTracer("setup-test").startActiveSpan("parent", async (parent) => {
      await new Promise((resolveLater) => setTimeout(resolveLater, 5));
      trace.getTracer("setup-test").startSpan("child").end(); // parent comes from the context manager
      parent.end();
    });
    await tracing.forceFlush();

    const [request] = receiver.requests;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/v1/traces");
    expect(request?.headers["content-type"]).toBe("application/x-protobuf");
    const parent = receiver.spans.find((span) => span.name === "parent");
    const child = receiver.spans.find((span) => span.name === "child");
    expect(parent?.resource["service.name"]).toBe("checkout-api");
    expect(parent?.resource["telemetry.sdk.language"]).toBe("nodejs");
    expect(child?.traceId).toBe(parent?.traceId);
    expect(child?.parentSpanId).toBe(parent?.spanId);
  });

  it("lets OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the options, key by key", async () => {
    process.env.OTEL_SERVICE_NAME = "name-from-env";
    process.env.OTEL_RESOURCE_ATTRIBUTES = "deployment.environment.name=prod,service.version=1.2.3";
    const tracing = setup({
      serviceName: "name-from-code",
      resourceAttributes: { "deployment.environment.name": "dev", team: "payments" },
    });

    endSpanNamed("work");
    await tracing.forceFlush();

    const [span] = await receiver.waitForSpans(1);
    expect(span?.resource).toMatchObject({
      "service.name": "name-from-env",
      "deployment.environment.name": "prod",
      "service.version": "1.2.3",
      team: "payments",
    });
  });

  it("uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is (over OTEL_EXPORTER_OTLP_ENDPOINT) and sends OTEL_EXPORTER_OTLP_HEADERS", async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = "http://127.0.0.1:9"; // would refuse: must not be used
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${receiver.baseUrl}/custom/traces`;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = "x-api-key=secret-1,x-tenant=acme";
    const tracing = setup({ serviceName: "svc" });

    endSpanNamed("work");
    await tracing.forceFlush();

    const [request] = receiver.requests;
    expect(request?.path).toBe("/custom/traces");
    expect(request?.headers["x-api-key"]).toBe("secret-1");
    expect(request?.headers["x-tenant"]).toBe("acme");
    expect(request?.spans.map((span) => span.name)).toEqual(["work"]);
  });

  it("honours OTEL_BSP_SCHEDULE_DELAY (read by the SDK's BatchSpanProcessor)", async () => {
    // Default delay is 5 s: nothing arrives in 300 ms without a flush.
    const slow = setup({ registerGlobally: false });
    endSpanNamed("default-delay", slow.tracerProvider);
    await new Promise((resolveLater) => setTimeout(resolveLater, 300));
    expect(receiver.spans).toEqual([]);
    await slow.shutdown();

    process.env.OTEL_BSP_SCHEDULE_DELAY = "50";
    const fast = setup({ registerGlobally: false });
    endSpanNamed("short-delay", fast.tracerProvider);
    const spans = await receiver.waitForSpans(2, 2_000);
    expect(spans.map((span) => span.name)).toContain("short-delay");
  });

  it("registers LangChainContextManager: inside a run's body, the run's span is the active one", async () => {
    const tracing = setup({ serviceName: "svc" });
    const handler = new OpenTelemetryCallbackHandler();
    const step = RunnableLambda.from(async () => {
      await new Promise((resolveLater) => setTimeout(resolveLater, 1));
      trace.getTracer("setup-test").startSpan("db.query").end(); // as an instrumentation would
    }).withConfig({ runName: "step" });
    await step.invoke(undefined, { callbacks: [handler] });
    await tracing.forceFlush();

    const stepSpan = receiver.spans.find((span) => span.name === "step");
    expect(receiver.spans.find((span) => span.name === "db.query")?.parentSpanId).toBe(stepSpan?.spanId);

    // LangGraph loaded afterwards keeps the storage the context manager set up for LangChain.
    const { Annotation, END, START, StateGraph } = await import("@langchain/langgraph");
    const graph = new StateGraph(Annotation.Root({ n: Annotation<number> }))
      .addNode("work", async () => {
        trace.getTracer("setup-test").startSpan("node.query").end();
        return {};
      })
      .addEdge(START, "work")
      .addEdge("work", END)
      .compile();
    await graph.invoke({ n: 1 }, { callbacks: [handler] });
    await tracing.forceFlush();
    const workSpan = receiver.spans.find((span) => span.name === "work");
    expect(receiver.spans.find((span) => span.name === "node.query")?.parentSpanId).toBe(workSpan?.spanId);
  });

  it("shutdown() sends the spans still queued, unregisters the globals, and allows a new setup", async () => {
    const contextKey = createContextKey("setup-test");
    const tracing = setup({ serviceName: "svc" });
    endSpanNamed("queued");

    await tracing.shutdown();
    await tracing.shutdown(); // a second call is harmless

    expect(receiver.spans.map((span) => span.name)).toEqual(["queued"]);
    expect(trace.getTracer("setup-test").startSpan("after").isRecording()).toBe(false);
    const valueSeenInside = context.with(context.active().setValue(contextKey, 1), () => context.active().getValue(contextKey));
    expect(valueSeenInside).toBeUndefined(); // the no-op context manager is back

    const again = setup({ serviceName: "svc-2" });
    endSpanNamed("second");
    await again.forceFlush();
    expect(receiver.spans.find((span) => span.name === "second")?.resource["service.name"]).toBe("svc-2");
  });

  it("with registerGlobally: false changes no global, and its own provider still exports", async () => {
    const tracing = setup({ serviceName: "svc", registerGlobally: false });

    expect(trace.getTracer("setup-test").startSpan("global").isRecording()).toBe(false);
    endSpanNamed("local", tracing.tracerProvider);
    await tracing.forceFlush();

    expect(receiver.spans.map((span) => span.name)).toEqual(["local"]);
  });

  it("throws, naming registerGlobally, when a global provider is already registered; the first set-up keeps working", async () => {
    const first = setup({ serviceName: "first" });

    expect(() => setup({ serviceName: "second" })).toThrow(/already registered.*registerGlobally: false/);
    endSpanNamed("still-exported");
    await first.forceFlush();
    expect(receiver.spans.map((span) => [span.name, span.resource["service.name"]])).toEqual([["still-exported", "first"]]);
  });

  it("with traceExporter: null exports only through the given spanProcessors", async () => {
    const memory = new InMemorySpanExporter();
    const tracing = setup({ traceExporter: null, spanProcessors: [new SimpleSpanProcessor(memory)] });

    endSpanNamed("in-memory-only");
    await tracing.forceFlush();

    expect(memory.getFinishedSpans().map((span) => span.name)).toEqual(["in-memory-only"]);
    expect(receiver.requests).toEqual([]);
  });

  it("sends to a traceExporter given in code instead of the OTLP one", async () => {
    const memory = new InMemorySpanExporter();
    const tracing = setup({ traceExporter: memory });

    endSpanNamed("batched-to-memory");
    await tracing.forceFlush();

    expect(memory.getFinishedSpans().map((span) => span.name)).toEqual(["batched-to-memory"]);
    expect(receiver.requests).toEqual([]);
  });
});

/** Names of the metrics in an OTLP/JSON metrics export request. */
function metricNames(request: ReceivedRequest | undefined): string[] {
  const body = request?.json as { resourceMetrics?: Array<{ scopeMetrics?: Array<{ metrics?: Array<{ name: string }> }> }> } | undefined;
  return (body?.resourceMetrics ?? []).flatMap((r) => (r.scopeMetrics ?? []).flatMap((s) => (s.metrics ?? []).map((m) => m.name)));
}

const metricsRequests = () => receiver.requests.filter((request) => request.path.endsWith("metrics"));

async function callModel(handler: OpenTelemetryCallbackHandler): Promise<void> {
  const model = new ScriptedChatModel({ script: () => ({ text: "ok", usage: { input_tokens: 3, output_tokens: 1, total_tokens: 4 } }), modelName: "m", provider: "openai" });
  await model.invoke("hi", { callbacks: [handler] });
}

describe("setupTracing metrics", () => {
  it("sends the handler's GenAI metrics to OTEL_EXPORTER_OTLP_ENDPOINT/v1/metrics over the traces' protocol, http/protobuf by default", async () => {
    const tracing = setup({ serviceName: "checkout-api" });
    await callModel(new OpenTelemetryCallbackHandler()); // both providers from the globals

    await tracing.forceFlush();

    expect(metricsRequests().map((request) => [request.path, request.headers["content-type"]])).toEqual([["/v1/metrics", "application/x-protobuf"]]);
  });

  it("sends OTLP/JSON metrics with OTEL_EXPORTER_OTLP_PROTOCOL=http/json: the GenAI histograms, with the same resource", async () => {
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = "http/json";
    const tracing = setup({ serviceName: "checkout-api" });
    await callModel(new OpenTelemetryCallbackHandler());

    await tracing.forceFlush();

    const [request] = metricsRequests();
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(metricNames(request).sort()).toEqual(["gen_ai.client.operation.duration", "gen_ai.client.token.usage"]);
    const resource = (request?.json as { resourceMetrics: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> } }> }).resourceMetrics[0]?.resource;
    expect(resource?.attributes.find((a) => a.key === "service.name")?.value.stringValue).toBe("checkout-api");
  });

  it("uses OTEL_EXPORTER_OTLP_METRICS_ENDPOINT as is, and exports every OTEL_METRIC_EXPORT_INTERVAL without a flush", async () => {
    process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT = `${receiver.baseUrl}/custom/metrics`;
    process.env.OTEL_METRIC_EXPORT_INTERVAL = "50";
    const tracing = setup({ registerGlobally: false });
    await callModel(new OpenTelemetryCallbackHandler({ tracerProvider: tracing.tracerProvider, meterProvider: tracing.meterProvider }));

    const deadline = Date.now() + 5_000;
    while (metricsRequests().length === 0 && Date.now() < deadline) await new Promise((resolveLater) => setTimeout(resolveLater, 20));

    expect(metricsRequests()[0]?.path).toBe("/custom/metrics");
    expect(metrics.getMeterProvider()).not.toBe(tracing.meterProvider); // registerGlobally: false
  });

  it("sends no metrics with OTEL_METRICS_EXPORTER=none, and traces as before", async () => {
    process.env.OTEL_METRICS_EXPORTER = "none";
    const tracing = setup();
    await callModel(new OpenTelemetryCallbackHandler());

    await tracing.forceFlush();

    expect(metricsRequests()).toEqual([]);
    expect(receiver.spans.map((span) => span.name)).toEqual(["chat m"]);
  });

  it("registers its meter provider globally and unregisters it at shutdown", async () => {
    const tracing = setup();
    expect(metrics.getMeterProvider()).toBe(tracing.meterProvider);
    await tracing.shutdown();
    expect(metrics.getMeterProvider()).not.toBe(tracing.meterProvider);
  });
});

describe("setupTracing option validation", () => {
  const wrongOptions: Array<[string, unknown, RegExp]> = [
    ["options not an object", "my-service", /options must be an object.*got "my-service"/],
    ["misspelt option", { servicename: "x" }, /unknown option "servicename".*valid options are serviceName/],
    ["endpoint option from other SDKs", { endpoint: "http://x:4318" }, /unknown option "endpoint".*OTEL_EXPORTER_OTLP_ENDPOINT/],
    ["empty serviceName", { serviceName: " " }, /serviceName must be a non-empty string/],
    ["serviceName not a string", { serviceName: 42 }, /serviceName must be a non-empty string.*number 42/],
    ["resourceAttributes an array", { resourceAttributes: ["a=b"] }, /resourceAttributes must be an object/],
    ["resourceAttributes with an object value", { resourceAttributes: { team: { name: "x" } } }, /resourceAttributes\["team"\] must be a string/],
    ["traceExporter not an exporter", { traceExporter: "otlp" }, /traceExporter must be a SpanExporter.*or null/],
    ["spanProcessors not an array", { spanProcessors: new InMemorySpanExporter() }, /spanProcessors must be an array/],
    ["an exporter in spanProcessors", { spanProcessors: [new InMemorySpanExporter()] }, /spanProcessors\[0\] is not a SpanProcessor.*new SimpleSpanProcessor\(exporter\)/],
    ["registerGlobally not a boolean", { registerGlobally: "no" }, /registerGlobally must be true or false/],
    ["metricExporter a span exporter", { metricExporter: { export() {}, shutdown() {} } }, /metricExporter must be a PushMetricExporter/],
    ["metricReaders not readers", { metricReaders: [{}] }, /metricReaders must be an array of MetricReader/],
  ];

  it.each(wrongOptions)("throws at call time for %s", (_case, options, message) => {
    expect(() => setupTracing(options as SetupTracingOptions)).toThrow(message);
    // Nothing was registered on the way to the error.
    expect(trace.getTracer("setup-test").startSpan("x").isRecording()).toBe(false);
  });
});

describe("packaging", () => {
  // Imported by setup's module graph, or loaded by it on demand (the OTLP exporter of each protocol).
  const SDK_PACKAGES_OF_SETUP = [
    ...packagesReachableFrom(resolve(repoRoot, "src/setup.ts")),
    ...Object.values(OTLP_EXPORTER_PACKAGES),
    ...Object.values(OTLP_METRIC_EXPORTER_PACKAGES),
  ].filter((name) => name.startsWith("@opentelemetry/") && name !== "@opentelemetry/api");

  it("the main entry never imports an SDK package that only setup needs", () => {
    expect(SDK_PACKAGES_OF_SETUP).toEqual(expect.arrayContaining(["@opentelemetry/sdk-trace-base", "@opentelemetry/sdk-metrics", "@opentelemetry/exporter-metrics-otlp-http"]));
    const reachableFromMain = packagesReachableFrom(resolve(repoRoot, "src/index.ts"));
    expect(reachableFromMain.filter((name) => SDK_PACKAGES_OF_SETUP.includes(name))).toEqual([]);
  });

  it("every SDK package setup imports is an optional peer dependency", () => {
    const manifest = JSON.parse(readFileSync(resolve(repoRoot, "package.json"), "utf8")) as {
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
      exports?: Record<string, unknown>;
    };
    for (const name of SDK_PACKAGES_OF_SETUP) {
      expect(manifest.peerDependencies?.[name], name).toBeDefined();
      expect(manifest.peerDependenciesMeta?.[name]?.optional, name).toBe(true);
    }
    expect(manifest.exports?.["./setup"]).toBeDefined();
  });
});

// `npm test` builds first; a bare `vitest run` on a fresh clone has no dist/ to check.
describe.skipIf(!existsSync(resolve(repoRoot, "dist/cjs/setup.js")))("the published langchain-otel/setup entry", () => {
  it("resolves through the exports map as CommonJS and as an ES module, with type declarations", async () => {
    const cjs = createRequire(import.meta.url)("langchain-otel/setup") as typeof import("../src/setup.js");
    const esm = (await import("langchain-otel/setup")) as typeof import("../src/setup.js");
    for (const entry of [cjs, esm]) {
      const tracing = entry.setupTracing({ traceExporter: null, registerGlobally: false });
      expect(tracing.tracerProvider.getTracer("x").startSpan("y").isRecording()).toBe(true);
      await tracing.shutdown();
    }
    expect(existsSync(resolve(repoRoot, "dist/esm/setup.d.ts"))).toBe(true);
    expect(existsSync(resolve(repoRoot, "dist/cjs/setup.d.ts"))).toBe(true);
  });
});

const IMPORT_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["']([^"']+)["']/g;

function importSpecifiers(file: string): string[] {
  return [...readFileSync(file, "utf8").matchAll(IMPORT_SPECIFIER)].map((match) => match[1] ?? "");
}

/** Bare package names a file imports (deep imports reduced to the package name). */
function importedPackages(file: string): string[] {
  return importSpecifiers(file)
    .filter((specifier) => !specifier.startsWith(".") && !specifier.startsWith("node:"))
    .map((specifier) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/"));
}

/** Packages imported anywhere in the relative-import graph of `entry` (`./x.js` is `./x.ts` in src). */
function packagesReachableFrom(entry: string): string[] {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const name of importedPackages(file)) packages.add(name);
    for (const specifier of importSpecifiers(file).filter((s) => s.startsWith("."))) {
      visit(resolve(dirname(file), specifier).replace(/\.js$/, ".ts"));
    }
  };
  visit(entry);
  return [...packages];
}
