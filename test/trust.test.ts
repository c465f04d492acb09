/**
 * Never hurt the host app, never leak a secret, never lose a span: the faults found by trying the
 * handler as an operator and an attacker would, each on real runnables (hand-fed events only
 * where a fault cannot be produced otherwise).
 */
import { spawn } from "node:child_process";
import { createServer as createHttpServer } from "node:http";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import v8 from "node:v8";
import vm from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { diag, DiagLogLevel, SpanStatusCode } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { BaseRetriever } from "@langchain/core/retrievers";
import { RunnableLambda } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { z } from "zod";
import { ScriptedChatModel } from "../demo/scripted-chat-model.js";
import { MAX_ARRAY_ITEMS, MAX_IDENTITY_LENGTH } from "../src/attributes/limits.js";
import { OpenTelemetryCallbackHandler } from "../src/index.js";
import { toPayload } from "../src/payload.js";
import { setupTracing } from "../src/setup.js";
import { RunRegistry, type OpenRun } from "../src/run-registry.js";
import { CANARIES, secretAgent } from "./support/secret-agent.js";
import { createTestTracing, parentSpanId } from "./support/tracing.js";
import { startOtlpReceiver } from "./support/otlp-receiver.js";

v8.setFlagsFromString("--expose-gc");
const collectGarbage = vm.runInNewContext("gc") as () => void;

