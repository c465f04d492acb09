/**
 * The context bridge in-process, on real runnables: inside a run's body its span is the active
 * one (`LangChainContextManager`), what user code starts there nests under it, and nothing
 * stays active once the run is over. HTTP-level checks with real instrumentations are in
 * island.test.ts.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import { Document } from "@langchain/core/documents";
import { BaseRetriever } from "@langchain/core/retrievers";
import { RunnableLambda, type RunnableConfig } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { context, createContextKey, trace, type Span } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { getRunContext, getRunSpan, LangChainContextManager } from "../src/index.js";
import { createTestTracing, parentSpanId, registerContextManager } from "./support/tracing.js";

registerContextManager({ bridge: true });

/** Where the code ran: the active span's ID, as an instrumentation would see it. */
function activeSpanId(): string | undefined {
  return trace.getActiveSpan()?.spanContext().spanId;
}

/** A real chat model whose provider call records the active span, as an HTTP instrumentation would. */
class ProbeChatModel extends BaseChatModel {
  readonly seen: (string | undefined)[] = [];
  /** When set, each call waits on it before recording: calls can be held in flight together. */
  barrier: (() => Promise<void>) | undefined;
  _llmType(): string {
    return "probe";
  }
  async _generate(_messages: BaseMessage[]) {
    await sleep(1);
    await this.barrier?.();
    this.seen.push(activeSpanId());
    return { generations: [{ text: "ok", message: new AIMessage("ok") }] };
  }
}

class ProbeRetriever extends BaseRetriever {
  lc_namespace = ["test"];
  readonly seen: (string | undefined)[] = [];
  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    await sleep(1);
    this.seen.push(activeSpanId());
    return [new Document({ pageContent: query })];
  }
}

/** The model's calls wait for one another before recording: `count` of them are in flight together. */
function holdInFlightTogether(model: ProbeChatModel, count: number): void {
  let arrived = 0;
  let release = () => {};
  const allInFlight = new Promise<void>((resolve) => (release = resolve));
  model.barrier = () => {
    if (++arrived === count) release();
    return allInFlight;
  };
}

function chatSpan(spans: ReadableSpan[]): ReadableSpan {
  const chats = spans.filter((s) => s.name.startsWith("chat"));
  expect(chats).toHaveLength(1);
  return chats[0]!;
}

function spanId(span: ReadableSpan | Span): string {
  return span.spanContext().spanId;
}

