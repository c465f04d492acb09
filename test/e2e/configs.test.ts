/**
 * The repo's collector and Jaeger configs, checked by the real binaries at the pinned versions:
 * they validate, every APM backend exporter can be switched on with none of its variables
 * set, and the exporter list really comes from the environment.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { readStackVersions, readYaml, STACK_FILES } from "../stack-files.js";
import { describeE2E, locateBinaries, runBinary, startCollector, validateConfig, type CollectorService, type StackBinaries } from "./stack.js";

/** Exporters that take no traces (the Prometheus endpoint serves metrics only). */
const METRICS_ONLY_EXPORTERS = ["prometheus"];

/** Every exporter collector-config.yaml defines for `signal`, as one pipeline list. */
function allExporters(signal: "traces" | "metrics" = "traces"): string {
  const config = readYaml(STACK_FILES.collectorConfig) as { exporters: Record<string, unknown> };
  const names = Object.keys(config.exporters).filter((name) => signal === "metrics" || !METRICS_ONLY_EXPORTERS.includes(name));
  return `[${names.join(", ")}]`;
}

describeE2E("collector-config.yaml and jaeger-config.yaml on the real binaries", () => {
  let binaries: StackBinaries;
  let collector: CollectorService | undefined;

  beforeAll(() => {
    binaries = locateBinaries();
  });

  afterAll(async () => {
    await collector?.process.stop();
  });

  it("the binaries are the pinned versions", () => {
    const versions = readStackVersions();
    expect(runBinary(binaries.jaeger, ["version"]).output).toContain(`"gitVersion":"v${versions.jaeger}"`);
    expect(runBinary(binaries.otelcol, ["--version"]).output).toContain(`version ${versions.otelcol}`);
    expect(runBinary(binaries.prometheus, ["--version"]).output).toContain(`prometheus, version ${versions.prometheus}`);
  });

  it("jaeger validate accepts jaeger-config.yaml", () => {
    const result = validateConfig(binaries.jaeger, STACK_FILES.jaegerConfig);
    expect(result.status, result.output).toBe(0);
  });

  it("otelcol validate accepts collector-config.yaml as is, and with every backend exporter switched on but none configured", () => {
    const plain = validateConfig(binaries.otelcol, STACK_FILES.collectorConfig);
    expect(plain.status, plain.output).toBe(0);
    const everything = validateConfig(binaries.otelcol, STACK_FILES.collectorConfig, {
      COLLECTOR_TRACES_EXPORTERS: allExporters(),
      COLLECTOR_METRICS_EXPORTERS: allExporters("metrics"),
    });
    expect(everything.status, everything.output).toBe(0);
  });

  it("otelcol validate rejects an exporter list naming an exporter the config lacks (the list is read from the environment)", () => {
    const result = validateConfig(binaries.otelcol, STACK_FILES.collectorConfig, { COLLECTOR_TRACES_EXPORTERS: "[otlp_grpc/jaeger, otlp_http/nowhere]" });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("otlp_http/nowhere");
  });

  it("the collector starts and turns healthy with every backend exporter in the pipeline and no backend variable set", async () => {
    // Nothing listens at this Jaeger endpoint: the exporter only connects when it has data.
    collector = await startCollector(binaries.otelcol, "127.0.0.1:9", {
      variables: { COLLECTOR_TRACES_EXPORTERS: allExporters(), COLLECTOR_METRICS_EXPORTERS: allExporters("metrics") },
    });
    expect(collector.process.running).toBe(true);
    expect(collector.process.log()).toContain("Everything is ready");
    await collector.process.stop();
  });
});