function retainedHeapBytes(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** Every string a span carries: name, attributes, status, events and their attributes. */
function everythingOn(spans: ReadableSpan[]): string {
  return JSON.stringify(spans.map((s) => [s.name, s.attributes, s.status, s.events.map((e) => [e.name, e.attributes])]));
}

afterEach(() => diag.disable());

describe("memory: what a span keeps is a flat copy no larger than its cap", () => {
  it("does not keep huge prompts alive through their capped copies (100 x 2 MB chat calls)", async () => {
    const tracing = createTestTracing({ maxContentLength: 4096 });
    const model = new ScriptedChatModel({ modelName: "m", script: () => ({ text: "ok" }) });
    const before = retainedHeapBytes();
    for (let call = 0; call < 100; call++) {
      // Distinct strings, dropped by the app after each call: only our copies could keep them.
      const prompt = `${call}:`.padEnd(2_000_000, "lorem ipsum ");
      await model.invoke([new HumanMessage(prompt)], { callbacks: [tracing.handler] });
    }
    const retained = retainedHeapBytes() - before;
    expect(tracing.spans()).toHaveLength(100);
    // 100 x 2 MB = 200 MB if the copies pinned their originals; a few attributes of 4 KB each if not.
    expect(retained).toBeLessThan(20_000_000);
  });

  it("does not keep huge retrieved documents alive either (20 runs x 16 x 300 KB)", async () => {
    class BulkyRetriever extends BaseRetriever {
      override lc_namespace = ["test"];
      run = 0;
      override async _getRelevantDocuments(): Promise<DocumentInterface[]> {
        this.run++;
        return Array.from({ length: 16 }, (_, i) => new Document({ pageContent: `${this.run}-${i}`.padEnd(300_000, "text ") }));
      }
    }
    const tracing = createTestTracing({ maxContentLength: 2048 });
    const retriever = new BulkyRetriever();
    const before = retainedHeapBytes();
    for (let run = 0; run < 20; run++) await retriever.invoke("q", { callbacks: [tracing.handler] });
    const retained = retainedHeapBytes() - before;
    expect(tracing.spans()).toHaveLength(20);
    expect(retained).toBeLessThan(15_000_000); // 96 MB if pinned
  });
});

describe("size: every value is capped, errors included", () => {
  it("caps a 7.5 MB error in status, exception message and stack; the batch it shares still exports whole", async () => {
    const receiver = await startOtlpReceiver();
    const provider = new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${receiver.baseUrl}/v1/traces` }), { scheduledDelayMillis: 60_000 })],
    });
    try {
      const handler = new OpenTelemetryCallbackHandler({ tracerProvider: provider, maxContentLength: 8192 });
      const fine = RunnableLambda.from((n: number) => n).withConfig({ runName: "fine" });
      for (let n = 0; n < 50; n++) await fine.invoke(n, { callbacks: [handler] });
      const huge = RunnableLambda.from(() => {
        throw new RangeError("x".repeat(7_500_000));
      }).withConfig({ runName: "explodes" });
      await expect(huge.invoke(1, { callbacks: [handler] })).rejects.toThrow();
      await provider.forceFlush();

      expect(receiver.spans).toHaveLength(51);
      const largestBody = Math.max(...receiver.requests.map((request) => request.bodyBytes));
      expect(largestBody).toBeLessThan(200_000); // it was 22 MiB, and the collector refused the whole batch
      const failed = receiver.spans.find((span) => span.name === "explodes");
      expect(failed?.attributes["error.type"]).toBe("RangeError");
    } finally {
      await provider.shutdown();
      await receiver.close();
    }
  });

  it("caps names, identities, tags and event names, and keeps the span", async () => {
    const tracing = createTestTracing();
    const huge = "n".repeat(1_000_000);
    class HugeNameError extends Error {
      override name = huge;
    }
    const step = RunnableLambda.from(async (_: number, config) => {
      const { dispatchCustomEvent } = await import("@langchain/core/callbacks/dispatch");
      await dispatchCustomEvent(huge, { ok: true }, config);
      throw new HugeNameError("bad");
    }).withConfig({ runName: huge });
    // (LangChain merges tags in quadratic time: 10^4 of them take it seconds, with or without us.)
    const tags = Array.from({ length: 1_000 }, (_, i) => `tag-${i}`);
    await expect(step.invoke(1, { callbacks: [tracing.handler], tags, metadata: { session_id: huge, user_id: huge } })).rejects.toThrow();

    const [span] = tracing.spans();
    expect(span?.name.length).toBeLessThanOrEqual(MAX_IDENTITY_LENGTH);
    for (const name of ["langchain.run.name", "session.id", "user.id", "gen_ai.conversation.id", "error.type"]) {
      expect(String(span?.attributes[name]).length, name).toBeLessThanOrEqual(MAX_IDENTITY_LENGTH);
    }
    expect((span?.attributes["tag.tags"] as string[]).length).toBe(MAX_ARRAY_ITEMS);
    expect(span?.events.find((e) => e.name.startsWith("nnn"))?.name.length).toBeLessThanOrEqual(MAX_IDENTITY_LENGTH);
    expect(JSON.stringify(span?.attributes).length).toBeLessThan(200_000);
  });

  it("walks only what fits the cap, whatever the container (2 x 10^5 entries)", () => {
    let pulled = 0;
    class CountingMap extends Map<string, number> {
      override *[Symbol.iterator](): MapIterator<[string, number]> {
        for (const entry of super.entries()) {
          pulled++;
          yield entry;
        }
      }
    }
    const map = new CountingMap();
    const set = new Set<number>();
    for (let i = 0; i < 200_000; i++) {
      map.set(`k${i}`, i);
      set.add(i);
    }
    const mapPayload = toPayload(map, 4096);
    expect(mapPayload.truncated).toBe(true);
    expect(pulled).toBeLessThan(2_000);

    const setPayload = toPayload({ set, array: Array.from(set) }, 4096);
    expect(setPayload.text.length).toBeLessThanOrEqual(4096);

    let read = 0;
    const keys = Array.from({ length: 200_000 }, (_, i) => `key${i}`);
    const wide = new Proxy({} as Record<string, number>, {
      ownKeys: () => keys,
      getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true, value: 1 }),
      get: () => {
        read++;
        return 1;
      },
    });
    expect(toPayload(wide, 4096).truncated).toBe(true);
    expect(read).toBeLessThan(2_000);
  });
});

describe("secrets: a canary sweep over everything a traced agent exports", () => {
  it.each([true, false])("exports no canary (captureContent %s)", async (captureContent) => {
    const tracing = createTestTracing({ captureContent });
    await secretAgent().invoke({ messages: [new HumanMessage("log me in")] }, { callbacks: [tracing.handler] });
    const exported = everythingOn(tracing.spans());
    const leaked = Object.values(CANARIES).filter((canary) => exported.includes(canary));
    expect(leaked).toEqual([]);
    expect(exported).toContain("[REDACTED]");
    // The error is still readable: only the credentials are gone.
    const failed = tracing.span("execute_tool fetch_page");
    expect(failed.status.message).toContain("401 Incorrect API key provided");
  });

  it("scrubs URLs with passwords and api_key pairs in parameters and metadata", async () => {
    const tracing = createTestTracing();
    const chain = RunnableLambda.from((s: string) => s).withConfig({ runName: "store" });
    await chain.invoke("hi", {
      callbacks: [tracing.handler],
      metadata: { database: `postgres://app:${CANARIES.urlPassword}@db/app`, callback: `https://hooks.example.com/?api_key=${CANARIES.urlKey}` },
    });
    const exported = everythingOn(tracing.spans());
    expect(exported).not.toContain(CANARIES.urlPassword);
    expect(exported).not.toContain(CANARIES.urlKey);
    expect(exported).toContain("hooks.example.com");
  });
});

