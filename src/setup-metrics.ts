/**
 * The metrics half of `langchain-otel/setup`: a MeterProvider whose periodic reader pushes the
 * handler's GenAI metrics to the same OTLP endpoint as the traces, over the same protocol.
 *
 * Environment variables:
 * - Read here: `OTEL_METRICS_EXPORTER` (comma-separated: `otlp`, the default; `console`; `none`),
 *   `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`,
 *   the default, `http/json`, `grpc`: each its exporter package, an optional peer; a missing one
 *   costs a `diag` warning and the OTLP metrics, never the traces), `OTEL_METRIC_EXPORT_INTERVAL`
 *   (ms, default 60000), `OTEL_METRIC_EXPORT_TIMEOUT` (ms, default 30000, at most the interval).
 *   A value we cannot use costs a `diag` warning and its default.
 * - Read by the OTLP metric exporter itself: `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/metrics`),
 *   `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` (used as is), `OTEL_EXPORTER_OTLP_[METRICS_]HEADERS`,
 *   `_TIMEOUT`, `_COMPRESSION`, `_CERTIFICATE`, ..., and
 *   `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` (cumulative by default, what Prometheus wants).
 */
import { diag } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
} from "@opentelemetry/sdk-metrics";
import { peerRequire } from "./peer-require.js";
import { DEFAULT_OTLP_PROTOCOL, otlpProtocolFromEnv, type OtlpProtocol } from "./trace-exporter.js";

/** OTLP protocols and the package whose `OTLPMetricExporter` speaks each. */
export const OTLP_METRIC_EXPORTER_PACKAGES: Record<OtlpProtocol, string> = {
  "http/protobuf": "@opentelemetry/exporter-metrics-otlp-proto",
  "http/json": "@opentelemetry/exporter-metrics-otlp-http",
  grpc: "@opentelemetry/exporter-metrics-otlp-grpc",
};

export const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 60_000;
export const DEFAULT_METRIC_EXPORT_TIMEOUT_MS = 30_000;

export interface MetricsSetupOptions {
  /** Where the periodic reader pushes metrics. Default: from `OTEL_METRICS_EXPORTER` (`otlp`). `null`: only `metricReaders`. */
  metricExporter?: PushMetricExporter | null;
  /** Extra readers, e.g. one a test collects from. */
  metricReaders?: IMetricReader[];
}

type Env = Record<string, string | undefined>;

/** Milliseconds from an OTel duration variable; unset or unusable gives the default. */
function millisecondsFromEnv(env: Env, name: string, defaultValue: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return defaultValue;
  const value = Number(raw);
  if (Number.isFinite(value) && value > 0) return value;
  diag.warn(`langchain-otel/setup: ${name}="${raw}" is not a positive number of milliseconds; using ${defaultValue}.`);
  return defaultValue;
}

/** Metrics must never cost the traces: a protocol we cannot use is a warning and the default. */
function otlpMetricProtocol(env: Env): OtlpProtocol {
  try {
    return otlpProtocolFromEnv(env, "METRICS").protocol;
  } catch (error) {
    diag.warn(`langchain-otel/setup: ${error instanceof Error ? error.message : String(error)} Metrics use ${DEFAULT_OTLP_PROTOCOL}.`);
    return DEFAULT_OTLP_PROTOCOL;
  }
}

/** The OTLP metric exporter of the protocol the environment asks for; undefined (with a warning) when its package is missing. */
function otlpMetricExporter(env: Env, requirePeer: NodeJS.Require): PushMetricExporter | undefined {
  const protocol = otlpMetricProtocol(env);
  const packageName = OTLP_METRIC_EXPORTER_PACKAGES[protocol];
  try {
    const { OTLPMetricExporter } = requirePeer(packageName) as { OTLPMetricExporter: new () => PushMetricExporter };
    return new OTLPMetricExporter();
  } catch (error) {
    diag.warn(
      `langchain-otel/setup: metrics over OTLP ${protocol} need the optional peer dependency ${packageName} ` +
        `(npm install ${packageName}, or OTEL_METRICS_EXPORTER=none to silence this); no metrics are exported: ${String(error)}`,
    );
    return undefined;
  }
}

/** The exporters `OTEL_METRICS_EXPORTER` names (the spec's values this package ships: otlp, console, none). */
export function metricExportersFromEnv(env: Env = process.env, requirePeer: NodeJS.Require = peerRequire): PushMetricExporter[] {
  const names = (env["OTEL_METRICS_EXPORTER"] ?? "").split(",").map((name) => name.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) names.push("otlp");
  if (names.includes("none")) return [];
  const exporters: PushMetricExporter[] = [];
  for (const name of new Set(names)) {
    if (name === "otlp") {
      const exporter = otlpMetricExporter(env, requirePeer);
      if (exporter !== undefined) exporters.push(exporter);
    }
    else if (name === "console") exporters.push(new ConsoleMetricExporter());
    else diag.warn(`langchain-otel/setup: OTEL_METRICS_EXPORTER names "${name}", which this setup does not provide (otlp, console, none); ignored.`);
  }
  return exporters;
}

/** Builds the meter provider: one periodic reader per exporter, plus the given readers. */
export function createMeterProvider(resource: Resource, options: MetricsSetupOptions, env: Env = process.env): MeterProvider {
  const exporters = options.metricExporter === undefined ? metricExportersFromEnv(env) : options.metricExporter === null ? [] : [options.metricExporter];
  const exportIntervalMillis = millisecondsFromEnv(env, "OTEL_METRIC_EXPORT_INTERVAL", DEFAULT_METRIC_EXPORT_INTERVAL_MS);
  // The reader refuses a timeout longer than the interval.
  const exportTimeoutMillis = Math.min(exportIntervalMillis, millisecondsFromEnv(env, "OTEL_METRIC_EXPORT_TIMEOUT", DEFAULT_METRIC_EXPORT_TIMEOUT_MS));
  const readers: IMetricReader[] = [
    ...exporters.map((exporter) => new PeriodicExportingMetricReader({ exporter, exportIntervalMillis, exportTimeoutMillis })),
    ...(options.metricReaders ?? []),
  ];
  return new MeterProvider({ resource, readers });
}
