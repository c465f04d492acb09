import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { diag, DiagLogLevel, trace, type TracerProvider } from "@opentelemetry/api";
import { RunnableLambda } from "@langchain/core/runnables";
import { OpenTelemetryCallbackHandler } from "../src/index.js";
import { LIBRARY_VERSION } from "../src/version.js";
import { createTestTracing } from "./support/tracing.js";

const RUN = "0190f1a2-0000-7000-8000-000000000001";
const CHILD = "0190f1a2-0000-7000-8000-000000000002";
const serialized = { lc: 1, type: "not_implemented", id: ["test", "Chain"] } as never;

describe("the handler never hurts the host app (fault injection: hand-fed callbacks)", () => {
  it("shrugs off unknown, duplicated and out-of-order events", () => {
    const { handler, spans } = createTestTracing();
    expect(() => {
      handler.handleChainEnd({ out: 1 }, "never-started");
      handler.handleLLMEnd({ generations: [] }, "never-started");
      handler.handleToolError(new Error("x"), "never-started");
      handler.handleLLMNewToken("tok", { prompt: 0, completion: 0 }, "never-started");
      handler.handleCustomEvent("evt", {}, "never-started");
      handler.handleChainStart(serialized, { a: 1 }, RUN);
      handler.handleChainStart(serialized, { a: 2 }, RUN); // duplicate start: first span stands
      handler.handleChainStart(serialized, {}, CHILD, RUN);
      handler.handleChainEnd({}, RUN); // parent ends before its child
      handler.handleChainEnd({}, CHILD); // late end of an already-closed child
      handler.handleChainEnd({}, RUN); // duplicate end
    }).not.toThrow();
    expect(spans()).toHaveLength(2);
    expect(spans().find((s) => s.attributes["langchain.run.id"] === CHILD)?.attributes["langchain.run.unfinished"]).toBe("parent_ended");
    expect(handler.openRunCount).toBe(0);
  });

  it("still records the span when tags or metadata are malformed", () => {
    const { handler, spans } = createTestTracing();
    handler.handleChainStart(serialized, {}, RUN, undefined, "not-a-list" as never, null as never);
    handler.handleChainEnd({}, RUN);
    expect(spans()).toHaveLength(1);
    expect(spans()[0]?.attributes["langchain.run.id"]).toBe(RUN);
  });

  it("survives garbage arguments of every shape", () => {
    const { handler } = createTestTracing();
    const garbage: unknown[] = [undefined, null, 42, "str", Symbol("s"), [], {}, new Proxy({}, { get: () => { throw new Error("trap"); } })];
    const methods = Object.getOwnPropertyNames(OpenTelemetryCallbackHandler.prototype).filter((name) => name.startsWith("handle"));
    expect(methods.length).toBeGreaterThanOrEqual(20);
    for (const method of methods) {
      for (const value of garbage) {
        const call = () => (handler as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!(value, value, RUN, value, value, value, value, value);
        expect(call, `${method}(${String(typeof value)})`).not.toThrow();
      }
    }
  });

  it("keeps the chain running when the tracer itself throws", async () => {
    const warnings: string[] = [];
    diag.setLogger({ warn: (m: string) => warnings.push(m), error: () => {}, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
    const broken: TracerProvider = {
      getTracer: () => ({
        startSpan: () => { throw new Error("tracer exploded"); },
        startActiveSpan: () => { throw new Error("tracer exploded"); },
      }),
    };
    try {
      const handler = new OpenTelemetryCallbackHandler({ tracerProvider: broken });
      const result = await RunnableLambda.from((x: number) => x + 1).invoke(1, { callbacks: [handler] });
      expect(result).toBe(2);
      expect(warnings.some((w) => w.includes("tracer exploded"))).toBe(true);
    } finally {
      diag.disable();
    }
  });

  it("forceFlush() never rejects and never waits past flushTimeoutMs: failing, hanging and no-op providers", async () => {
    const failing = { getTracer: () => trace.getTracer("x"), forceFlush: () => Promise.reject(new Error("exporter down")) } as TracerProvider;
    await expect(new OpenTelemetryCallbackHandler({ tracerProvider: failing }).forceFlush()).resolves.toBe(false);
    // A flush that never settles (a black-hole backend) would hold this test past its own timeout.
    const hanging = { getTracer: () => trace.getTracer("x"), forceFlush: () => new Promise<void>(() => {}) } as TracerProvider;
    await expect(new OpenTelemetryCallbackHandler({ tracerProvider: hanging, flushTimeoutMs: 100 }).forceFlush()).resolves.toBe(false);
    await expect(new OpenTelemetryCallbackHandler().shutdown()).resolves.toBe(true);
  });
});

describe("options", () => {
  it.each([
    [{ captureContent: "yes" }, /option "captureContent" must be a boolean/],
    [{ maxContentLength: 10 }, /option "maxContentLength" must be an integer >= 64/],
    [{ maxContentLength: 1.5 }, /option "maxContentLength"/],
    [{ maxContentLength: "1000" }, /option "maxContentLength" must be an integer >= 64, got "1000"\. Use a character count/],
    [{ runTtlMs: "60000" }, /option "runTtlMs" must be a positive number of milliseconds, got "60000"\./],
    [{ runTtlMs: 0 }, /option "runTtlMs" must be a positive number/],
    [{ runTtlMs: Number.NaN }, /option "runTtlMs"/],
    [{ flushTimeoutMs: -1 }, /option "flushTimeoutMs" must be a positive number/],
    [{ tracerProvider: {} }, /option "tracerProvider" has no getTracer\(\) method/],
    [{ captureContents: false }, /option "captureContents" is not an option\. Known options: tracerProvider, captureContent/],
    ["fast", /options must be an object/],
  ])("rejects %j at construction with a message that names the option and the fix", (options, message) => {
    expect(() => new OpenTelemetryCallbackHandler(options as never)).toThrow(message);
  });

  it("accepts every documented option", () => {
    const { provider } = createTestTracing();
    expect(() => new OpenTelemetryCallbackHandler({ tracerProvider: provider, captureContent: false, maxContentLength: 2048, runTtlMs: 60_000, flushTimeoutMs: 2000 })).not.toThrow();
  });

  it("reports the package's version as the instrumentation scope version", async () => {
    const tracing = createTestTracing();
    await RunnableLambda.from((x: number) => x).invoke(1, { callbacks: [tracing.handler] });
    const packageJson = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { name: string; version: string };
    expect(LIBRARY_VERSION).toBe(packageJson.version);
    expect(tracing.spans()[0]?.instrumentationScope).toMatchObject({ name: packageJson.name, version: packageJson.version });
  });
});