describe("inside a run's body its span is active", () => {
  it("the context manager needs the manager it wraps, and says so", () => {
    expect(() => new LangChainContextManager(undefined as never)).toThrow(
      /new LangChainContextManager\(new AsyncLocalStorageContextManager\(\)\)/,
    );
  });

  it("a RunnableLambda: user spans nest under it, their children under them, and LangChain runs started inside a user span too", async () => {
    const t = createTestTracing();
    const tracer = t.provider.getTracer("app");
    const inner = RunnableLambda.from(async () => activeSpanId()).withConfig({ runName: "inner" });
    const seen: Record<string, string | undefined> = {};
    const outer = RunnableLambda.from(async (input: string, config: RunnableConfig) => {
      seen.body = activeSpanId();
      seen.byConfig = getRunSpan(config)?.spanContext().spanId;
      await tracer.startActiveSpan("app.step", async (span) => {
        seen.userSpan = spanId(span);
        await tracer.startActiveSpan("app.query", async (child) => {
          seen.userChild = spanId(child);
          await sleep(1);
          child.end();
        });
        seen.innerBody = await inner.invoke(input, config);
        span.end();
      });
      seen.afterUserSpan = activeSpanId();
      return input;
    }).withConfig({ runName: "outer" });

    await t.inRequestSpan("request", async (request) => {
      await outer.invoke("x", { callbacks: [t.handler] });
      seen.afterInvoke = activeSpanId();
      seen.request = spanId(request);
    });

    const outerSpan = t.span("outer");
    expect(seen.body).toBe(spanId(outerSpan));
    expect(seen.byConfig).toBe(spanId(outerSpan));
    expect(parentSpanId(t.span("app.step"))).toBe(spanId(outerSpan));
    expect(parentSpanId(t.span("app.query"))).toBe(seen.userSpan);
    // The inner run was invoked inside the user's span: it nests there, and its body sees itself.
    expect(parentSpanId(t.span("inner"))).toBe(seen.userSpan);
    expect(seen.innerBody).toBe(spanId(t.span("inner")));
    expect(seen.afterUserSpan).toBe(spanId(outerSpan));
    expect(seen.afterInvoke).toBe(seen.request);
  });

  it("a tool's function, a LangGraph node, a chat model's provider call and a retriever's search", async () => {
    const t = createTestTracing();
    const model = new ProbeChatModel({});
    const retriever = new ProbeRetriever();
    const seen: Record<string, string | undefined> = {};
    const lookup = tool(
      async ({ q }, config) => {
        seen.tool = activeSpanId();
        seen.toolByConfig = spanId(getRunSpan(config)!);
        return (await retriever.invoke(q)).length;
      },
      { name: "lookup", description: "looks up", schema: z.object({ q: z.string() }) },
    );
    const State = Annotation.Root({ q: Annotation<string> });
    const graph = new StateGraph(State)
      .addNode("agent", async (state) => {
        seen.node = activeSpanId();
        await model.invoke(state.q);
        await lookup.invoke({ q: state.q });
        return {};
      })
      .addEdge(START, "agent")
      .addEdge("agent", END)
      .compile();

    await graph.invoke({ q: "hello" }, { callbacks: [t.handler] });

    expect(seen.node).toBe(spanId(t.span("agent")));
    expect(model.seen).toEqual([spanId(chatSpan(t.spans()))]);
    expect(seen.tool).toBe(spanId(t.span("execute_tool lookup")));
    expect(seen.toolByConfig).toBe(seen.tool);
    const retrieval = t.spans().find((s) => s.name.startsWith("retrieval "))!;
    expect(retriever.seen).toEqual([spanId(retrieval)]);
  });

  it("falls back to the parent run when the model run is ambiguous (two in flight), and to the caller outside any run body", async () => {
    const t = createTestTracing();
    const model = new ProbeChatModel({});
    holdInFlightTogether(model, 2);
    const both = RunnableLambda.from(async (input: string) => {
      await Promise.all([model.invoke(input), model.invoke(input)]);
      return input;
    }).withConfig({ runName: "both" });

    await both.invoke("x", { callbacks: [t.handler] });
    expect(model.seen).toEqual([spanId(t.span("both")), spanId(t.span("both"))]);

  });

  it("a chain invoked from plain code, and a stream: the provider call is the model run's when its request context holds one open path to it", async () => {
    const t = createTestTracing();
    const model = new ProbeChatModel({});
    const chain = RunnableLambda.from((input: string) => input)
      .pipe(model)
      .withConfig({ runName: "chain" });
    let request = "";
    await t.inRequestSpan("request", async (span) => {
      request = spanId(span);
      await chain.invoke("x", { callbacks: [t.handler] });
      for await (const _chunk of await chain.stream("y", { callbacks: [t.handler] })) {
        // consumed
      }
    });
    const chats = t.spans().filter((s) => s.name.startsWith("chat"));
    expect(chats).toHaveLength(2);
    expect(model.seen).toEqual(chats.map(spanId));

    // Two chains in flight in the same request context: which is which is unknown, the caller's span stays.
    const twice = new ProbeChatModel({});
    holdInFlightTogether(twice, 2);
    await t.inRequestSpan("request 2", async (span) => {
      request = spanId(span);
      await Promise.all([twice.invoke("a", { callbacks: [t.handler] }), twice.invoke("b", { callbacks: [t.handler] })]);
    });
    expect(twice.seen).toEqual([request, request]);

    // With no span active where it was invoked, the run begins a trace of its own: other work
    // may share that context, so nothing is attributed to it.
    const bare = new ProbeChatModel({});
    await bare.invoke("x", { callbacks: [t.handler] });
    expect(bare.seen).toEqual([undefined]);
  });

  it("a run's context keeps what the caller set below it, and takes what is set on top of it, as any context does", async () => {
    const tracing = createTestTracing();
    const callerKey = createContextKey("test caller value");
    const appKey = createContextKey("test app value");
    const seen: Record<string, unknown> = {};
    const inner = RunnableLambda.from((_: string, config?: RunnableConfig) => {
      const runContext = getRunContext(config)!;
      seen["innerCaller"] = runContext.getValue(callerKey);
      seen["innerSpan"] = trace.getSpan(runContext)?.spanContext().spanId;
      return "ok";
    }).withConfig({ runName: "inner" });
    const outer = RunnableLambda.from(async (input: string, config?: RunnableConfig) => {
      const runContext = getRunContext(config)!;
      seen["caller"] = runContext.getValue(callerKey);
      const withApp = runContext.setValue(appKey, 1);
      const changed = withApp.setValue(appKey, 2);
      seen["app"] = [withApp.getValue(appKey), changed.getValue(appKey), runContext.getValue(appKey)];
      seen["kept"] = [withApp.getValue(callerKey), trace.getSpan(withApp) === trace.getSpan(runContext)];
      seen["deleted"] = [changed.deleteValue(appKey).getValue(appKey), trace.getSpan(trace.deleteSpan(withApp)), withApp.getValue(appKey)];
      return inner.invoke(input, config);
    }).withConfig({ runName: "outer" });

    await context.with(context.active().setValue(callerKey, "from the caller"), () => outer.invoke("x", { callbacks: [tracing.handler] }));

    expect(seen["caller"]).toBe("from the caller");
    expect(seen["innerCaller"]).toBe("from the caller");
    expect(seen["innerSpan"]).toBe(tracing.span("inner").spanContext().spanId);
    expect(seen["app"]).toEqual([1, 2, undefined]);
    expect(seen["kept"]).toEqual(["from the caller", true]);
    expect(seen["deleted"]).toEqual([undefined, undefined, 1]);
  });

  it("nothing stays active: code scheduled in a body that runs after the run ended sees the caller's context", async () => {
    const t = createTestTracing();
    let late: Promise<string | undefined> | undefined;
    const chain = RunnableLambda.from(async (input: string) => {
      late = sleep(20).then(() => activeSpanId());
      return input;
    });
    let request = "";
    await t.inRequestSpan("request", async (span) => {
      request = spanId(span);
      await chain.invoke("x", { callbacks: [t.handler] });
    });
    expect(t.handler.openRunCount).toBe(0);
    expect(await late).toBe(request);
    expect(getRunContext(String(t.spans()[0]?.attributes["langchain.run.id"]))).toBeUndefined();
  });

  it("a run swept by its TTL is not active any more in its still-running body", async () => {
    const t = createTestTracing({ runTtlMs: 30 });
    const seen: (string | undefined)[] = [];
    const slow = RunnableLambda.from(async (input: string) => {
      seen.push(activeSpanId());
      await sleep(120);
      seen.push(activeSpanId());
      return input;
    }).withConfig({ runName: "slow" });
    await context.with(context.active(), () => slow.invoke("x", { callbacks: [t.handler] }));
    expect(seen[0]).toBe(spanId(t.span("slow")));
    expect(seen[1]).toBeUndefined();
  });

  it("200 concurrent requests: every span started in a body is in its own request's trace, under its own run", async () => {
    const t = createTestTracing();
    const tracer = t.provider.getTracer("app");
    const model = new ProbeChatModel({});
    const step = RunnableLambda.from(async (input: string) => {
      await sleep(Math.random() * 3);
      await tracer.startActiveSpan(`app.work ${input}`, async (span) => {
        await sleep(Math.random() * 3);
        span.end();
      });
      await model.invoke(input);
      return input;
    }).withConfig({ runName: "step" });
    const fanOut = RunnableLambda.from(async (input: string, config: RunnableConfig) => {
      await step.batch([`${input}-a`, `${input}-b`], config);
      return input;
    }).withConfig({ runName: "fan-out" });
    // LangGraph fan-out: two nodes in the same superstep, each with its own span and model call.
    const State = Annotation.Root({ id: Annotation<string> });
    const node = (name: string) => async (state: { id: string }) => {
      await tracer.startActiveSpan(`app.node ${state.id}-${name}`, async (span) => {
        await model.invoke(state.id);
        span.end();
      });
      return {};
    };
    const graph = new StateGraph(State)
      .addNode("left", node("left"))
      .addNode("right", node("right"))
      .addEdge(START, "left")
      .addEdge(START, "right")
      .addEdge("left", END)
      .addEdge("right", END)
      .compile();

    const requests = Array.from({ length: 200 }, (_, i) => `r${i}`);
    await Promise.all(
      requests.map((id) =>
        t.inRequestSpan(`request ${id}`, () =>
          Promise.all([fanOut.invoke(id, { callbacks: [t.handler] }), graph.invoke({ id }, { callbacks: [t.handler] })]),
        ),
      ),
    );

    const spans = t.spans();
    const byId = new Map(spans.map((s) => [spanId(s), s]));
    for (const id of requests) {
      const request = spans.find((s) => s.name === `request ${id}`)!;
      for (const branch of ["a", "b"]) {
        const work = spans.find((s) => s.name === `app.work ${id}-${branch}`)!;
        expect(work.spanContext().traceId).toBe(request.spanContext().traceId);
        const parent = byId.get(parentSpanId(work)!)!;
        expect(parent.name).toBe("step");
        expect(parent.attributes["langchain.run.id"]).toBeDefined(); // a run's span; its parent run is its parent span (next line)
        expect(byId.get(parentSpanId(parent)!)?.name).toBe("fan-out");
      }
      for (const name of ["left", "right"]) {
        const work = spans.find((s) => s.name === `app.node ${id}-${name}`)!;
        expect(work.spanContext().traceId).toBe(request.spanContext().traceId);
        expect(byId.get(parentSpanId(work)!)?.name).toBe(name);
      }
    }
    // Each provider call saw a chat span of its own: branches run in parallel, but each branch's
    // run (a batched step, a graph node) has exactly one model child.
    const chatSpans = new Set(spans.filter((s) => s.name.startsWith("chat")).map(spanId));
    expect(model.seen.length).toBe(800);
    const names = new Map(spans.map((s) => [spanId(s), s.name]));
    expect(model.seen.filter((id) => id === undefined || !chatSpans.has(id)).map((id) => names.get(id!))).toEqual([]);
    expect(new Set(model.seen).size).toBe(800);
  });
});