describe("never lose a span: a failing attribute builder costs its attributes only", () => {
  it("ends the span of a tool whose output has a throwing getter", async () => {
    const tracing = createTestTracing();
    const hostile = tool(
      async () =>
        ({
          get type(): string {
            throw new Error("getter exploded");
          },
        }) as unknown as string,
      { name: "hostile", description: "Returns a hostile object.", schema: z.object({}) },
    );
    const chain = RunnableLambda.from(() => ({})).pipe(hostile);
    await chain.invoke({}, { callbacks: [tracing.handler] });
    expect(tracing.span("execute_tool hostile").ended).toBe(true);
    expect(tracing.handler.openRunCount).toBe(0);
  });

  it("ends the span of a retriever whose documents throw on read", async () => {
    class HostileRetriever extends BaseRetriever {
      override lc_namespace = ["test"];
      override async _getRelevantDocuments(): Promise<DocumentInterface[]> {
        const document = new Document({ pageContent: "x" });
        Object.defineProperty(document, "pageContent", {
          get() {
            throw new Error("pageContent exploded");
          },
        });
        return [document];
      }
    }
    const tracing = createTestTracing();
    await new HostileRetriever().invoke("q", { callbacks: [tracing.handler] });
    expect(tracing.span("retrieval HostileRetriever").ended).toBe(true);
    expect(tracing.handler.openRunCount).toBe(0);
  });

  it("ends the span of a chat model whose LLMResult throws on read (fault injection: LangChain itself reads what it can)", async () => {
    const tracing = createTestTracing();
    const llmOutput = {};
    Object.defineProperty(llmOutput, "model_name", { enumerable: true, get: () => { throw new Error("llmOutput exploded"); } });
    tracing.handler.handleChatModelStart({ id: ["x", "ChatX"] } as never, [[new HumanMessage("q")]], "chat-run");
    tracing.handler.handleLLMEnd({ generations: [[{ text: "hi", message: new AIMessage("hi") }]], llmOutput }, "chat-run");
    expect(tracing.spans()).toHaveLength(1);
    expect(tracing.spans()[0]?.ended).toBe(true);
    expect(tracing.handler.openRunCount).toBe(0);
  });

  it("still opens a span with the run's identity when its start cannot be described (fault injection)", async () => {
    const tracing = createTestTracing();
    const hostile = new Proxy({}, { get: () => { throw new Error("serialized exploded"); } });
    tracing.handler.handleChainStart(hostile as never, {}, "run-1", undefined, undefined, undefined, undefined, "outer");
    tracing.handler.handleChainStart({ id: ["x", "Inner"] } as never, {}, "run-2", "run-1");
    tracing.handler.handleChainEnd({}, "run-2");
    tracing.handler.handleChainEnd({}, "run-1");
    const outer = tracing.spans().find((s) => s.attributes["langchain.run.id"] === "run-1");
    const inner = tracing.spans().find((s) => s.attributes["langchain.run.id"] === "run-2");
    expect(outer).toBeDefined();
    expect(inner && parentSpanId(inner)).toBe(outer?.spanContext().spanId);
  });
});

