/**
 * What faults cost the host app: retained heap behind capped payloads, the largest OTLP request a
 * huge error makes, how long flush and shutdown wait on a dead backend, how many planted secrets
 * reach the spans, and how long a huge container blocks the event loop.
 *
 *   npm --prefix bench run faults                     # this checkout's src/
 *   LANGCHAIN_OTEL_SRC=/path/to/other/src npm --prefix bench run faults   # another checkout, e.g. before a change
 */
import { createServer as createHttpServer } from "node:http";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { HumanMessage } from "@langchain/core/messages";
import { RunnableLambda } from "@langchain/core/runnables";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ScriptedChatModel } from "../../demo/scripted-chat-model.js";
import { CANARIES, secretAgent } from "../../test/support/secret-agent.js";
import type { OpenTelemetryCallbackHandler as Handler } from "../../src/index.js";
import type { setupTracing as SetupTracing } from "../../src/setup.js";

const source = resolve(process.env["LANGCHAIN_OTEL_SRC"] ?? new URL("../../src", import.meta.url).pathname);
const { OpenTelemetryCallbackHandler } = (await import(pathToFileURL(`${source}/index.ts`).href)) as { OpenTelemetryCallbackHandler: typeof Handler };
const { setupTracing } = (await import(pathToFileURL(`${source}/setup.ts`).href)) as { setupTracing: typeof SetupTracing };

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function retainedHeap(): Promise<string> {
  const exporter = new InMemorySpanExporter(); // spans waiting for export, as with a backend down
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const handler = new OpenTelemetryCallbackHandler({ tracerProvider: provider });
  const model = new ScriptedChatModel({ modelName: "m", script: () => ({ text: "ok" }) });
  const before = heapUsed();
  for (let call = 0; call < 100; call++) {
    await model.invoke([new HumanMessage(`${call}:`.padEnd(5_000_000, "lorem ipsum "))], { callbacks: [handler] });
  }
  const retained = heapUsed() - before;
  return `retained heap after 100 chat calls with distinct 5 MB messages: ${mib(retained)} (${exporter.getFinishedSpans().length} spans kept)`;
}

async function hugeError(): Promise<string> {
  const sizes: number[] = [];
  let spans = 0;
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      sizes.push(body.length);
      // The Collector's default OTLP/HTTP limit is 20 MiB (confighttp max_request_body_size).
      if (body.length > 20 * 2 ** 20) return response.writeHead(400).end();
      spans += (body.toString().match(/"spanId"/g) ?? []).length;
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }), { scheduledDelayMillis: 60_000 })] });
  const handler = new OpenTelemetryCallbackHandler({ tracerProvider: provider });
  for (let n = 0; n < 50; n++) await RunnableLambda.from((x: number) => x).invoke(n, { callbacks: [handler] });
  await RunnableLambda.from(() => {
    throw new Error("x".repeat(7_500_000));
  })
    .invoke(0, { callbacks: [handler] })
    .catch(() => {});
  await provider.forceFlush().catch(() => {});
  await provider.shutdown().catch(() => {});
  server.close();
  return `one 7.5 MB error among 50 runs: largest OTLP request ${mib(Math.max(...sizes))}, ${spans} of 51 spans delivered`;
}

async function blackHole(): Promise<{ url: string; close: () => void }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket.on("error", () => {})));
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

async function timed(work: () => Promise<unknown>): Promise<string> {
  const started = performance.now();
  let outcome = "resolved";
  try {
    await work();
  } catch (error) {
    outcome = `rejected (${error instanceof Error ? error.message : String(error)})`;
  }
  return `${((performance.now() - started) / 1000).toFixed(1)} s, ${outcome}`;
}

async function deadBackend(): Promise<string[]> {
  const hole = await blackHole();
  const lines: string[] = [];
  try {
    const flushProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${hole.url}/v1/traces` }))] });
    const handler = new OpenTelemetryCallbackHandler({ tracerProvider: flushProvider });
    await RunnableLambda.from((x: number) => x).invoke(1, { callbacks: [handler] });
    lines.push(`handler.forceFlush() on a black-hole backend (default settings): ${await timed(() => handler.forceFlush())}`);
    process.env["OTEL_EXPORTER_OTLP_ENDPOINT"] = hole.url;
    const tracing = setupTracing({ registerGlobally: false });
    tracing.tracerProvider.getTracer("faults").startSpan("last").end();
    lines.push(`setupTracing().shutdown() on a black-hole backend (defaults): ${await timed(() => tracing.shutdown())}`);
  } finally {
    hole.close();
  }
  return lines;
}

async function canarySweep(captureContent: boolean): Promise<string> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const handler = new OpenTelemetryCallbackHandler({ tracerProvider: provider, captureContent });
  await secretAgent().invoke({ messages: [new HumanMessage("log me in")] }, { callbacks: [handler] });
  const exported = JSON.stringify(exporter.getFinishedSpans().map((s) => [s.name, s.attributes, s.status, s.events.map((e) => e.attributes)]));
  const planted = Object.values(CANARIES);
  const found = planted.filter((canary) => exported.includes(canary));
  return `canary sweep (captureContent ${captureContent}): ${found.length} of ${planted.length} planted secrets exported${found.length ? ` (${found.join(", ")})` : ""}`;
}

async function eventLoopBlock(): Promise<string[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const handler = new OpenTelemetryCallbackHandler({ tracerProvider: provider });
  const map = new Map<string, number>();
  const object: Record<string, number> = {};
  for (let i = 0; i < 1_000_000; i++) {
    map.set(`k${i}`, i);
    object[`k${i}`] = i;
  }
  const lines: string[] = [];
  for (const [label, input] of [["Map", map], ["object", object]] as const) {
    // The handler's share: the same chain with and without it.
    const echo = RunnableLambda.from((_: unknown) => 1);
    const bare = performance.now();
    await echo.invoke(input);
    const bareMs = performance.now() - bare;
    const traced = performance.now();
    await echo.invoke(input, { callbacks: [handler] });
    lines.push(`chain input of a ${label} with 10^6 entries: handler adds ${(performance.now() - traced - bareMs).toFixed(0)} ms`);
  }
  return lines;
}

console.log(`langchain-otel fault figures, source ${source}, node ${process.version}`);
for (const line of [await retainedHeap(), await hugeError(), ...(await deadBackend()), await canarySweep(true), await canarySweep(false), ...(await eventLoopBlock())]) {
  console.log(`- ${line}`);
}
process.exit(0);
