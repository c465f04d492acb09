// Throughput of one process with the real export path: BatchSpanProcessor (SDK defaults: queue
// 2048, batches of 512, 5 s delay) → OTLPTraceExporter (OTLP/HTTP, JSON, as setupTracing builds
// it) → a loopback receiver in a child process that only counts what arrives.
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { spawn } from "node:child_process";
import { setImmediate as nextMacrotask, setTimeout as sleep } from "node:timers/promises";
import { OpenTelemetryCallbackHandler } from "../../dist/esm/index.js";
import type { Handlers, Workload } from "./workloads.js";

export interface ScaleSettings {
  workloadIds: string[];
  /** Invocations kept in flight at once while measuring throughput. */
  concurrency: number;
  /** How long each throughput measurement runs. */
  seconds: number;
  /** Burst sizes (invocations started at once) tried for the queue's limit. */
  bursts: number[];
}

export interface ScaleResult {
  runsPerInvocation: number;
  /** CPU µs per run (user + system, this process), without a handler and with ours exporting. */
  cpuUsPerRunWithout: number;
  cpuUsPerRunWithOurs: number;
  /** Runs per second one core can record: 1 / (ours − without), CPU time. */
  recordedRunsPerCoreSecond: number;
  /** Runs per second the process completed with ours exporting, wall clock, all cores. */
  runsPerSecondWithOurs: number;
  spansEndedAtFullSpeed: number;
  spansDroppedAtFullSpeed: number;
  /** Per burst size: spans ended and spans that never reached the receiver. */
  bursts: Array<{ invocations: number; spans: number; dropped: number }>;
}

/** A receiver in its own process (a collector is not on the measured core): counts spans in OTLP/JSON bodies. */
const RECEIVER_SOURCE = `
const { createServer } = require("node:http");
let spans = 0;
const server = createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    spans += (Buffer.concat(chunks).toString("utf8").match(/"spanId":/g) || []).length;
    response.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
});
process.on("message", () => process.send({ spans }));
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
`;

interface Receiver {
  url: string;
  spans(): Promise<number>;
  close(): void;
}

/**
 * What the receiver holds once deliveries stop: `forceFlush` resolves without waiting for an
 * export the processor started on its own (a full batch), so the count is read until it settles.
 */
async function settledCount(receiver: Receiver): Promise<number> {
  let count = await receiver.spans();
  for (let reads = 0; reads < 40; reads += 1) {
    await sleep(100);
    const next = await receiver.spans();
    if (next === count) return count;
    count = next;
  }
  return count;
}

async function startReceiver(): Promise<Receiver> {
  const child = spawn(process.execPath, ["-e", RECEIVER_SOURCE], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const port = await new Promise<number>((resolve) => child.once("message", (message) => resolve((message as { port: number }).port)));
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans: () =>
      new Promise((resolve) => {
        child.once("message", (message) => resolve((message as { spans: number }).spans));
        child.send("count");
      }),
    close: () => child.kill(),
  };
}

/** Runs `workload` with `concurrency` invocations in flight for `seconds`; returns invocations done and CPU µs used. */
async function runFor(workload: Workload, handlers: Handlers, concurrency: number, seconds: number): Promise<{ invocations: number; cpuUs: number; wallS: number }> {
  const deadline = performance.now() + seconds * 1000;
  let invocations = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await workload.invoke(handlers);
        invocations += 1;
        // The fakes never wait on I/O; a real app's invocations do (the model call), and that is
        // when the exporter's requests and responses get their turn.
        await nextMacrotask();
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return { invocations, cpuUs: cpu.user + cpu.system, wallS: (performance.now() - started) / 1000 };
}

export async function measureScale(workloads: readonly Workload[], runCounts: ReadonlyMap<string, number>, settings: ScaleSettings, log: (message: string) => void): Promise<Map<string, ScaleResult>> {
  const results = new Map<string, ScaleResult>();
  for (const workload of workloads.filter((candidate) => settings.workloadIds.includes(candidate.id))) {
    const runsPerInvocation = runCounts.get(workload.id) ?? Number.NaN;
    const receiver = await startReceiver();
    // The SDK's defaults, as setupTracing() gets them (OTEL_BSP_* unset).
    const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: receiver.url }));
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const handler = new OpenTelemetryCallbackHandler({ tracerProvider: provider });
    try {
      await runFor(workload, undefined, settings.concurrency, Math.min(1, settings.seconds));
      await runFor(workload, [handler], settings.concurrency, Math.min(1, settings.seconds));
      await provider.forceFlush();
      const receivedBefore = await settledCount(receiver);
      const without = await runFor(workload, undefined, settings.concurrency, settings.seconds);
      const withOurs = await runFor(workload, [handler], settings.concurrency, settings.seconds);
      await provider.forceFlush();
      const spansEnded = withOurs.invocations * runsPerInvocation;
      const spansDroppedAtFullSpeed = spansEnded - ((await settledCount(receiver)) - receivedBefore);
      // Dropped: ended but never received (the SDK also warns "Dropped N spans because maxQueueSize reached").
      const cpuUsPerRunWithout = without.cpuUs / (without.invocations * runsPerInvocation);
      const cpuUsPerRunWithOurs = withOurs.cpuUs / spansEnded;
      const bursts: ScaleResult["bursts"] = [];
      for (const size of settings.bursts) {
        const before = await settledCount(receiver);
        await Promise.all(Array.from({ length: size }, () => workload.invoke([handler])));
        await provider.forceFlush();
        bursts.push({ invocations: size, spans: size * runsPerInvocation, dropped: size * runsPerInvocation - ((await settledCount(receiver)) - before) });
      }
      results.set(workload.id, {
        runsPerInvocation,
        cpuUsPerRunWithout,
        cpuUsPerRunWithOurs,
        recordedRunsPerCoreSecond: 1e6 / (cpuUsPerRunWithOurs - cpuUsPerRunWithout),
        runsPerSecondWithOurs: spansEnded / withOurs.wallS,
        spansEndedAtFullSpeed: spansEnded,
        spansDroppedAtFullSpeed,
        bursts,
      });
      log(`scale measured: ${workload.id}`);
    } finally {
      await provider.shutdown();
      receiver.close();
    }
  }
  return results;
}