describe("the TTL counts from a run's last sign of life", () => {
  function registry(ttlMs: number) {
    const expired: Array<[string, OpenRun]> = [];
    const runs = new RunRegistry(ttlMs, (runId, run) => expired.push([runId, run]));
    const open = (runId: string, parentRunId?: string) =>
      runs.add(runId, { span: {} as never, context: {} as never, parentRunId, runType: "chain", captureContent: false, firstChunkAt: undefined, streamEvents: 0, metricAttributes: undefined });
    return { runs, open, expired };
  }

  it("keeps a tree alive while any of its runs shows signs of life, however old its root", () => {
    const { runs, open, expired } = registry(100);
    const root = open("root");
    open("child", "root");
    open("waiting", "root"); // a step downstream of a stream: idle, but alive
    root.lastActivityAt -= 10_000; // the tree started long ago...
    runs.touch("child"); // ...and the child streamed a token just now
    runs.sweep(performance.now() + 50);
    expect(expired).toEqual([]);
    expect(runs.size).toBe(3);
  });

  it("ends an abandoned tree in one sweep, leaves first, all at its last sign of life", () => {
    const { runs, open, expired } = registry(100);
    open("root");
    open("child", "root");
    runs.touch("child");
    const lastSignOfLife = runs.get("root")?.lastActivityAt;
    runs.sweep(performance.now() + 10_000);
    expect(expired.map(([id]) => id)).toEqual(["child", "root"]);
    expect(expired.map(([, run]) => run.root.lastActivityAt)).toEqual([lastSignOfLife, lastSignOfLife]);
    expect(runs.size).toBe(0);
  });

  it("does not cut a live streaming run that outlasts the TTL, nor misparent its children", async () => {
    const tracing = createTestTracing({ runTtlMs: 60 });
    const model = new ScriptedChatModel({ modelName: "slow-stream", chunkDelayMs: 25, script: () => ({ text: "one two three four five six seven eight nine ten eleven twelve" }) });
    const chain = RunnableLambda.from((s: string) => s).pipe(model).pipe(RunnableLambda.from((m: { content: unknown }) => String(m.content)).withConfig({ runName: "after" }));
    const chunks: unknown[] = [];
    for await (const chunk of await chain.stream("go", { callbacks: [tracing.handler] })) chunks.push(chunk);
    expect(tracing.spans().filter((s) => s.attributes["langchain.run.unfinished"] !== undefined)).toEqual([]);
    const sequence = tracing.span("RunnableSequence");
    expect(parentSpanId(tracing.span("after"))).toBe(sequence.spanContext().spanId);
  });

  it("ends a swept span at its last sign of life, not at the sweep", async () => {
    const tracing = createTestTracing({ runTtlMs: 100 });
    const model = new ScriptedChatModel({ modelName: "abandoned", script: () => ({ text: "a b c d e f" }) });
    const before = performance.now();
    for await (const _chunk of await model.stream("hi", { callbacks: [tracing.handler] })) break;
    const abandonedAfterMs = performance.now() - before;
    await sleep(400);
    const span = tracing.span("chat abandoned");
    expect(span.attributes["langchain.run.unfinished"]).toBe("ttl_expired");
    const durationMs = span.duration[0] * 1e3 + span.duration[1] / 1e6;
    expect(durationMs).toBeLessThanOrEqual(abandonedAfterMs);
  });
});

