/**
 * What a run costs when nobody records it, and what a recorded one writes: each thing once,
 * in the conventions chosen.
 */
import { describe, expect, it } from "vitest";
import { dispatchCustomEvent } from "@langchain/core/callbacks/dispatch";
import { HumanMessage } from "@langchain/core/messages";
import { RunnableLambda } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { context, ProxyTracerProvider, trace, TraceFlags, type Span, type SpanContext } from "@opentelemetry/api";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  SamplingDecision,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
} from "@opentelemetry/sdk-trace-base";
import { z } from "zod";
import { ScriptedChatModel } from "../demo/scripted-chat-model.js";
import { getRunContext, getRunSpan, OpenTelemetryCallbackHandler } from "../src/index.js";
import { buildAgent } from "./support/agent.js";
import { createTestTracing, registerContextManager } from "./support/tracing.js";

/** A payload that counts how often anything serialises it. */
function countingPayload(): { payload: { toJSON(): string }; reads(): number } {
  let reads = 0;
  return {
    payload: {
      toJSON: () => {
        reads++;
        return "secret payload";
      },
    },
    reads: () => reads,
  };
}

/** Chain start and end, a custom event, a chat model and a tool, all given the counting payload. */
async function runEveryPath(handler: OpenTelemetryCallbackHandler, payload: unknown): Promise<void> {
  const model = new ScriptedChatModel({ modelName: "m", script: () => ({ text: "ok" }) });
  const step = RunnableLambda.from(async (input: { probe: unknown }, config) => {
    await dispatchCustomEvent("progress", { probe: input.probe }, config);
    await model.invoke([new HumanMessage("hi")], config);
    return { echoed: input.probe };
  }).withConfig({ runName: "step" });
  await step.invoke({ probe: payload }, { callbacks: [handler] });
}

function handlerWith(sampler: Sampler): { handler: OpenTelemetryCallbackHandler; exporter: InMemorySpanExporter; sampled: string[]; provider: BasicTracerProvider } {
  const exporter = new InMemorySpanExporter();
  const sampled: string[] = [];
  const seeing: Sampler = {
    shouldSample: (parent, traceId, name, kind, attributes, links) => {
      const operation = attributes["gen_ai.operation.name"] ?? attributes["openinference.span.kind"];
      sampled.push(operation === undefined ? name : `${name} ${String(operation)}`);
      return sampler.shouldSample(parent, traceId, name, kind, attributes, links);
    },
    toString: () => "seeing",
  };
  const provider = new BasicTracerProvider({ sampler: seeing, spanProcessors: [new SimpleSpanProcessor(exporter)] });
  registerContextManager();
  return { handler: new OpenTelemetryCallbackHandler({ tracerProvider: provider }), exporter, sampled, provider };
}

