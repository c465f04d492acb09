/**
 * The collector goes away mid-run and comes back: the app must not notice (no slower
 * invocations, no exception), and what it traces after the restart must reach Jaeger.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  createAppTracing,
  describeE2E,
  expectTraceOfRunTree,
  startCollector,
  startTraceStack,
  type AppTracing,
  type TraceStack,
} from "./stack.js";
import { RunTreeRecorder } from "../support/run-recorder.js";
import { answerChain } from "./workloads.js";

const SERVICE_NAME = "langchain-otel-e2e-restart";
const REPLY = "Still answering.";
/** Invocations while the collector is down. */
const INVOCATIONS_DURING_OUTAGE = 20;
/**
 * An invocation takes a few ms; exporting is the batch processor's background work. An
 * invocation that waited for the dead collector would take at least a connect attempt, and one
 * that waited for the exporter's timeout (2 s here) would exceed this by far.
 */
const MAX_INVOCATION_MS = 250;

describeE2E("the collector restarts while the app is tracing", () => {
  let stack: TraceStack;
  let app: AppTracing;
  const escaped: unknown[] = [];
  const recordEscape = (error: unknown) => escaped.push(error);

  beforeAll(async () => {
    stack = await startTraceStack();
    app = createAppTracing(stack.collector.otlpHttpUrl, SERVICE_NAME);
    process.on("unhandledRejection", recordEscape);
    process.on("uncaughtException", recordEscape);
  });

  afterAll(async () => {
    process.off("unhandledRejection", recordEscape);
    process.off("uncaughtException", recordEscape);
    await app?.shutdown();
    await stack?.stop();
  });

  /** Invokes the chain once with the handler and `recorder`, returning how long the invocation took. */
  async function timedInvocation(recorder: RunTreeRecorder, question: string): Promise<number> {
    const started = performance.now();
    const answer = await answerChain(REPLY).invoke({ question }, { callbacks: [app.handler, recorder] });
    const elapsed = performance.now() - started;
    expect(answer).toBe(REPLY);
    return elapsed;
  }

  it("keeps invocations fast and unbroken while the collector is down, and delivers again after its restart", async () => {
    // Before: traces arrive.
    const before = new RunTreeRecorder();
    await timedInvocation(before, "before the outage");
    await app.handler.forceFlush();
    await expectTraceOfRunTree(stack.jaeger.query, SERVICE_NAME, before, before.root());

    // Outage: the collector stops while a run is in flight; the app goes on invoking, and
    // flushing, as it would.
    const inFlight = answerChain(REPLY, 300).invoke({ question: "in flight" }, { callbacks: [app.handler, new RunTreeRecorder()] });
    const ports = stack.collector.ports;
    await stack.collector.process.stop();
    expect(stack.collector.process.running).toBe(false);
    await expect(inFlight).resolves.toBe(REPLY);
    const during = new RunTreeRecorder();
    const durations: number[] = [];
    for (let index = 0; index < INVOCATIONS_DURING_OUTAGE; index++) durations.push(await timedInvocation(during, `during the outage #${index}`));
    expect(during.roots()).toHaveLength(INVOCATIONS_DURING_OUTAGE);
    expect(Math.max(...durations), `invocation times during the outage: ${durations.map((ms) => ms.toFixed(1)).join(", ")} ms`).toBeLessThan(MAX_INVOCATION_MS);
    // A serverless app flushes at the end of each request: that must not throw either.
    await expect(app.handler.forceFlush()).resolves.toBeTypeOf("boolean");
    expect(app.handler.openRunCount).toBe(0);

    // Restart on the same ports: the app's exporter reconnects by itself.
    stack.collector = await startCollector(stack.binaries.otelcol, stack.jaeger.otlpGrpcEndpoint, { ports });
    const after = new RunTreeRecorder();
    await timedInvocation(after, "after the restart");
    await app.handler.forceFlush();
    await expectTraceOfRunTree(stack.jaeger.query, SERVICE_NAME, after, after.root());

    expect(escaped).toEqual([]);
  });
});