describe("cancellation: every abort reads as cancelled, with its reason, on every run it cut", () => {
  function slowGraph() {
    const model = new ScriptedChatModel({ modelName: "slow", firstChunkDelayMs: 400, script: () => ({ text: "late" }) });
    const State = Annotation.Root({ question: Annotation<string>, answer: Annotation<string> });
    return new StateGraph(State)
      .addNode("think", async (state, config) => ({ answer: String((await model.invoke(state.question, config)).content) }))
      .addEdge(START, "think")
      .addEdge("think", END)
      .compile();
  }

  const WAYS: Array<[string, () => { signal?: AbortSignal; timeout?: number }, string | undefined]> = [
    ["abort()", () => abortAfter(40), undefined],
    ["abort(reason)", () => abortAfter(40, new Error("user left the page")), "user left the page"],
    ["a timeout in the config", () => ({ timeout: 40 }), undefined],
    ["AbortSignal.timeout", () => ({ signal: AbortSignal.timeout(40) }), undefined],
  ];

  it.each(WAYS)("LangGraph, by %s", async (_way, options, reason) => {
    const tracing = createTestTracing();
    await expect(slowGraph().invoke({ question: "why?" }, { callbacks: [tracing.handler], ...options() })).rejects.toThrow();
    await sleep(450); // the abandoned model call settles
    for (const name of ["invoke_workflow LangGraph", "think", "chat slow"]) {
      const span = tracing.span(name);
      expect(span.attributes["error.type"], name).toBe("cancelled");
      expect(span.status.code, name).toBe(SpanStatusCode.ERROR);
      if (reason !== undefined) expect(span.status.message, name).toContain(reason);
    }
    expect(tracing.handler.openRunCount).toBe(0);
  });

  it.each([
    ["an Error", new Error("shutting down")],
    ["a string", "shutting down"],
  ])("a core chain aborted with %s as the reason", async (_kind, abortReason) => {
    const tracing = createTestTracing();
    const model = new ScriptedChatModel({ modelName: "slow", firstChunkDelayMs: 400, script: () => ({ text: "late" }) });
    const chain = RunnableLambda.from((s: string) => [new HumanMessage(s)]).pipe(model);
    await expect(chain.invoke("hi", { callbacks: [tracing.handler], ...abortAfter(40, abortReason) })).rejects.toThrow();
    await sleep(450);
    for (const name of ["RunnableSequence", "chat slow"]) {
      const span = tracing.span(name);
      expect(span.attributes["error.type"], name).toBe("cancelled");
      expect(span.status.code, name).toBe(SpanStatusCode.ERROR);
      expect(span.status.message, name).toContain("shutting down");
    }
  });
});

function abortAfter(ms: number, reason?: unknown): { signal: AbortSignal } {
  const controller = new AbortController();
  setTimeout(() => controller.abort(reason), ms);
  return { signal: controller.signal };
}