describe("sampling", () => {
  it("serialises no content for a run no sampler records, on any path, and still forgets every run", async () => {
    const { handler, exporter, sampled } = handlerWith(new AlwaysOffSampler());
    const probe = countingPayload();
    await runEveryPath(handler, probe.payload);
    expect(probe.reads()).toBe(0);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    // The sampler saw the root run's structure (its name and operation); the chat model ran
    // inside that unsampled run, and no sampler of the SDK would sample it there.
    expect(sampled).toEqual(["step CHAIN"]);
    expect(handler.openRunCount).toBe(0);
  });

  it("offers every run of a sampled trace to the sampler, with its structure", async () => {
    const { handler, exporter, sampled } = handlerWith(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
    await runEveryPath(handler, "probe");
    expect(sampled).toEqual(["step CHAIN", "chat m chat"]);
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });

  it("starts no span for runs under an unsampled caller span, yet keeps them in its trace, unsampled", async () => {
    const { handler, exporter, sampled, provider } = handlerWith(new ParentBasedSampler({ root: new AlwaysOffSampler() }));
    const tracer = provider.getTracer("app");
    const seen: { runSpan?: SpanContext; appSpan?: SpanContext } = {};
    const lookup = tool(
      async (_input, config) => {
        seen.runSpan = getRunSpan(config)?.spanContext();
        const appSpan = tracer.startSpan("SELECT", {}, getRunContext(config));
        seen.appSpan = appSpan.spanContext();
        appSpan.end();
        return "found";
      },
      { name: "lookup", schema: z.object({ q: z.string() }) },
    );
    const request = tracer.startSpan("GET /ask");
    const chain = RunnableLambda.from(async (q: string, config) => lookup.invoke({ q }, config)).withConfig({ runName: "ask" });
    await context.with(trace.setSpan(context.active(), request), () => chain.invoke("where?", { callbacks: [handler] }));

    expect(sampled).toEqual(["GET /ask", "SELECT"]); // the runs were not offered: their parent's decision stands
    const requestContext = request.spanContext();
    for (const inside of [seen.runSpan, seen.appSpan]) {
      expect(inside?.traceId).toBe(requestContext.traceId);
      expect((inside?.traceFlags ?? 1) & TraceFlags.SAMPLED).toBe(0);
    }
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(handler.openRunCount).toBe(0);
  });

  it("lets a run inside an unrecorded run share that run's span, even under a span the app made active there", async () => {
    const { handler, exporter, sampled, provider } = handlerWith(new AlwaysOffSampler());
    const seen: { chain?: Span; tool?: Span } = {};
    const lookup = tool(
      async (_input, config) => {
        seen.tool = getRunSpan(config);
        return "found";
      },
      { name: "lookup", schema: z.object({ q: z.string() }) },
    );
    const chain = RunnableLambda.from(async (q: string, config) => {
      seen.chain = getRunSpan(config);
      const appSpan = provider.getTracer("app").startSpan("prepare", {}, getRunContext(config));
      const result = await context.with(trace.setSpan(getRunContext(config)!, appSpan), () => lookup.invoke({ q }, config));
      appSpan.end();
      return result;
    }).withConfig({ runName: "ask" });
    await chain.invoke("where?", { callbacks: [handler] });

    expect(seen.chain?.isRecording()).toBe(false);
    expect(seen.tool).toBe(seen.chain); // nothing in the trace is recorded: the tool run needs no span of its own
    expect(sampled).toEqual(["ask CHAIN", "prepare"]);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(handler.openRunCount).toBe(0);
  });

  it("runs with the API's no-op tracer (no SDK): the runs keep a context, record nothing, and are all forgotten", async () => {
    registerContextManager();
    const handler = new OpenTelemetryCallbackHandler({ tracerProvider: new ProxyTracerProvider() });
    let toolSpan: Span | undefined;
    const lookup = tool(
      async (_input, config) => {
        toolSpan = getRunSpan(config);
        return "found";
      },
      { name: "lookup", schema: z.object({ q: z.string() }) },
    );
    const chain = RunnableLambda.from(async (q: string, config) => lookup.invoke({ q }, config)).withConfig({ runName: "ask" });
    await expect(chain.invoke("where?", { callbacks: [handler] })).resolves.toBe("found");
    expect(toolSpan?.isRecording()).toBe(false);
    expect(handler.openRunCount).toBe(0);
  });

  it("never ends the caller's span when it is recorded but not sampled (RECORD_ONLY)", async () => {
    const recordOnly: Sampler = { shouldSample: () => ({ decision: SamplingDecision.RECORD }), toString: () => "record only" };
    const { handler, provider } = handlerWith(recordOnly);
    const request = provider.getTracer("app").startSpan("GET /ask");
    const chain = RunnableLambda.from((q: string) => q.toUpperCase()).withConfig({ runName: "upper" });
    await context.with(trace.setSpan(context.active(), request), () => chain.invoke("q", { callbacks: [handler] }));
    expect(request.isRecording()).toBe(true); // still open: the run's end was not the request's
    request.end();
  });

  it("never ends a run's RECORD_ONLY span at the end of a run inside it", async () => {
    const recordOnly: Sampler = { shouldSample: () => ({ decision: SamplingDecision.RECORD }), toString: () => "record only" };
    const ended: ReadableSpan[] = [];
    const provider = new BasicTracerProvider({
      sampler: recordOnly,
      spanProcessors: [{ onStart: () => {}, onEnd: (span) => ended.push(span), forceFlush: async () => {}, shutdown: async () => {} }],
    });
    const handler = new OpenTelemetryCallbackHandler({ tracerProvider: provider });
    const inner = RunnableLambda.from((q: string) => q.toUpperCase()).withConfig({ runName: "inner" });
    const outer = RunnableLambda.from((q: string, config) => inner.invoke(q, config)).withConfig({ runName: "outer" });
    await outer.invoke("q", { callbacks: [handler] });
    // The inner run, under a span that is not sampled, started none; the outer span ended once, at its own end.
    expect(ended.map((span) => [span.name, span.attributes["output.value"]])).toEqual([["outer", "Q"]]);
  });

  it("does not serialise a graph step's input it does not write (the graph's state, at every step)", async () => {
    const { handler, exporter } = handlerWith(new AlwaysOnSampler());
    const probe = countingPayload();
    const step = RunnableLambda.from(() => "done").withConfig({ runName: "inside a node" });
    await step.invoke({ state: probe.payload }, { callbacks: [handler], metadata: { langgraph_node: "agent" } });
    expect(probe.reads()).toBe(0);
    expect(exporter.getFinishedSpans()[0]?.attributes["output.value"]).toBe("done");
  });

  it("records content for a recorded run (the same paths serialise the payload)", async () => {
    const { handler, exporter } = handlerWith(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(1) }));
    const probe = countingPayload();
    await runEveryPath(handler, probe.payload);
    expect(probe.reads()).toBeGreaterThanOrEqual(3); // input, output, event
    expect(exporter.getFinishedSpans().map((span) => span.name).sort()).toEqual(["chat m", "step"]);
  });
});

