/**
 * The trace stack's files, as the tests read them: docker-compose.yml, the collector, Jaeger and
 * Prometheus configs, the pinned versions (scripts/otel-versions.env) and the collector builder manifest.
 * Shared by test/compose.test.ts and the e2e suite, so both talk about the same files.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";

export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

export const STACK_FILES = {
  compose: `${REPO_ROOT}docker-compose.yml`,
  collectorConfig: `${REPO_ROOT}collector-config.yaml`,
  jaegerConfig: `${REPO_ROOT}jaeger-config.yaml`,
  prometheusConfig: `${REPO_ROOT}prometheus.yml`,
  versions: `${REPO_ROOT}scripts/otel-versions.env`,
  builderManifest: `${REPO_ROOT}scripts/otelcol-builder.yaml`,
  binariesScript: `${REPO_ROOT}scripts/otel-binaries.sh`,
} as const;

export function readText(path: string): string {
  return readFileSync(path, "utf8");
}

export function readYaml(path: string): unknown {
  return parseYaml(readText(path));
}

export interface StackVersions {
  /** Jaeger v2 release, e.g. "2.13.0": the image tag and what `jaeger version` reports. */
  jaeger: string;
  /** The same release's Go module tag, e.g. "v1.76.0". */
  jaegerModule: string;
  /** OpenTelemetry Collector release, e.g. "0.159.0". */
  otelcol: string;
  /** Prometheus release, e.g. "3.15.0": the image tag (with a "v") and what `prometheus --version` reports. */
  prometheus: string;
  /** The same release's Go module tag, e.g. "v0.315.0". */
  prometheusModule: string;
}

/** Reads scripts/otel-versions.env (KEY=VALUE lines, as bash sources it). */
export function readStackVersions(): StackVersions {
  const values = new Map<string, string>();
  for (const line of readText(STACK_FILES.versions).split("\n")) {
    const match = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) values.set(match[1], match[2]);
  }
  const required = (key: string): string => {
    const value = values.get(key);
    if (value === undefined) throw new Error(`${STACK_FILES.versions} does not set ${key}`);
    return value;
  };
  return {
    jaeger: required("JAEGER_VERSION"),
    jaegerModule: required("JAEGER_MODULE_VERSION"),
    otelcol: required("OTELCOL_VERSION"),
    prometheus: required("PROMETHEUS_VERSION"),
    prometheusModule: required("PROMETHEUS_MODULE_VERSION"),
  };
}

export interface EnvReference {
  name: string;
  /** The `:-default`, or undefined when the reference has none. */
  defaultValue: string | undefined;
}

/** Every `${env:NAME}` / `${env:NAME:-default}` in a collector-style config file, comment lines aside. */
export function envReferences(configText: string): EnvReference[] {
  const withoutComments = configText
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n");
  return [...withoutComments.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g)].map((match) => ({
    name: match[1] ?? "",
    defaultValue: match[2],
  }));
}