describe("diagnostics stay quiet but present", () => {
  it("names the failed builder in a warning instead of throwing", async () => {
    const warnings: string[] = [];
    diag.setLogger({ warn: (m: string) => warnings.push(m), error: () => {}, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
    const tracing = createTestTracing();
    const hostile = tool(async () => ({ get type(): string { throw new Error("nope"); } }) as unknown as string, {
      name: "hostile2",
      description: "x",
      schema: z.object({}),
    });
    await hostile.invoke({}, { callbacks: [tracing.handler] });
    expect(warnings.some((w) => w.includes("end attributes skipped") && w.includes("nope"))).toBe(true);
  });
});

describe("flush and shutdown with a dead backend (langchain-otel/setup)", () => {
  /** Accepts connections and never answers: the worst backend there is. */
  async function blackHole(): Promise<{ url: string; close: () => Promise<void> }> {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/v1/traces`,
      close: () => {
        for (const socket of sockets) socket.destroy();
        return new Promise((resolve) => server.close(() => resolve()));
      },
    };
  }

  /** A port nobody listens on: connections are refused. */
  async function refusedUrl(): Promise<string> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return `http://127.0.0.1:${port}/v1/traces`;
  }

  it("shutdown() resolves within its timeout and says what was not exported, on a black-hole backend", async () => {
    const hole = await blackHole();
    try {
      // The exporter alone would wait 60 s: this test would time out if shutdown waited for it.
      const tracing = setupTracing({ traceExporter: new OTLPTraceExporter({ url: hole.url, timeoutMillis: 60_000 }), registerGlobally: false, diagLogger: false });
      for (let n = 0; n < 5; n++) tracing.tracerProvider.getTracer("t").startSpan(`s${n}`).end();
      const report = await tracing.shutdown({ timeoutMillis: 300 });
      expect(report).toMatchObject({ completed: false, ended: 5, exported: 0, pending: 5 });
    } finally {
      await hole.close();
    }
  });

  it("forceFlush() and shutdown() never reject on a refused backend, and count the loss", async () => {
    const tracing = setupTracing({ traceExporter: new OTLPTraceExporter({ url: await refusedUrl() }), registerGlobally: false, diagLogger: false });
    tracing.tracerProvider.getTracer("t").startSpan("lost").end();
    const flushed = await tracing.forceFlush({ timeoutMillis: 10_000 });
    expect(flushed).toMatchObject({ ended: 1, exported: 0, failed: 1, pending: 0 });
    await expect(tracing.shutdown({ timeoutMillis: 1_000 })).resolves.toMatchObject({ failed: 1 });
  });

  it("warns once when the backend starts failing and once when it is back, with what was dropped", async () => {
    const warnings: string[] = [];
    diag.setLogger({ warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m), info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
    let status = 400;
    const server = createHttpServer((request, response) => {
      request.resume();
      request.on("end", () => response.writeHead(status, { "content-type": "application/json" }).end("{}"));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
    const tracing = setupTracing({ traceExporter: new OTLPTraceExporter({ url }), registerGlobally: false, diagLogger: false });
    try {
      const tracer = tracing.tracerProvider.getTracer("t");
      for (let batch = 0; batch < 3; batch++) {
        tracer.startSpan(`during-outage-${batch}`).end();
        await tracing.forceFlush();
      }
      expect(warnings.filter((w) => w.includes("exporting spans failed"))).toHaveLength(1);
      status = 200;
      tracer.startSpan("after").end();
      await tracing.forceFlush();
      const recovered = warnings.filter((w) => w.includes("accepts spans again"));
      expect(recovered).toHaveLength(1);
      expect(recovered[0]).toContain("3 spans in 3 batches were dropped");
      expect(tracing.exportCounts()).toEqual({ ended: 4, exported: 1, failed: 3 });
      // The batch processor's own per-batch error lines stay out of the log.
      expect(warnings).toHaveLength(2);
    } finally {
      await tracing.shutdown();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("README's SIGTERM snippet exits 0 with the backend down, with no unhandled rejection", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/support/sigterm-app.ts"], {
      cwd: new URL("..", import.meta.url),
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: (await refusedUrl()).replace("/v1/traces", ""), OTEL_LOG_LEVEL: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes("ready")) child.kill("SIGTERM");
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    expect(exitCode).toBe(0);
    expect(stderr).not.toMatch(/Unhandled|ERR_UNHANDLED_REJECTION/);
    // The loss is said, once, by the diag logger setup installs.
    expect(`${stdout}${stderr}`).toMatch(/langchain-otel: (exporting spans failed|shutdown)/);
  }, 30_000);
});

describe("fuzzing: hand-fed events in any order, with hostile payloads", () => {
  /** Deterministic pseudo-random numbers (mulberry32), so a failure replays. */
  function random(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it("ends every span it starts, and forgets every run, whatever it is fed", async () => {
    let started = 0;
    let ended = 0;
    const provider = new BasicTracerProvider({
      spanProcessors: [{ onStart: () => void started++, onEnd: () => void ended++, forceFlush: async () => {}, shutdown: async () => {} }],
    });
    const handler = new OpenTelemetryCallbackHandler({ tracerProvider: provider });
    const throwing = (message: string) => new Proxy({}, { get: () => { throw new Error(message); }, ownKeys: () => { throw new Error(message); } });
    const getterBomb = Object.defineProperty({}, "type", { enumerable: true, get: () => { throw new Error("getter"); } });
    const payloads: unknown[] = [
      undefined, null, 1, "text", { a: 1 }, [1, 2], throwing("proxy"), getterBomb, new Error("plain"),
      { generations: [[getterBomb]] }, { generations: throwing("generations") }, [getterBomb], new Map([[1, throwing("in map")]]),
      Object.assign(new Error("Aborted"), { name: "AbortError" }), new HumanMessage("hi"),
    ];
    const next = random(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const runIds = Array.from({ length: 40 }, (_, i) => `run-${i}`);
    const calls: Array<(runId: string, parentRunId: string | undefined, payload: unknown) => void> = [
      (id, parent, p) => handler.handleChainStart(pick([{ id: ["x", "Chain"] }, p]) as never, p, id, parent, pick([undefined, ["t"], p]) as never, p as never),
      (id, parent, p) => handler.handleChatModelStart({ id: ["x", "Chat"] } as never, [[p]], id, parent, p as never, undefined, p as never),
      (id, parent, p) => handler.handleToolStart({ name: "tool" } as never, p as string, id, parent),
      (id, parent, p) => handler.handleRetrieverStart({ id: ["x", "R"] } as never, p as string, id, parent),
      (id, _parent, p) => handler.handleChainEnd(p as never, id),
      (id, _parent, p) => handler.handleLLMEnd(p as never, id),
      (id, _parent, p) => handler.handleToolEnd(p, id),
      (id, _parent, p) => handler.handleRetrieverEnd(p as never, id),
      (id, _parent, p) => handler.handleChainError(p, id),
      (id, _parent, p) => handler.handleLLMError(p, id),
      (id, _parent, p) => handler.handleToolError(p, id),
      (id) => handler.handleLLMNewToken("tok", { prompt: 0, completion: 0 }, id),
      (id, _parent, p) => handler.handleCustomEvent(pick(["evt", p]) as string, p, id),
    ];
    for (let step = 0; step < 5_000; step++) {
      const call = pick(calls);
      expect(() => call(pick(runIds), next() < 0.7 ? pick(runIds) : undefined, pick(payloads))).not.toThrow();
    }
    await handler.shutdown();
    expect(handler.openRunCount).toBe(0);
    expect(started).toBeGreaterThan(100);
    expect(ended).toBe(started);
  });
});

describe("sampling: a run nobody records costs no content", () => {
  it.each([
    ["AlwaysOffSampler", new AlwaysOffSampler(), false],
    ["AlwaysOnSampler", new AlwaysOnSampler(), true],
  ] as const)("with the %s, the handler reads the payloads: %s", async (_name, sampler, handlerReads) => {
    const provider = new BasicTracerProvider({ sampler, spanProcessors: [] });
    const handler = new OpenTelemetryCallbackHandler({ tracerProvider: provider });
    let reads = 0;
    const input = {
      get question(): string {
        reads++;
        return "why?";
      },
    };
    const model = new ScriptedChatModel({ modelName: "m", script: () => ({ text: "because" }) });
    await RunnableLambda.from((i: typeof input) => [new HumanMessage(i.question)]).pipe(model).invoke(input, { callbacks: [handler] });
    // The chain reads the getter once itself; any other read is the handler recording the input.
    expect(reads > 1).toBe(handlerReads);
    expect(handler.openRunCount).toBe(0);
  });
});