describe("each thing once", () => {
  it("writes a nested chat span's messages as gen_ai.*.messages and llm.*_messages, not again as input.value / output.value", async () => {
    const tracing = createTestTracing();
    await buildAgent().invoke({ messages: [new HumanMessage("What is 6*7?")] }, { callbacks: [tracing.handler] });
    const chat = tracing.spans().find((span) => span.name.startsWith("chat "))!;
    expect(chat.attributes["gen_ai.input.messages"]).toBeTypeOf("string");
    expect(chat.attributes["llm.input_messages.0.message.role"]).toBe("user");
    expect(chat.attributes["gen_ai.output.messages"]).toBeTypeOf("string");
    expect(chat.attributes["input.value"]).toBeUndefined();
    expect(chat.attributes["output.value"]).toBeUndefined();
    // Nested spans hang under their parent run's span: no parent id attribute repeats it.
    expect(chat.attributes["langchain.run.parent_id"]).toBeUndefined();
  });

  it("keeps input.value / output.value on a chat model that is the trace's root (Phoenix reads a trace's input there)", async () => {
    const tracing = createTestTracing();
    await new ScriptedChatModel({ modelName: "root-model", script: () => ({ text: "ok" }) }).invoke([new HumanMessage("hi")], { callbacks: [tracing.handler] });
    const chat = tracing.span("chat root-model");
    expect(chat.attributes["input.value"]).toBe(chat.attributes["gen_ai.input.messages"]);
    expect(chat.attributes["output.value"]).toBe(chat.attributes["gen_ai.output.messages"]);
  });
});

describe("contentConventions", () => {
  async function agentSpans(contentConventions: Array<"gen_ai" | "openinference">) {
    const tracing = createTestTracing({ contentConventions });
    await buildAgent().invoke({ messages: [new HumanMessage("What is 6*7?")] }, { callbacks: [tracing.handler] });
    const spans = tracing.spans();
    return {
      chat: spans.find((span) => span.name.startsWith("chat "))!.attributes,
      tool: tracing.span("execute_tool multiply").attributes,
      graph: spans.find((span) => span.name.startsWith("invoke_agent"))!.attributes,
    };
  }

  it('["gen_ai"] writes only the GenAI content; chains keep input.value, which has no GenAI counterpart', async () => {
    const { chat, tool, graph } = await agentSpans(["gen_ai"]);
    expect(chat["gen_ai.input.messages"]).toBeTypeOf("string");
    expect(Object.keys(chat).filter((name) => name.startsWith("llm.input_messages.") || name.startsWith("llm.output_messages.") || name.startsWith("llm.tools."))).toEqual([]);
    expect(chat["llm.invocation_parameters"]).toBeUndefined();
    expect(tool["gen_ai.tool.call.arguments"]).toBeTypeOf("string");
    expect(tool["input.value"]).toBeUndefined();
    expect(tool["output.value"]).toBeUndefined();
    expect(graph["input.value"]).toBeTypeOf("string");
    // Structure is written for both conventions either way.
    expect(chat["openinference.span.kind"]).toBe("LLM");
    expect(chat["llm.model_name"]).toBe(chat["gen_ai.request.model"]);
  });

  it('["openinference"] writes only OpenInference content', async () => {
    const { chat, tool } = await agentSpans(["openinference"]);
    expect(chat["gen_ai.input.messages"]).toBeUndefined();
    expect(chat["gen_ai.output.messages"]).toBeUndefined();
    expect(chat["gen_ai.tool.definitions"]).toBeUndefined();
    expect(chat["llm.input_messages.0.message.role"]).toBe("user");
    expect(tool["gen_ai.tool.call.arguments"]).toBeUndefined();
    expect(tool["input.value"]).toBeTypeOf("string");
    expect(chat["gen_ai.operation.name"]).toBe("chat");
  });

  it.each([[[]], [["gen_ai", "gen_ai"]], [["otel"]], ["gen_ai"]])("fails at construction for %j, naming the option", (value) => {
    expect(() => new OpenTelemetryCallbackHandler({ contentConventions: value as never })).toThrow(/option "contentConventions" must be a non-empty list of distinct "gen_ai" and "openinference"/);
  });
});
