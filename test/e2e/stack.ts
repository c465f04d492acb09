/**
 * The real trace stack for the e2e tests, and what the tests need around it:
 * - the native `jaeger`, `otelcol` and `prometheus` binaries (built by scripts/otel-binaries.sh at
 *   the versions docker-compose.yml pins) started as child processes on the repo's own config
 *   files, on free loopback ports, always stopped again (afterAll, and process exit hooks as a backstop);
 * - clients of Jaeger's HTTP query API and Prometheus's HTTP API;
 * - the app side: the real OTel SDK (BatchSpanProcessor + OTLP/HTTP exporter) feeding the handler;
 * - a recorder of LangChain's own run tree, the ground truth every trace is compared with.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import type { TracerProvider } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { stringify as toYaml } from "yaml";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { runTypeOfSpanKind } from "../../src/attributes/run.js";
import { OpenTelemetryCallbackHandler } from "../../src/index.js";
import { setupTracing } from "../../src/setup.js";
import { readYaml, STACK_FILES } from "../stack-files.js";
import type { RecordedRun, RunTreeRecorder } from "../support/run-recorder.js";

// ---- gate -------------------------------------------------------------------------------------

export const E2E_ENABLED = process.env["LANGCHAIN_OTEL_E2E"] === "1";

/** A suite that runs only with LANGCHAIN_OTEL_E2E=1; otherwise it is skipped with a note saying how to run it. */
export function describeE2E(title: string, body: () => void): void {
  if (E2E_ENABLED) {
    describe(title, { timeout: 60_000 }, body);
  } else {
    const note = "skipped: needs the native Jaeger and collector; run `npm run test:e2e` (sets LANGCHAIN_OTEL_E2E=1)";
    console.info(`e2e suite "${title}" ${note}`);
    describe.skip(`${title} [${note}]`, body);
  }
}

// ---- binaries and ports -----------------------------------------------------------------------

export interface StackBinaries {
  jaeger: string;
  otelcol: string;
  prometheus: string;
}

/** Paths of the binaries scripts/otel-binaries.sh built; fails with its message when they are missing. */
export function locateBinaries(): StackBinaries {
  const result = spawnSync("bash", [STACK_FILES.binariesScript, "--paths"], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`scripts/otel-binaries.sh --paths failed: ${result.stderr.trim() || result.error?.message}`);
  const paths = new Map(
    result.stdout
      .trim()
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const),
  );
  const jaeger = paths.get("JAEGER_BIN");
  const otelcol = paths.get("OTELCOL_BIN");
  const prometheus = paths.get("PROMETHEUS_BIN");
  if (jaeger === undefined || otelcol === undefined || prometheus === undefined) throw new Error(`unexpected output of otel-binaries.sh --paths: ${result.stdout}`);
  return { jaeger, otelcol, prometheus };
}

/** `count` distinct ports that were free on 127.0.0.1 a moment ago (held open together so they differ). */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        server.once("error", reject).listen(0, "127.0.0.1", () => resolve(server));
      });
    }),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Runs a short-lived command of one of the binaries; returns its exit code and output. */
export function runBinary(binary: string, args: string[], variables: Record<string, string> = {}): { status: number | null; output: string } {
  const result = spawnSync(binary, args, { encoding: "utf8", env: childEnvironment(variables), timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** `<binary> validate --config <file>`: both binaries check a config without running it. */
export function validateConfig(binary: string, configPath: string, variables: Record<string, string> = {}) {
  return runBinary(binary, ["validate", "--config", configPath], variables);
}

// ---- processes --------------------------------------------------------------------------------

/** Children still running: killed on exit even when a test failed before its afterAll ran. */
const liveChildren = new Set<ChildProcess>();
const EXIT_HOOKS_INSTALLED = Symbol.for("langchain-otel.e2e.exit-hooks");

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal); // the child leads its own process group (detached)
  } catch {
    // already gone
  }
}

function installExitHooks(): void {
  const globals = globalThis as Record<symbol, unknown>;
  if (globals[EXIT_HOOKS_INSTALLED]) return;
  globals[EXIT_HOOKS_INSTALLED] = true;
  const killAll = () => {
    for (const child of liveChildren) killGroup(child, "SIGKILL");
  };
  process.once("exit", killAll);
  // A vitest fork worker whose runner died (say, a SIGINT sent to the runner alone) is orphaned
  // and loses its IPC channel: its services must not outlive the run.
  process.once("disconnect", killAll);
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(code);
    });
  }
}

