import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";
import { trace } from "@opentelemetry/api";
import { OTLPTraceExporter as GrpcTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPTraceExporter as JsonTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { ConsoleSpanExporter, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setupTracing, type Tracing } from "../src/setup.js";
import { traceExportersFromEnv } from "../src/trace-exporter.js";
import { startOtlpReceiver, type OtlpReceiver } from "./support/otlp-receiver.js";

const EXPORT_ENV_VARS = [
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_PROTOCOL",
  "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
  "OTEL_TRACES_EXPORTER",
  "OTEL_SDK_DISABLED",
] as const;

/** A require that finds no package at all: Node's own error for a peer that is not installed. */
const requireWithNoPackages = createRequire(join(tmpdir(), "langchain-otel-no-packages-here.js"));

describe("setupTracing picks the exporter from the environment", () => {
  let receiver: OtlpReceiver;
  let savedEnv: Map<string, string | undefined>;
  let tracing: Tracing | undefined;

  beforeEach(async () => {
    savedEnv = new Map(EXPORT_ENV_VARS.map((name) => [name, process.env[name]]));
    for (const name of EXPORT_ENV_VARS) delete process.env[name];
    receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.baseUrl;
  });
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
    await receiver.close();
    for (const [name, value] of savedEnv) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  async function exportOneSpan(name: string): Promise<void> {
    tracing = setupTracing({ serviceName: "exporter-test" });
    trace.getTracer("exporter-test").startSpan(name).end();
    await tracing.forceFlush();
  }

  it("sends OTLP/protobuf over HTTP by default, as the OTel spec says", async () => {
    await exportOneSpan("default protocol");
    expect(receiver.requests.map((request) => [request.path, request.headers["content-type"]])).toEqual([
      ["/v1/traces", "application/x-protobuf"],
    ]);
    expect(receiver.spans.map((span) => [span.name, span.resource["service.name"]])).toEqual([["default protocol", "exporter-test"]]);
  });

  it("sends OTLP/JSON for OTEL_EXPORTER_OTLP_PROTOCOL=http/json, and the TRACES_ variable wins", async () => {
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = "grpc";
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = "http/json";
    await exportOneSpan("json protocol");
    expect(receiver.requests.map((request) => request.headers["content-type"])).toEqual(["application/json"]);
    expect(receiver.spans.map((span) => span.name)).toEqual(["json protocol"]);
  });

  it("exports nothing, and registers no global, when OTEL_SDK_DISABLED=true", async () => {
    process.env.OTEL_SDK_DISABLED = "TRUE";
    const inMemory = new InMemorySpanExporter();
    tracing = setupTracing({ spanProcessors: [new SimpleSpanProcessor(inMemory)] });
    expect(trace.getTracerProvider()).not.toBe(tracing.tracerProvider);
    tracing.tracerProvider.getTracer("exporter-test").startSpan("disabled").end();
    await tracing.forceFlush();
    expect(inMemory.getFinishedSpans()).toEqual([]);
    expect(receiver.requests).toEqual([]);
  });

  it("exports nothing for OTEL_TRACES_EXPORTER=none, but keeps the given span processors", async () => {
    process.env.OTEL_TRACES_EXPORTER = "none";
    const inMemory = new InMemorySpanExporter();
    tracing = setupTracing({ spanProcessors: [new SimpleSpanProcessor(inMemory)] });
    trace.getTracer("exporter-test").startSpan("kept locally").end();
    await tracing.forceFlush();
    expect(inMemory.getFinishedSpans().map((span) => span.name)).toEqual(["kept locally"]);
    expect(receiver.requests).toEqual([]);
  });
});

describe("traceExportersFromEnv", () => {
  it("builds each protocol's own exporter class", () => {
    expect(traceExportersFromEnv({})[0]).toBeInstanceOf(ProtobufTraceExporter);
    expect(traceExportersFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" })[0]).toBeInstanceOf(JsonTraceExporter);
    const [grpc] = traceExportersFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: " grpc " });
    expect(grpc).toBeInstanceOf(GrpcTraceExporter);
    void grpc?.shutdown();
  });

  it("builds the console exporter, and one of each for a list", () => {
    const exporters = traceExportersFromEnv({ OTEL_TRACES_EXPORTER: "otlp, console,otlp" });
    expect(exporters.map((exporter) => exporter.constructor)).toEqual([ProtobufTraceExporter, ConsoleSpanExporter]);
    expect(traceExportersFromEnv({ OTEL_TRACES_EXPORTER: "console,none" })).toEqual([]);
  });

  it("names the variable and the valid values for an unknown exporter or protocol", () => {
    expect(() => traceExportersFromEnv({ OTEL_TRACES_EXPORTER: "zipkin" })).toThrow(
      'OTEL_TRACES_EXPORTER names "zipkin"; this set-up knows otlp, console, none. For another exporter, pass it in code',
    );
    expect(() => traceExportersFromEnv({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http" })).toThrow(
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="http" is not an OTLP protocol; use http/protobuf, http/json, grpc',
    );
  });

  it("names the package to install when the protocol's exporter is missing", () => {
    expect(() => traceExportersFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }, requireWithNoPackages)).toThrow(
      'setupTracing: OTEL_EXPORTER_OTLP_PROTOCOL is "grpc", which needs the optional peer dependency ' +
        "@opentelemetry/exporter-trace-otlp-grpc: run `npm install @opentelemetry/exporter-trace-otlp-grpc`",
    );
    expect(() => traceExportersFromEnv({}, requireWithNoPackages)).toThrow(
      "OTLP over http/protobuf is the default protocol, which needs the optional peer dependency @opentelemetry/exporter-trace-otlp-proto",
    );
  });

  it("lets other load errors through unchanged", () => {
    const broken = Object.assign((id: string) => {
      throw Object.assign(new Error(`Cannot find module 'protobufjs' required by ${id}`), { code: "MODULE_NOT_FOUND" });
    }, requireWithNoPackages);
    expect(() => traceExportersFromEnv({}, broken)).toThrow("Cannot find module 'protobufjs'");
  });
});
