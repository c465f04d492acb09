/**
 * Static checks of the trace stack's files (no Docker needed): docker-compose.yml is valid
 * Compose, pins the versions the e2e tests build natively, starts without any backend
 * variable set, and publishes its ports on loopback by default.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { envReferences, readStackVersions, readText, readYaml, STACK_FILES } from "./stack-files.js";

const require = createRequire(import.meta.url);

/** Variables of collector-config.yaml that only the native e2e run sets (listen addresses, the Jaeger target): compose keeps the container defaults. */
const NATIVE_ONLY_COLLECTOR_VARIABLES = [
  "COLLECTOR_HEALTH_ENDPOINT",
  "COLLECTOR_OTLP_GRPC_ENDPOINT",
  "COLLECTOR_OTLP_HTTP_ENDPOINT",
  "COLLECTOR_METRICS_HOST",
  "COLLECTOR_METRICS_PORT",
  "COLLECTOR_PROMETHEUS_ENDPOINT",
  "JAEGER_OTLP_ENDPOINT",
];
const NATIVE_ONLY_JAEGER_VARIABLES = [
  "JAEGER_OTLP_GRPC_ENDPOINT",
  "JAEGER_QUERY_HTTP_ENDPOINT",
  "JAEGER_QUERY_GRPC_ENDPOINT",
  "JAEGER_HEALTH_ENDPOINT",
  "JAEGER_METRICS_HOST",
  "JAEGER_METRICS_PORT",
];

interface ComposeService {
  image?: string;
  command?: string[];
  volumes?: string[];
  environment?: string[] | Record<string, string>;
  ports?: string[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition?: string }>;
}
interface CollectorConfig {
  connectors: Record<string, unknown>;
  exporters: Record<string, { endpoint?: string; headers?: Record<string, string> }>;
  service: { pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] | string }> };
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

/** The official Compose JSON schema (draft-07), as shipped by the dclint package. */
function compileComposeSchema(): ValidateFunction {
  const schemaPath = join(dirname(require.resolve("dclint/package.json")), "schemas", "compose.schema.json");
  const schema = JSON.parse(readText(schemaPath)) as object;
  // The schema's non-standard keywords trip Ajv's strict mode; the validation itself is standard draft-07.
  const ajv = new Ajv({ allErrors: true, strict: false });
  // The schema names its meta-schema with an https URL; Ajv registers draft-07 under http only.
  const draft07 = JSON.parse(readText(require.resolve("ajv/dist/refs/json-schema-draft-07.json"))) as object;
  ajv.addMetaSchema({ ...draft07, $id: "https://json-schema.org/draft-07/schema" });
  return ajv.compile(schema);
}

