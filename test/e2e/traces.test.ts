/**
 * End to end: LangChain runs -> OpenTelemetryCallbackHandler -> OTel SDK (batch processor,
 * OTLP/HTTP) -> the real collector on collector-config.yaml -> the real Jaeger on
 * jaeger-config.yaml; then Jaeger's query API must return exactly LangChain's run tree.
 */
import { HumanMessage } from "@langchain/core/messages";
import { expect, it } from "vitest";
import { buildAgent } from "../support/agent.js";
import {
  describeE2E,
  expectTraceOfRunTree,
  parentSpanIdOf,
  stackForSuite,
  tagValue,
  type AppTracing,
  type JaegerSpan,
} from "./stack.js";
import { RunTreeRecorder } from "../support/run-recorder.js";
import { answerChain, failingChain, InventoryLookupError, MODEL_NAME, parallelBranches, ragChain, REPLY_USAGE } from "./workloads.js";

const SERVICE_NAME = "langchain-otel-e2e-traces";

/** Whether two spans overlap in time: the runs really ran concurrently. */
function overlap(a: JaegerSpan, b: JaegerSpan): boolean {
  return a.startTime < b.startTime + b.duration && b.startTime < a.startTime + a.duration;
}

describeE2E("LangChain runs arrive in Jaeger through the collector as the run tree", () => {
  const suite = stackForSuite(SERVICE_NAME);

  /** Runs `invoke` with the handler and a run recorder attached, then flushes the SDK. */
  async function traced<T>(invoke: (callbacks: [AppTracing["handler"], RunTreeRecorder]) => Promise<T>): Promise<{ result: T; recorder: RunTreeRecorder }> {
    const recorder = new RunTreeRecorder();
    const result = await invoke([suite.app.handler, recorder]);
    await suite.app.handler.forceFlush();
    return { result, recorder };
  }

  it("a chain: prompt -> chat model -> parser, with the GenAI attributes of the model call", async () => {
    const { result, recorder } = await traced((callbacks) => answerChain("Jaeger stores the traces.").invoke({ question: "Where do traces go?" }, { callbacks }));
    expect(result).toBe("Jaeger stores the traces.");

    const checked = await expectTraceOfRunTree(suite.stack.jaeger.query, SERVICE_NAME, recorder, recorder.root());
    expect(checked.trace.spans.map((span) => span.operationName).sort()).toEqual(["ChatPromptTemplate", "RunnableSequence", "StrOutputParser", `chat ${MODEL_NAME}`].sort());
    const chat = checked.spanNamed(`chat ${MODEL_NAME}`);
    expect(parentSpanIdOf(chat)).toBe(checked.spanNamed("RunnableSequence").spanID);
    expect(tagValue(chat, "span.kind")).toBe("client");
    expect(tagValue(chat, "gen_ai.operation.name")).toBe("chat");
    expect(tagValue(chat, "gen_ai.request.model")).toBe(MODEL_NAME);
    expect(tagValue(chat, "gen_ai.provider.name")).toBe("openai");
    expect(tagValue(chat, "gen_ai.usage.input_tokens")).toBe(REPLY_USAGE.input_tokens);
    expect(tagValue(chat, "gen_ai.usage.output_tokens")).toBe(REPLY_USAGE.output_tokens);
    expect(tagValue(checked.spanNamed("ChatPromptTemplate"), "gen_ai.operation.name")).toBeUndefined();
    expect(await suite.stack.jaeger.query.services()).toContain(SERVICE_NAME);
  });

  it("a LangGraph tool-calling agent: graph, nodes, both model turns, both tool calls and the retriever inside a tool", async () => {
    const question = new HumanMessage("How do traces work, and what is 6*7?");
    const { result, recorder } = await traced((callbacks) => buildAgent().invoke({ messages: [question] }, { callbacks }));
    expect(String(result.messages.at(-1)?.content)).toContain("42");

    const checked = await expectTraceOfRunTree(suite.stack.jaeger.query, SERVICE_NAME, recorder, recorder.root());
    const graph = checked.spanNamed("invoke_agent LangGraph");
    expect(graph.references).toEqual([]);
    expect(tagValue(graph, "gen_ai.operation.name")).toBe("invoke_agent");

    const agentNodes = checked.spansNamed("agent");
    const chats = checked.spansNamed("chat gpt-test");
    expect(agentNodes).toHaveLength(2);
    expect(chats).toHaveLength(2);
    // Each model turn hangs under its own "agent" node run.
    expect(chats.map(parentSpanIdOf).sort()).toEqual(agentNodes.map((node) => node.spanID).sort());
    for (const chat of chats) {
      expect(tagValue(chat, "gen_ai.request.model")).toBe("gpt-test");
      expect(tagValue(chat, "gen_ai.usage.input_tokens")).toEqual(expect.any(Number));
    }

    const tools = checked.spanNamed("tools");
    const search = checked.spanNamed("execute_tool search_docs");
    const multiply = checked.spanNamed("execute_tool multiply");
    expect(parentSpanIdOf(search)).toBe(tools.spanID);
    expect(parentSpanIdOf(multiply)).toBe(tools.spanID);
    expect(tagValue(search, "gen_ai.tool.call.id")).toBe("call_search");
    expect(tagValue(multiply, "gen_ai.tool.call.id")).toBe("call_multiply");
    expect(tagValue(multiply, "gen_ai.tool.name")).toBe("multiply");
    const retrieval = checked.spanNamed("retrieval KeywordRetriever");
    expect(parentSpanIdOf(retrieval)).toBe(search.spanID);
    expect(tagValue(retrieval, "gen_ai.operation.name")).toBe("retrieval");
  });

  it("a retrieval chain: the retriever's span in its branch of the input map", async () => {
    const { result, recorder } = await traced((callbacks) => ragChain("The collector forwards traces.").invoke({ question: "What forwards traces?" }, { callbacks }));
    expect(result).toBe("The collector forwards traces.");

    const checked = await expectTraceOfRunTree(suite.stack.jaeger.query, SERVICE_NAME, recorder, recorder.root());
    const retrieval = checked.spanNamed("retrieval KeywordRetriever");
    expect(tagValue(retrieval, "span.kind")).toBe("client");
    expect(tagValue(retrieval, "gen_ai.data_source.id")).toBe("KeywordRetriever");
    // retriever -> its branch's sequence -> the input map -> the root sequence.
    expect(checked.ancestorNames(retrieval)).toEqual(["RunnableSequence", "RunnableMap", "RunnableSequence"]);
    expect(checked.ancestorNames(checked.spanNamed(`chat ${MODEL_NAME}`))).toEqual(["RunnableSequence"]);
    expect(checked.spanNamed("format_documents")).toBeDefined();
  });

  it("a failing step: error flag, status, error.type and exception log on the step and the chain, not on the steps before", async () => {
    const recorder = new RunTreeRecorder();
    await expect(failingChain().invoke({ question: "Is it in stock?" }, { callbacks: [suite.app.handler, recorder] })).rejects.toBeInstanceOf(InventoryLookupError);
    await suite.app.handler.forceFlush();

    const checked = await expectTraceOfRunTree(suite.stack.jaeger.query, SERVICE_NAME, recorder, recorder.root());
    expect(recorder.runs.filter((run) => run.failed).map((run) => run.name).sort()).toEqual(["RunnableSequence", "look_up_inventory"]);
    const step = checked.spanNamed("look_up_inventory");
    expect(tagValue(step, "error.type")).toBe("InventoryLookupError");
    const exception = step.logs.find((log) => log.fields.some((field) => field.key === "event" && field.value === "exception"));
    const field = (key: string) => exception?.fields.find((f) => f.key === key)?.value;
    expect(field("exception.type")).toBe("InventoryLookupError");
    expect(field("exception.message")).toBe("warehouse 7 is offline");
    expect(String(field("exception.stacktrace"))).toContain("InventoryLookupError");
    expect(tagValue(checked.spanNamed(`chat ${MODEL_NAME}`), "error")).toBeUndefined();
  });

  it("parallel branches: each branch's runs in its own subtree, though they ran at the same time", async () => {
    const { result, recorder } = await traced((callbacks) => parallelBranches(150).invoke({ question: "Summarise tracing." }, { callbacks }));
    expect(result).toEqual({ summary: "A short summary.", keywords: "traces, spans" });

    const checked = await expectTraceOfRunTree(suite.stack.jaeger.query, SERVICE_NAME, recorder, recorder.root());
    const root = checked.spanOf(recorder.root());
    const summary = checked.spanNamed("summary_branch");
    const keywords = checked.spanNamed("keywords_branch");
    expect(parentSpanIdOf(summary)).toBe(root.spanID);
    expect(parentSpanIdOf(keywords)).toBe(root.spanID);
    expect(overlap(summary, keywords)).toBe(true);
    const chats = checked.spansNamed(`chat ${MODEL_NAME}`);
    expect(chats).toHaveLength(2);
    expect(chats.map(parentSpanIdOf).sort()).toEqual([summary.spanID, keywords.spanID].sort());
    expect(overlap(chats[0] as JaegerSpan, chats[1] as JaegerSpan)).toBe(true);
  });

  it("a batch: concurrent root runs become separate, complete traces", async () => {
    const questions = ["One?", "Two?", "Three?"].map((question) => ({ question }));
    const { result, recorder } = await traced((callbacks) => answerChain("Answer.", 100).batch(questions, { callbacks }));
    expect(result).toEqual(["Answer.", "Answer.", "Answer."]);

    const roots = recorder.roots();
    expect(roots).toHaveLength(3);
    const traces = [];
    for (const root of roots) traces.push(await expectTraceOfRunTree(suite.stack.jaeger.query, SERVICE_NAME, recorder, root));
    expect(new Set(traces.map((checked) => checked.trace.traceID)).size).toBe(3);
    const [first, second] = traces.map((checked) => checked.spanNamed(`chat ${MODEL_NAME}`));
    expect(overlap(first as JaegerSpan, second as JaegerSpan)).toBe(true);
  });
});
