import { describe, expect, it } from "vitest";
import { HumanMessage } from "@langchain/core/messages";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { RunnableLambda, RunnableParallel } from "@langchain/core/runnables";
import { SpanKind } from "@opentelemetry/api";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import { createTestTracing, assertRunTree, parentSpanId } from "./support/tracing.js";
import { buildAgent } from "./support/agent.js";
import { RunTreeRecorder } from "./support/run-recorder.js";
import { OpenTelemetryCallbackHandler } from "../src/index.js";

const prompt = ChatPromptTemplate.fromMessages([
  ["system", "You answer briefly."],
  ["human", "{question}"],
]);

describe("the run tree becomes the trace tree", () => {
  it("nests prompt -> chat model -> parser under the sequence, and the sequence under the caller's span", async () => {
    const tracing = createTestTracing();
    const recorder = new RunTreeRecorder();
    const chain = prompt.pipe(new FakeListChatModel({ responses: ["Paris."] })).pipe(new StringOutputParser());

    const answer = await tracing.inRequestSpan("GET /ask", () => chain.invoke({ question: "Capital of France?" }, { callbacks: [tracing.handler, recorder] }));

    expect(answer).toBe("Paris.");
    const spans = tracing.spans();
    const request = tracing.span("GET /ask");
    const runSpans = spans.filter((s) => s !== request);
    expect(runSpans.map((s) => s.name).sort()).toEqual(["ChatPromptTemplate", "RunnableSequence", "StrOutputParser", "chat"].sort());
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    assertRunTree(runSpans, request.spanContext().spanId, recorder.runs);
    for (const span of runSpans) {
      expect(span.attributes["langchain.run.id"]).toMatch(/^[0-9a-f-]{36}$/);
    }
    // The run type is written where the span kind does not say it: a prompt's is PROMPT, a parser's is not.
    const runTypes = runSpans.map((s) => [s.name, s.attributes["langchain.run.type"], s.attributes["openinference.span.kind"]]);
    expect(runTypes.sort()).toEqual(
      [
        ["ChatPromptTemplate", undefined, "PROMPT"],
        ["RunnableSequence", undefined, "CHAIN"],
        ["StrOutputParser", "parser", "CHAIN"],
        ["chat", undefined, "LLM"],
      ].sort(),
    );
    expect(tracing.span("chat").kind).toBe(SpanKind.CLIENT);
    expect(tracing.handler.openRunCount).toBe(0);
  });

  it("traces a LangGraph tool-calling agent: graph, nodes, model calls and both tool calls", async () => {
    const tracing = createTestTracing();
    const recorder = new RunTreeRecorder();
    const agent = buildAgent();

    const result = await agent.invoke({ messages: [new HumanMessage("How do traces work, and what is 6*7?")] }, { callbacks: [tracing.handler, recorder], configurable: { thread_id: "thread-42" } });

    expect(String(result.messages.at(-1)?.content)).toContain("42");
    const spans = tracing.spans();
    assertRunTree(spans, undefined, recorder.runs);
    // A graph whose model is offered tools is an agent.
    const root = tracing.span("invoke_agent LangGraph");
    expect(parentSpanId(root)).toBeUndefined();
    expect(root.attributes["gen_ai.operation.name"]).toBe("invoke_agent");
    expect(root.attributes["gen_ai.agent.name"]).toBe("LangGraph");
    expect(root.attributes["openinference.span.kind"]).toBe("AGENT");
    expect(root.attributes["gen_ai.conversation.id"]).toBe("thread-42");

    const chats = spans.filter((s) => s.name === "chat gpt-test");
    expect(chats).toHaveLength(2);
    const search = tracing.span("execute_tool search_docs");
    expect(search.attributes["gen_ai.tool.call.id"]).toBe("call_search");
    expect(tracing.span("execute_tool multiply").attributes["gen_ai.tool.call.id"]).toBe("call_multiply");
    expect(tracing.span("execute_tool multiply").attributes["gen_ai.tool.call.result"]).toBe("42");
    // The retriever the tool calls is a child of the tool's span.
    const retrieval = tracing.span("retrieval KeywordRetriever");
    expect(parentSpanId(retrieval)).toBe(search.spanContext().spanId);
    // Graph nodes carry their LangGraph position.
    const toolsNode = spans.find((s) => s.name === "tools");
    expect(toolsNode?.attributes["langgraph.node"]).toBe("tools");
    expect(toolsNode?.attributes["langgraph.step"]).toBeTypeOf("number");
    // Their metadata keeps what the app set (LangGraph copies thread_id there), not LangGraph's bookkeeping.
    expect(JSON.parse(String(toolsNode?.attributes["metadata"]))).toEqual({ thread_id: "thread-42" });
    // LangGraph's hidden plumbing keeps its span but not a copy of the graph's input.
    const start = tracing.span("__start__");
    expect(start.attributes["tag.tags"]).toContain("langsmith:hidden");
    expect(start.attributes["input.value"]).toBeUndefined();
    // A node's input is the graph's whole state at that step: the graph's input and the earlier
    // steps' outputs already hold it, so only what the node produced is written.
    expect(toolsNode?.attributes["input.value"]).toBeUndefined();
    expect(toolsNode?.attributes["output.value"]).toBeTypeOf("string");
    expect(tracing.handler.openRunCount).toBe(0);
  });

  it("keeps parallel branches and batch items in their own subtrees", async () => {
    const tracing = createTestTracing();
    const slowUpper = RunnableLambda.from(async (s: string) => {
      await new Promise((r) => setTimeout(r, 5));
      return s.toUpperCase();
    }).withConfig({ runName: "upper" });
    const reverse = RunnableLambda.from((s: string) => [...s].reverse().join("")).withConfig({ runName: "reverse" });
    const parallel = RunnableParallel.from({ upper: slowUpper, reverse }).withConfig({ runName: "both" });
    const recorder = new RunTreeRecorder();

    const outputs = await parallel.batch(["ab", "cd", "ef"], { callbacks: [tracing.handler, recorder] });

    expect(outputs).toEqual([
      { upper: "AB", reverse: "ba" },
      { upper: "CD", reverse: "dc" },
      { upper: "EF", reverse: "fe" },
    ]);
    const spans = tracing.spans();
    assertRunTree(spans, undefined, recorder.runs);
    const roots = spans.filter((s) => s.name === "both");
    expect(roots).toHaveLength(3);
    // Each item is its own trace, holding exactly its own two branches.
    for (const root of roots) {
      const traceSpans = spans.filter((s) => s.spanContext().traceId === root.spanContext().traceId);
      expect(traceSpans.map((s) => s.name).sort()).toEqual(["both", "reverse", "upper"]);
    }
  });

  it("attaches each of many parallel requests to its own caller span", async () => {
    const tracing = createTestTracing();
    const chain = RunnableLambda.from(async (n: number) => {
      await new Promise((r) => setTimeout(r, n % 7));
      return n * 2;
    }).withConfig({ runName: "double" });

    await Promise.all(
      Array.from({ length: 50 }, (_, n) =>
        tracing.inRequestSpan(`request ${n}`, async (request) => {
          request.setAttribute("request.n", n);
          return chain.invoke(n, { callbacks: [tracing.handler] });
        }),
      ),
    );

    const spans = tracing.spans();
    const requests = new Map(spans.filter((s) => s.name.startsWith("request ")).map((s) => [s.spanContext().spanId, s]));
    const doubles = spans.filter((s) => s.name === "double");
    expect(doubles).toHaveLength(50);
    for (const double of doubles) {
      const request = requests.get(parentSpanId(double) ?? "");
      expect(request, "each run hangs under a request span").toBeDefined();
      expect(JSON.parse(String(double.attributes["input.value"]))).toEqual({ input: request?.attributes["request.n"] });
    }
  });

  it("works as a constructor callback: only that object's runs, under the caller's active span", async () => {
    const tracing = createTestTracing();
    const model = new FakeListChatModel({ responses: ["hi"], callbacks: [tracing.handler] });
    const chain = prompt.pipe(model).pipe(new StringOutputParser());

    await tracing.inRequestSpan("GET /hi", () => chain.invoke({ question: "hello" }, { runName: "greeting_chain" }));

    const request = tracing.span("GET /hi");
    const chat = tracing.span("chat");
    expect(tracing.spans()).toHaveLength(2);
    // The sequence around it was never seen by this handler: the caller's span adopts the model's run.
    expect(parentSpanId(chat)).toBe(request.spanContext().spanId);
    // LangChain hands the chain's runName on to the model it calls; the span names the model.
    expect(chat.attributes["langchain.run.name"]).toBe("FakeListChatModel");
  });

  it("keeps a runName given to the model itself inside a traced chain", async () => {
    const tracing = createTestTracing();
    const chain = prompt.pipe(new FakeListChatModel({ responses: ["hi"] }).withConfig({ runName: "greeter" }));

    await chain.invoke({ question: "hello" }, { callbacks: [tracing.handler], runName: "greeting_chain" });

    // A chain's span bears its run's name, so the attribute would only repeat it; the model's span does not.
    expect(tracing.span("greeting_chain").attributes["langchain.run.name"]).toBeUndefined();
    expect(tracing.span("chat").attributes["langchain.run.name"]).toBe("greeter");
  });

  it("leaves other handlers on the same run undisturbed", async () => {
    const tracing = createTestTracing();
    const seen: string[] = [];
    const other = {
      name: "recorder",
      handleChainStart: (_c: unknown, _i: unknown, runId: string) => void seen.push(`start ${runId}`),
      handleChainEnd: (_o: unknown, runId: string) => void seen.push(`end ${runId}`),
    };
    const chain = RunnableLambda.from((x: number) => x + 1).pipe((x: number) => x * 2);

    await chain.invoke(1, { callbacks: [tracing.handler, other] });
    await awaitAllCallbacks(); // the plain-object handler runs in LangChain's background queue

    const runIds = tracing.spans().map((s) => String(s.attributes["langchain.run.id"]));
    expect(runIds).toHaveLength(3);
    for (const runId of runIds) {
      expect(seen).toContain(`start ${runId}`);
      expect(seen).toContain(`end ${runId}`);
    }
  });

  it("roots a run under no span when nothing is active", async () => {
    const tracing = createTestTracing();
    await RunnableLambda.from((x: number) => x).invoke(1, { callbacks: [tracing.handler] });
    expect(parentSpanId(tracing.spans()[0]!)).toBeUndefined();
  });

  it("uses the global tracer provider when none is given", async () => {
    const { trace } = await import("@opentelemetry/api");
    const tracing = createTestTracing();
    expect(trace.setGlobalTracerProvider(tracing.provider)).toBe(true);
    try {
      await RunnableLambda.from((x: number) => x).withConfig({ runName: "global" }).invoke(1, { callbacks: [new OpenTelemetryCallbackHandler()] });
      expect(tracing.span("global").attributes["langchain.run.id"]).toBeTypeOf("string");
    } finally {
      trace.disable();
    }
  });
});