/** Only what the binaries need, plus the config variables: a developer's shell settings (say COLLECTOR_TRACES_EXPORTERS with a real backend) must not leak in. */
function childEnvironment(variables: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/tmp", ...variables };
}

const KEPT_LOG_LINES = 200;

/** A long-running child (Jaeger or the collector) with its recent output kept for failure messages. */
export class ServiceProcess {
  private readonly recentOutput: string[] = [];
  private exitCode: number | null | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.recentOutput.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      this.recentOutput.splice(0, Math.max(0, this.recentOutput.length - KEPT_LOG_LINES));
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code) => {
        this.exitCode = code;
        liveChildren.delete(child);
        resolve();
      });
    });
  }

  static start(name: string, binary: string, args: string[], variables: Record<string, string>): ServiceProcess {
    installExitHooks();
    const child = spawn(binary, args, { env: childEnvironment(variables), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    liveChildren.add(child);
    return new ServiceProcess(name, child);
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The last lines the process printed. */
  log(): string {
    return this.recentOutput.join("\n");
  }

  /** Polls `url` until it answers 200; fails early (with the process's log) if the process exits. */
  async waitHealthy(url: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited (code ${this.exitCode}) before it was healthy:\n${this.log()}`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`${this.name} not healthy at ${url} within ${timeoutMs} ms:\n${this.log()}`);
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    killGroup(this.child, "SIGTERM");
    const killer = setTimeout(() => killGroup(this.child, "SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(killer);
  }
}

// ---- Jaeger and the collector -----------------------------------------------------------------

const LOOPBACK = "127.0.0.1";

export interface JaegerService {
  process: ServiceProcess;
  /** host:port of Jaeger's OTLP gRPC receiver, for the collector's exporter. */
  otlpGrpcEndpoint: string;
  query: JaegerQuery;
}

/** Jaeger on jaeger-config.yaml, every port moved to a free loopback port; its Monitor tab reads `prometheusUrl`. */
export async function startJaeger(binary: string, prometheusUrl = `http://${LOOPBACK}:9`): Promise<JaegerService> {
  const [otlpGrpc, queryHttp, queryGrpc, health, metrics] = (await freeLoopbackPorts(5)) as [number, number, number, number, number];
  const jaeger = ServiceProcess.start("jaeger", binary, ["--config", STACK_FILES.jaegerConfig], {
    JAEGER_OTLP_GRPC_ENDPOINT: `${LOOPBACK}:${otlpGrpc}`,
    JAEGER_QUERY_HTTP_ENDPOINT: `${LOOPBACK}:${queryHttp}`,
    JAEGER_QUERY_GRPC_ENDPOINT: `${LOOPBACK}:${queryGrpc}`,
    JAEGER_HEALTH_ENDPOINT: `${LOOPBACK}:${health}`,
    JAEGER_METRICS_HOST: LOOPBACK,
    JAEGER_METRICS_PORT: String(metrics),
    JAEGER_PROMETHEUS_ENDPOINT: prometheusUrl,
  });
  try {
    await jaeger.waitHealthy(`http://${LOOPBACK}:${health}/status`);
  } catch (error) {
    await jaeger.stop();
    throw error;
  }
  return { process: jaeger, otlpGrpcEndpoint: `${LOOPBACK}:${otlpGrpc}`, query: new JaegerQuery(`http://${LOOPBACK}:${queryHttp}`) };
}

export interface CollectorPorts {
  otlpGrpc: number;
  otlpHttp: number;
  health: number;
  metrics: number;
  /** The Prometheus exporter's endpoint, which Prometheus scrapes. */
  prometheus: number;
}

export interface CollectorService {
  process: ServiceProcess;
  ports: CollectorPorts;
  /** Base URL of the OTLP/HTTP receiver (the SDK exporter appends /v1/traces). */
  otlpHttpUrl: string;
}

export interface CollectorOptions {
  /** Reuse these ports (a restart); default: fresh free ports. */
  ports?: CollectorPorts;
  /** More config variables, e.g. COLLECTOR_TRACES_EXPORTERS. */
  variables?: Record<string, string>;
}

/** The collector on collector-config.yaml, exporting to `jaegerOtlpEndpoint`, on loopback ports. */
export async function startCollector(binary: string, jaegerOtlpEndpoint: string, options: CollectorOptions = {}): Promise<CollectorService> {
  const ports = options.ports ?? (await allocateCollectorPorts());
  const collector = ServiceProcess.start("otelcol", binary, [`--config=${STACK_FILES.collectorConfig}`], {
    COLLECTOR_OTLP_GRPC_ENDPOINT: `${LOOPBACK}:${ports.otlpGrpc}`,
    COLLECTOR_OTLP_HTTP_ENDPOINT: `${LOOPBACK}:${ports.otlpHttp}`,
    COLLECTOR_HEALTH_ENDPOINT: `${LOOPBACK}:${ports.health}`,
    COLLECTOR_METRICS_HOST: LOOPBACK,
    COLLECTOR_METRICS_PORT: String(ports.metrics),
    COLLECTOR_PROMETHEUS_ENDPOINT: `${LOOPBACK}:${ports.prometheus}`,
    // Span metrics every second rather than every 15 s: the tests wait for them.
    COLLECTOR_SPANMETRICS_FLUSH_INTERVAL: "1s",
    JAEGER_OTLP_ENDPOINT: jaegerOtlpEndpoint,
    ...options.variables,
  });
  try {
    await collector.waitHealthy(`http://${LOOPBACK}:${ports.health}/`);
  } catch (error) {
    await collector.stop();
    throw error;
  }
  return { process: collector, ports, otlpHttpUrl: `http://${LOOPBACK}:${ports.otlpHttp}` };
}

async function allocateCollectorPorts(): Promise<CollectorPorts> {
  const [otlpGrpc, otlpHttp, health, metrics, prometheus] = (await freeLoopbackPorts(5)) as [number, number, number, number, number];
  return { otlpGrpc, otlpHttp, health, metrics, prometheus };
}

export interface PrometheusService {
  process: ServiceProcess;
  query: PrometheusQuery;
}

/** Seconds between scrapes in the e2e run (prometheus.yml says 15 s: too slow for a test). */
const E2E_SCRAPE_INTERVAL = "1s";

/**
 * Prometheus on prometheus.yml, with only what a native run must move: the scrape target (the
 * collector's Prometheus endpoint on loopback instead of `otel-collector:8889`) and the intervals.
 */
export async function startPrometheus(binary: string, collectorPrometheusEndpoint: string): Promise<PrometheusService> {
  const config = readYaml(STACK_FILES.prometheusConfig) as {
    global: Record<string, string>;
    scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
  };
  config.global["scrape_interval"] = E2E_SCRAPE_INTERVAL;
  config.global["evaluation_interval"] = E2E_SCRAPE_INTERVAL;
  for (const job of config.scrape_configs) for (const target of job.static_configs) target.targets = [collectorPrometheusEndpoint];
  const workDir = mkdtempSync(join(tmpdir(), "langchain-otel-prometheus-"));
  const configPath = join(workDir, "prometheus.yml");
  writeFileSync(configPath, toYaml(config));
  const [port] = (await freeLoopbackPorts(1)) as [number];
  const prometheus = ServiceProcess.start("prometheus", binary, [
    `--config.file=${configPath}`,
    `--storage.tsdb.path=${join(workDir, "data")}`,
    `--web.listen-address=${LOOPBACK}:${port}`,
  ], {});
  try {
    await prometheus.waitHealthy(`http://${LOOPBACK}:${port}/-/ready`);
  } catch (error) {
    await prometheus.stop();
    throw error;
  }
  return { process: prometheus, query: new PrometheusQuery(`http://${LOOPBACK}:${port}`) };
}

export interface TraceStack {
  binaries: StackBinaries;
  prometheus: PrometheusService;
  jaeger: JaegerService;
  collector: CollectorService;
  /** Stops the collector, Jaeger, then Prometheus; safe to call twice. */
  stop(): Promise<void>;
}

/** Prometheus, Jaeger (reading Prometheus), then the collector in front of both: the compose stack, natively. */
export async function startTraceStack(): Promise<TraceStack> {
  const binaries = locateBinaries();
  const collectorPorts = await allocateCollectorPorts();
  const prometheus = await startPrometheus(binaries.prometheus, `${LOOPBACK}:${collectorPorts.prometheus}`);
  let jaeger: JaegerService;
  let collector: CollectorService;
  try {
    jaeger = await startJaeger(binaries.jaeger, prometheus.query.baseUrl);
  } catch (error) {
    await prometheus.process.stop();
    throw error;
  }
  try {
    collector = await startCollector(binaries.otelcol, jaeger.otlpGrpcEndpoint, { ports: collectorPorts });
  } catch (error) {
    await jaeger.process.stop();
    await prometheus.process.stop();
    throw error;
  }
  const stack: TraceStack = {
    binaries,
    prometheus,
    jaeger,
    collector,
    async stop() {
      // Reads `stack.collector` now: a test may have replaced it with a restarted collector.
      await stack.collector.process.stop();
      await jaeger.process.stop();
      await prometheus.process.stop();
    },
  };
  return stack;
}

// ---- Prometheus HTTP API ----------------------------------------------------------------------

export interface PrometheusSample {
  labels: Record<string, string>;
  value: number;
}

/** Client of Prometheus's HTTP API (`/api/v1/...`). */
export class PrometheusQuery {
  constructor(readonly baseUrl: string) {}

  /** An instant PromQL query: one sample per series. */
  async query(promql: string): Promise<PrometheusSample[]> {
    const response = await fetch(`${this.baseUrl}/api/v1/query?${new URLSearchParams({ query: promql })}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await response.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== "success") throw new Error(`Prometheus query ${promql}: ${body.error ?? response.status}`);
    return (body.data?.result ?? []).map(({ metric, value }) => ({ labels: metric, value: Number(value[1]) }));
  }

  /** Polls `promql` until `accept` says yes; fails with the last answer. */
  async waitFor(promql: string, accept: (samples: PrometheusSample[]) => boolean, timeoutMs = 20_000): Promise<PrometheusSample[]> {
    const deadline = Date.now() + timeoutMs;
    let last: PrometheusSample[] = [];
    while (Date.now() < deadline) {
      last = await this.query(promql).catch(() => []);
      if (accept(last)) return last;
      await sleep(250);
    }
    throw new Error(`Prometheus: ${promql} did not reach the expected value within ${timeoutMs} ms; last answer: ${JSON.stringify(last)}`);
  }
}

// ---- Jaeger query API -------------------------------------------------------------------------

export interface JaegerKeyValue {
  key: string;
  type: string;
  value: unknown;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  /** Microseconds since the epoch. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  tags: JaegerKeyValue[];
  logs: Array<{ timestamp: number; fields: JaegerKeyValue[] }>;
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** Client of the HTTP API behind Jaeger's UI (`/api/...`). */
export class JaegerQuery {
  constructor(readonly baseUrl: string) {}

  private async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`Jaeger GET ${path}: HTTP ${response.status} ${await response.text()}`);
    return ((await response.json()) as { data: T }).data;
  }

  /**
   * The Monitor tab's data: `/api/metrics/{calls,errors,latencies}` of `service` per operation,
   * as operation name -> its latest value (Jaeger answers NaN where there is nothing to compute).
   */
  async operationMetrics(kind: "calls" | "errors" | "latencies", service: string, spanKind: string): Promise<Map<string, number>> {
    const query = new URLSearchParams({ service, spanKind, groupByOperation: "true", lookback: "300000", step: "1000", ratePer: "60000" });
    if (kind === "latencies") query.set("quantile", "0.95");
    const response = await fetch(`${this.baseUrl}/api/metrics/${kind}?${query}`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`Jaeger GET /api/metrics/${kind}: HTTP ${response.status} ${await response.text()}`);
    const family = (await response.json()) as {
      metrics?: Array<{ labels: Array<{ name: string; value: string }>; metricPoints: Array<{ gaugeValue?: { doubleValue?: number | string } }> }>;
    };
    const latest = new Map<string, number>();
    for (const metric of family.metrics ?? []) {
      const operation = metric.labels.find((label) => label.name === "operation")?.value;
      const value = Number(metric.metricPoints.at(-1)?.gaugeValue?.doubleValue);
      if (operation !== undefined) latest.set(operation, value);
    }
    return latest;
  }

  async services(): Promise<string[]> {
    return (await this.get<string[] | null>("/api/services")) ?? [];
  }

  /** Traces of `service` having a span tagged `key=value`. */
  async tracesWithTag(service: string, key: string, value: string): Promise<JaegerTrace[]> {
    const query = new URLSearchParams({ service, tags: JSON.stringify({ [key]: value }), lookback: "1h", limit: "20" });
    return (await this.get<JaegerTrace[] | null>(`/api/traces?${query}`)) ?? [];
  }

  /**
   * The trace holding the span of run `runId`, once it has `spanCount` spans (a trace may arrive
   * in several batches). Polls: the collector batches, so a trace is stored shortly after export.
   */
  async waitForRunTrace(service: string, runId: string, spanCount: number, timeoutMs = 15_000): Promise<JaegerTrace> {
    const deadline = Date.now() + timeoutMs;
    let seen: JaegerTrace | undefined;
    while (Date.now() < deadline) {
      const traces = await this.tracesWithTag(service, "langchain.run.id", runId).catch(() => []);
      if (traces.length > 1) throw new Error(`run ${runId} appears in ${traces.length} traces`);
      seen = traces[0];
      if (seen !== undefined && seen.spans.length >= spanCount) return seen;
      await sleep(200);
    }
    throw new Error(`no trace with run ${runId} and ${spanCount} spans in Jaeger within ${timeoutMs} ms (last seen: ${seen?.spans.length ?? 0} spans)`);
  }
}

export function tagValue(span: JaegerSpan, key: string): unknown {
  return span.tags.find((tag) => tag.key === key)?.value;
}

/** Parent span ID from the span's CHILD_OF reference, if any. */
export function parentSpanIdOf(span: JaegerSpan): string | undefined {
  return span.references.find((reference) => reference.refType === "CHILD_OF")?.spanID;
}

// ---- the app side -----------------------------------------------------------------------------

export interface AppTracing {
  serviceName: string;
  handler: OpenTelemetryCallbackHandler;
  /** Exports the spans and metrics recorded so far. */
  flush(): Promise<void>;
  /** For the app's other instrumentations (e.g. HTTP), so their spans go the same way. */
  tracerProvider: TracerProvider;
  shutdown(): Promise<void>;
}

/** What an app does in production: SDK provider, batch processor, OTLP/HTTP exporter to the collector, our handler. */
export function createAppTracing(collectorOtlpHttpUrl: string, serviceName: string): AppTracing {
  const exporter = new OTLPTraceExporter({
    url: `${collectorOtlpHttpUrl}/v1/traces`,
    // Short, so a flush while the collector is down gives up quickly (the default is 10 s).
    timeoutMillis: 2_000,
  });
  const metricExporter = new OTLPMetricExporter({ url: `${collectorOtlpHttpUrl}/v1/metrics`, timeoutMillis: 2_000 });
  // The app side is what a user of langchain-otel/setup runs (kept off the globals: one per suite).
  const tracing = setupTracing({ serviceName, traceExporter: exporter, metricExporter, registerGlobally: false });
  const handler = new OpenTelemetryCallbackHandler({ tracerProvider: tracing.tracerProvider, meterProvider: tracing.meterProvider });
  return {
    serviceName,
    handler,
    async flush() {
      await tracing.forceFlush();
    },
    tracerProvider: tracing.tracerProvider,
    async shutdown() {
      await handler.shutdown();
      await tracing.shutdown();
    },
  };
}

export interface SuiteStack {
  stack: TraceStack;
  app: AppTracing;
}

/** The stack and the app side for one suite: started in its beforeAll, stopped in its afterAll. */
export function stackForSuite(serviceName: string): SuiteStack {
  const suite = {} as SuiteStack;
  beforeAll(async () => {
    suite.stack = await startTraceStack();
    suite.app = createAppTracing(suite.stack.collector.otlpHttpUrl, serviceName);
  });
  afterAll(async () => {
    await suite.app?.shutdown();
    await suite.stack?.stop();
  });
  return suite;
}

// ---- LangChain's own run tree: test/support/run-recorder.ts ---------------------------------

// ---- comparing a Jaeger trace with the run tree -----------------------------------------------

export interface CheckedTrace {
  trace: JaegerTrace;
  spanOf(run: RecordedRun): JaegerSpan;
  /** The single span with this operation name; fails when there is not exactly one. */
  spanNamed(operationName: string): JaegerSpan;
  spansNamed(operationName: string): JaegerSpan[];
  /** Operation names of the span's ancestors, parent first. */
  ancestorNames(span: JaegerSpan): string[];
}

/** Span names the handler's contract gives each kind of run (chains: their run name; a graph may be `invoke_workflow {name}` or `invoke_agent {name}`). */
function allowedOperationNames(run: RecordedRun): string[] {
  switch (run.runType) {
    case "llm":
      return [`chat ${run.model}`];
    case "tool":
      return [`execute_tool ${run.name}`];
    case "retriever":
      return [`retrieval ${run.name}`];
    default:
      return [run.name, `invoke_workflow ${run.name}`, `invoke_agent ${run.name}`];
  }
}

/** Allowed clock slack between a child's and its parent's bounds, in µs. */
const NESTING_TOLERANCE_US = 1_000;

/**
 * Fetches the trace of `root` from Jaeger and checks that it IS the run tree LangChain reported:
 * one span per run and no other, each span's CHILD_OF parent the span of its parent run, nested
 * in time, with the right name, run type, service, and error flag + exception log exactly on
 * the runs that failed.
 */
export async function expectTraceOfRunTree(query: JaegerQuery, serviceName: string, recorder: RunTreeRecorder, root: RecordedRun): Promise<CheckedTrace> {
  const runs = recorder.treeOf(root);
  const trace = await query.waitForRunTrace(serviceName, root.runId, runs.length);
  const describeSpans = () => trace.spans.map((s) => `${s.operationName} (${String(tagValue(s, "langchain.run.id"))})`).join(", ");

  expect(trace.spans.length, `spans in Jaeger vs runs: ${describeSpans()}`).toBe(runs.length);
  const spanByRunId = new Map<string, JaegerSpan>();
  for (const span of trace.spans) {
    const runId = String(tagValue(span, "langchain.run.id"));
    expect(spanByRunId.has(runId), `two spans for run ${runId}`).toBe(false);
    spanByRunId.set(runId, span);
  }
  const spanOf = (run: RecordedRun): JaegerSpan => {
    const span = spanByRunId.get(run.runId);
    if (span === undefined) throw new Error(`no span for run ${run.name} (${run.runId}) among: ${describeSpans()}`);
    return span;
  };

  for (const run of runs) {
    const span = spanOf(run);
    const label = `${run.runType} run "${run.name}"`;
    expect(trace.processes[span.processID]?.serviceName, `${label}: service`).toBe(serviceName);
    expect(allowedOperationNames(run), `${label}: operation name`).toContain(span.operationName);
    // Written where the span kind does not say it already.
    const runType = tagValue(span, "langchain.run.type") ?? runTypeOfSpanKind(tagValue(span, "openinference.span.kind"));
    expect(runType, `${label}: langchain.run.type, else as openinference.span.kind says`).toBe(run.runType);
    expect(tagValue(span, "span.kind") ?? "internal", `${label}: span kind`).toBe(run.runType === "llm" || run.runType === "retriever" ? "client" : "internal");

    if (run.parentRunId === undefined) {
      expect(span.references, `${label}: the root has no parent`).toEqual([]);
    } else {
      const parent = spanByRunId.get(run.parentRunId);
      expect(parent, `${label}: parent run's span`).toBeDefined();
      expect(parentSpanIdOf(span), `${label}: CHILD_OF the parent run's span`).toBe(parent?.spanID);
      if (parent !== undefined) {
        expect(span.startTime, `${label}: starts within its parent`).toBeGreaterThanOrEqual(parent.startTime - NESTING_TOLERANCE_US);
        expect(span.startTime + span.duration, `${label}: ends within its parent`).toBeLessThanOrEqual(parent.startTime + parent.duration + NESTING_TOLERANCE_US);
      }
    }

    const exceptionLogs = span.logs.filter((log) => log.fields.some((field) => field.key === "event" && field.value === "exception"));
    if (run.failed) {
      expect(tagValue(span, "error"), `${label}: error flag`).toBe(true);
      expect(tagValue(span, "otel.status_code"), `${label}: status`).toBe("ERROR");
      expect(exceptionLogs, `${label}: exception log`).toHaveLength(1);
    } else {
      expect(tagValue(span, "error"), `${label}: no error flag`).toBeUndefined();
      expect(exceptionLogs, `${label}: no exception log`).toHaveLength(0);
    }
  }

  const spansNamed = (operationName: string) => trace.spans.filter((span) => span.operationName === operationName);
  const spanById = new Map(trace.spans.map((span) => [span.spanID, span]));
  return {
    trace,
    spanOf,
    spansNamed,
    ancestorNames(span) {
      const names: string[] = [];
      for (let parent = spanById.get(parentSpanIdOf(span) ?? ""); parent !== undefined; parent = spanById.get(parentSpanIdOf(parent) ?? "")) {
        names.push(parent.operationName);
      }
      return names;
    },
    spanNamed(operationName) {
      const matching = spansNamed(operationName);
      if (matching.length !== 1 || matching[0] === undefined) throw new Error(`expected one span "${operationName}", found ${matching.length} among: ${describeSpans()}`);
      return matching[0];
    },
  };
}