function service(compose: ComposeFile, name: string): ComposeService {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

function environmentNames(service: ComposeService): string[] {
  const environment = service.environment ?? [];
  return Array.isArray(environment) ? environment.map((entry) => entry.split("=")[0] ?? entry) : Object.keys(environment);
}

function imageTag(service: ComposeService): string | undefined {
  return service.image?.split(":")[1];
}

describe("docker-compose.yml", () => {
  let validateCompose: ValidateFunction;
  const compose = readYaml(STACK_FILES.compose) as ComposeFile;
  const versions = readStackVersions();

  beforeAll(() => {
    validateCompose = compileComposeSchema();
  });

  it("is valid against the Compose JSON schema", () => {
    const valid = validateCompose(compose);
    expect(validateCompose.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("would fail the schema with a misspelt key or a mistyped value (the validator bites)", () => {
    const broken = structuredClone(compose) as ComposeFile & { services: Record<string, Record<string, unknown>> };
    const jaeger = broken.services["jaeger"] as Record<string, unknown>;
    jaeger["imagee"] = jaeger["image"];
    jaeger["healthcheck"] = { test: ["CMD", "true"], interval: 5 };
    expect(validateCompose(broken)).toBe(false);
    const messages = (validateCompose.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
    expect(messages).toContain("/services/jaeger must NOT have additional properties");
    expect(messages).toContain("/services/jaeger/healthcheck/interval must be string");
  });

  it("pins Jaeger and the collector to the versions scripts/otel-binaries.sh builds", () => {
    const jaeger = service(compose, "jaeger");
    const collector = service(compose, "otel-collector");
    expect(jaeger.image).toBe(`jaegertracing/jaeger:${versions.jaeger}`);
    expect(collector.image).toBe(`otel/opentelemetry-collector-contrib:${versions.otelcol}`);
    expect(imageTag(jaeger)).toMatch(/^2\.\d+\.\d+$/);
  });

  it("builds the native collector from components of that same collector release", () => {
    const manifest = readYaml(STACK_FILES.builderManifest) as {
      dist: { version: string };
      receivers: Array<{ gomod: string }>;
      processors: Array<{ gomod: string }>;
      exporters: Array<{ gomod: string }>;
      connectors: Array<{ gomod: string }>;
      extensions: Array<{ gomod: string }>;
    };
    expect(manifest.dist.version).toBe(versions.otelcol);
    const components = [...manifest.receivers, ...manifest.processors, ...manifest.exporters, ...manifest.connectors, ...manifest.extensions];
    // The components collector-config.yaml uses beyond the core ones.
    expect(components.map(({ gomod }) => gomod.split(" ")[0]?.split("/").pop())).toEqual(
      expect.arrayContaining(["prometheusexporter", "spanmetricsconnector", "healthcheckextension"]),
    );
    expect(components.length).toBeGreaterThan(0);
    for (const { gomod } of components) expect(gomod).toMatch(new RegExp(` v${versions.otelcol.replaceAll(".", "\\.")}$`));
  });

  it("runs both services on the top-level config files", () => {
    expect(service(compose, "jaeger").volumes).toContain("./jaeger-config.yaml:/etc/jaeger/config.yaml:ro");
    expect(service(compose, "jaeger").command).toEqual(["--config", "/etc/jaeger/config.yaml"]);
    expect(service(compose, "otel-collector").volumes).toContain("./collector-config.yaml:/etc/otelcol-contrib/config.yaml:ro");
    expect(service(compose, "otel-collector").command).toEqual(["--config=/etc/otelcol-contrib/config.yaml"]);
  });

  it("pins Prometheus to the version scripts/otel-binaries.sh builds, on prometheus.yml, and Jaeger waits for it", () => {
    const prometheus = service(compose, "prometheus");
    expect(prometheus.image).toBe(`prom/prometheus:v${versions.prometheus}`);
    expect(versions.prometheusModule).toBe(`v0.${versions.prometheus.split(".")[0]}${versions.prometheus.split(".")[1]?.padStart(2, "0")}.${versions.prometheus.split(".")[2]}`);
    expect(prometheus.volumes).toContain("./prometheus.yml:/etc/prometheus/prometheus.yml:ro");
    expect(prometheus.command).toContain("--config.file=/etc/prometheus/prometheus.yml");
    expect(prometheus.healthcheck?.test?.[0]).toBe("CMD");
    expect(service(compose, "jaeger").depends_on).toEqual({ prometheus: { condition: "service_healthy" } });
  });

  it("starts the collector after a healthy Jaeger, probed without a shell", () => {
    expect(service(compose, "otel-collector").depends_on).toEqual({ jaeger: { condition: "service_healthy" } });
    // Exec form: the probe must not need /bin/sh.
    expect(service(compose, "jaeger").healthcheck?.test?.[0]).toBe("CMD");
    // The collector image is FROM scratch: a healthcheck there could never pass.
    expect(service(compose, "otel-collector").healthcheck).toBeUndefined();
  });

  it("publishes every port on loopback unless STACK_HOST_IP says otherwise", () => {
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^\$\{STACK_HOST_IP:-127\.0\.0\.1\}:\$\{[A-Z_]+:-\d+\}:\d+$/);
  });

  it("passes through every backend variable the collector config reads, and only those", () => {
    const read = new Set(envReferences(readText(STACK_FILES.collectorConfig)).map((ref) => ref.name));
    const expected = [...read].filter((name) => !NATIVE_ONLY_COLLECTOR_VARIABLES.includes(name)).sort();
    expect(expected).toContain("HONEYCOMB_API_KEY");
    expect(environmentNames(service(compose, "otel-collector")).sort()).toEqual(expected);
    const jaegerRead = new Set(envReferences(readText(STACK_FILES.jaegerConfig)).map((ref) => ref.name));
    expect(environmentNames(service(compose, "jaeger")).sort()).toEqual([...jaegerRead].filter((name) => !NATIVE_ONLY_JAEGER_VARIABLES.includes(name)).sort());
  });

  it("passes variables by name only, so unset ones stay unset and the configs' defaults apply", () => {
    // `${env:VAR:-default}` ignores its default when VAR is set to "": a `VAR=${VAR}` entry would break the stack.
    for (const s of Object.values(compose.services)) {
      for (const entry of (s.environment ?? []) as string[]) expect(entry).toMatch(/^[A-Z_]+$/);
    }
  });
});

describe("collector-config.yaml and jaeger-config.yaml", () => {
  it("give every environment reference a default, so the stack starts with none set", () => {
    for (const path of [STACK_FILES.collectorConfig, STACK_FILES.jaegerConfig]) {
      const references = envReferences(readText(path));
      expect(references.length).toBeGreaterThan(0);
      expect(references.filter((ref) => ref.defaultValue === undefined).map((ref) => ref.name)).toEqual([]);
    }
  });

  it("take secrets from the environment only: every header value is a reference", () => {
    const config = readYaml(STACK_FILES.collectorConfig) as { exporters: Record<string, { headers?: Record<string, string> }> };
    const headerValues = Object.values(config.exporters).flatMap((exporter) => Object.values(exporter.headers ?? {}));
    expect(headerValues.length).toBeGreaterThanOrEqual(7);
    for (const value of headerValues) expect(value).toMatch(/\$\{env:[A-Z_]+:-\}$/);
  });

  it("scrape the collector's Prometheus endpoint, and point Jaeger's Monitor tab at that Prometheus", () => {
    const collector = readYaml(STACK_FILES.collectorConfig) as CollectorConfig;
    const exporterPort = /:(\d+)\}$/.exec(collector.exporters["prometheus"]?.endpoint ?? "")?.[1];
    const prometheus = readYaml(STACK_FILES.prometheusConfig) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    const targets = prometheus.scrape_configs.flatMap((job) => job.static_configs.flatMap((c) => c.targets));
    expect(targets).toEqual([`otel-collector:${exporterPort}`]);
    const jaeger = readYaml(STACK_FILES.jaegerConfig) as {
      extensions: {
        jaeger_query: { storage: { metrics: string } };
        jaeger_storage: { metric_backends: Record<string, { prometheus: { endpoint: string; normalize_calls: boolean; normalize_duration: boolean } }> };
      };
    };
    const backend = jaeger.extensions.jaeger_storage.metric_backends[jaeger.extensions.jaeger_query.storage.metrics]?.prometheus;
    expect(backend?.endpoint).toBe("${env:JAEGER_PROMETHEUS_ENDPOINT:-http://prometheus:9090}");
    // The spanmetrics connector's names carry the _total and _milliseconds suffixes.
    expect([backend?.normalize_calls, backend?.normalize_duration]).toEqual([true, true]);
  });

  it("turn every span into span metrics whatever the traces exporter list, and send metrics to Prometheus and the debug log by default", () => {
    const { connectors, service: { pipelines } } = readYaml(STACK_FILES.collectorConfig) as CollectorConfig;
    expect(Object.keys(connectors)).toEqual(["spanmetrics"]);
    expect(pipelines["traces/spanmetrics"]).toEqual({ receivers: ["otlp"], processors: ["memory_limiter"], exporters: ["spanmetrics"] });
    expect(pipelines["metrics/spanmetrics"]).toEqual({ receivers: ["spanmetrics"], exporters: ["prometheus"] });
    expect(pipelines["metrics"]?.receivers).toEqual(["otlp"]);
    expect(pipelines["metrics"]?.processors).toEqual(["memory_limiter", "batch"]);
    expect(pipelines["metrics"]?.exporters).toBe("${env:COLLECTOR_METRICS_EXPORTERS:-[prometheus, debug]}");
  });

  it("send traces to Jaeger and the debug log by default, through memory_limiter then batch", () => {
    const config = readYaml(STACK_FILES.collectorConfig) as {
      service: { pipelines: { traces: { processors: string[]; exporters: string } } };
    };
    expect(config.service.pipelines.traces.processors).toEqual(["memory_limiter", "batch"]);
    expect(config.service.pipelines.traces.exporters).toBe("${env:COLLECTOR_TRACES_EXPORTERS:-[otlp_grpc/jaeger, debug]}");
  });
});
