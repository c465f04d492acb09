import { describe, expect, it } from "vitest";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { Runnable, RunnableLambda, type RunnableConfig } from "@langchain/core/runnables";
import { dispatchCustomEvent } from "@langchain/core/callbacks/dispatch";
import { FakeLLM } from "@langchain/core/utils/testing";
import { createTestTracing } from "./support/tracing.js";
import { ScriptedChatModel, type ScriptedReply } from "../demo/scripted-chat-model.js";
import { buildAgent, knowledgeBase } from "./support/agent.js";

function reply(text: string, extra: Omit<ScriptedReply, "text"> = {}): () => ScriptedReply {
  return () => ({ text, ...extra });
}

describe("GenAI semantic conventions and OpenInference attributes", () => {
  it("describes a chat model call: name, kind, provider, request parameters, usage, finish reasons, messages", async () => {
    const tracing = createTestTracing();
    const model = new ScriptedChatModel({
      modelName: "gpt-4o-mini",
      provider: "openai",
      temperature: 0.3,
      script: reply("Hello there", {
        responseId: "chatcmpl-7",
        usage: {
          input_tokens: 11,
          output_tokens: 3,
          total_tokens: 14,
          input_token_details: { cache_read: 4 },
          output_token_details: { reasoning: 2 },
        },
      }),
    });

    await model.invoke([new SystemMessage("Be kind."), new HumanMessage("Hi")], { callbacks: [tracing.handler], stop: ["\n\n"], tags: ["greeting"], metadata: { user_id: "u-7" } });

    const chat = tracing.span("chat gpt-4o-mini");
    const a = chat.attributes;
    expect(a["gen_ai.operation.name"]).toBe("chat");
    expect(a["gen_ai.provider.name"]).toBe("openai");
    expect(a["gen_ai.request.model"]).toBe("gpt-4o-mini");
    expect(a["gen_ai.request.temperature"]).toBe(0.3);
    expect(a["gen_ai.request.stop_sequences"]).toEqual(["\n\n"]);
    expect(a["gen_ai.response.model"]).toBe("gpt-4o-mini");
    expect(a["gen_ai.response.finish_reasons"]).toEqual(["stop"]);
    expect(a["gen_ai.response.id"]).toBe("chatcmpl-7");
    expect(a["gen_ai.usage.input_tokens"]).toBe(11);
    expect(a["gen_ai.usage.output_tokens"]).toBe(3);
    expect(a["gen_ai.usage.cache_read.input_tokens"]).toBe(4);
    expect(a["gen_ai.usage.reasoning.output_tokens"]).toBe(2);
    expect(a["llm.token_count.prompt"]).toBe(11);
    expect(a["llm.token_count.completion"]).toBe(3);
    expect(a["llm.token_count.total"]).toBe(14);
    expect(a["openinference.span.kind"]).toBe("LLM");
    expect(a["llm.model_name"]).toBe("gpt-4o-mini");
    expect(a["llm.provider"]).toBe("openai");
    expect(a["tag.tags"]).toEqual(["greeting"]);
    expect(a["user.id"]).toBe("u-7");
    expect(a["gen_ai.request.stream"]).toBeUndefined(); // only streamed calls carry it
    expect(JSON.parse(String(a["gen_ai.input.messages"]))).toEqual([
      { role: "system", parts: [{ type: "text", content: "Be kind." }] },
      { role: "user", parts: [{ type: "text", content: "Hi" }] },
    ]);
    expect(JSON.parse(String(a["gen_ai.output.messages"]))).toEqual([{ role: "assistant", parts: [{ type: "text", content: "Hello there" }], finish_reason: "stop" }]);
    expect(a["llm.input_messages.1.message.role"]).toBe("user");
    expect(a["llm.input_messages.1.message.content"]).toBe("Hi");
    expect(a["llm.output_messages.0.message.content"]).toBe("Hello there");
    expect(a["input.mime_type"]).toBe("application/json");
    // The user's keys and LangChain's ls_* keys, which Phoenix users filter on.
    expect(JSON.parse(String(a["metadata"]))).toMatchObject({ user_id: "u-7", ls_provider: "openai", ls_model_name: "gpt-4o-mini" });
  });

  it("records tool calls and tool results as message parts, and tool spans per the conventions", async () => {
    const tracing = createTestTracing();
    await buildAgent().invoke({ messages: [new HumanMessage("go")] }, { callbacks: [tracing.handler] });

    const [first, second] = tracing.spans().filter((s) => s.name === "chat gpt-test").sort((x, y) => x.startTime[1] - y.startTime[1] + (x.startTime[0] - y.startTime[0]) * 1e9);
    const output = JSON.parse(String(first?.attributes["gen_ai.output.messages"]));
    expect(output[0].parts).toContainEqual({ type: "tool_call", id: "call_multiply", name: "multiply", arguments: { a: 6, b: 7 } });
    expect(first?.attributes["gen_ai.response.finish_reasons"]).toEqual(["tool_calls"]);
    expect(first?.attributes["llm.output_messages.0.message.tool_calls.1.tool_call.function.name"]).toBe("multiply");
    const input = JSON.parse(String(second?.attributes["gen_ai.input.messages"]));
    expect(input).toContainEqual({ role: "tool", name: "multiply", parts: [{ type: "tool_call_response", id: "call_multiply", response: "42" }] });

    const tool = tracing.span("execute_tool multiply");
    expect(tool.attributes).toMatchObject({
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "multiply",
      "gen_ai.tool.type": "function",
      "gen_ai.tool.call.id": "call_multiply",
      "openinference.span.kind": "TOOL",
      "tool.name": "multiply",
    });
    expect(tool.attributes["langchain.run.type"]).toBeUndefined(); // TOOL says it
    expect(JSON.parse(String(tool.attributes["gen_ai.tool.call.arguments"]))).toEqual({ a: 6, b: 7 });
    expect(tool.attributes["gen_ai.tool.call.result"]).toBe("42");
  });

  it("describes a retriever run with its documents", async () => {
    const tracing = createTestTracing();
    await knowledgeBase.invoke("traces", { callbacks: [tracing.handler] });

    const retrieval = tracing.span("retrieval KeywordRetriever");
    expect(retrieval.attributes).toMatchObject({
      "gen_ai.operation.name": "retrieval",
      "gen_ai.data_source.id": "KeywordRetriever",
      "openinference.span.kind": "RETRIEVER",
      "input.value": "traces",
      "retrieval.documents.0.document.id": "doc-1",
      "retrieval.documents.0.document.content": "Jaeger shows traces.",
      "retrieval.documents.0.document.score": 1, // KeywordRetriever scores by matching words
      "retrieval.documents.1.document.content": "The collector forwards traces.",
    });
    expect(JSON.parse(String(retrieval.attributes["retrieval.documents.1.document.metadata"]))).toEqual({ source: "collector.md", score: 1 });
  });

  it("names text-completion LLM spans text_completion {model}", async () => {
    const tracing = createTestTracing();
    await new FakeLLM({}).invoke("Say hi", { callbacks: [tracing.handler] });
    const span = tracing.spans()[0]!;
    expect(span.name).toMatch(/^text_completion/);
    expect(span.attributes["gen_ai.operation.name"]).toBe("text_completion");
    expect(JSON.parse(String(span.attributes["gen_ai.input.messages"]))).toEqual([{ role: "user", parts: [{ type: "text", content: "Say hi" }] }]);
  });

  it("records the time to first chunk of a streamed reply, not one event per token", async () => {
    const tracing = createTestTracing();
    const model = new ScriptedChatModel({ modelName: "stream-1", script: reply("one two three four five six") });
    const chunks: string[] = [];
    for await (const chunk of await model.stream("hi", { callbacks: [tracing.handler] })) chunks.push(String(chunk.content));

    expect(chunks.join("")).toBe("one two three four five six");
    const chat = tracing.span("chat stream-1");
    const ttft = chat.attributes["gen_ai.response.time_to_first_chunk"];
    expect(ttft).toBeTypeOf("number");
    const durationSeconds = chat.duration[0] + chat.duration[1] / 1e9;
    expect(ttft as number).toBeGreaterThanOrEqual(0);
    expect(ttft as number).toBeLessThanOrEqual(durationSeconds);
    expect(chat.events).toHaveLength(0);
    expect(chat.attributes["gen_ai.request.stream"]).toBe(true);
    expect(chat.attributes["gen_ai.output.messages"]).toContain("one two three");
  });

  it("turns custom events into span events on the run that dispatched them", async () => {
    const tracing = createTestTracing();
    const step = RunnableLambda.from(async (x: number) => {
      await dispatchCustomEvent("progress", { done: x });
      return x;
    }).withConfig({ runName: "step" });

    await step.invoke(3, { callbacks: [tracing.handler] });

    const event = tracing.span("step").events.find((e) => e.name === "progress");
    expect(event).toBeDefined();
    expect(JSON.parse(String(event?.attributes?.["langchain.event.content"]))).toEqual({ done: 3 });
  });

  it("records the real input of a streamed chain, known only at its end", async () => {
    const tracing = createTestTracing();
    const upper = RunnableLambda.from((s: string) => s.toUpperCase()).withConfig({ runName: "upper" });
    const chain = upper.pipe(RunnableLambda.from((s: string) => `${s}!`).withConfig({ runName: "shout" }));
    let out = "";
    for await (const chunk of await chain.stream("hey", { callbacks: [tracing.handler] })) out += chunk;
    expect(out).toBe("HEY!");
    // A single string is written as text, as OpenInference does.
    expect(tracing.span("RunnableSequence").attributes["input.value"]).toBe("hey");
    expect(tracing.span("RunnableSequence").attributes["input.mime_type"]).toBeUndefined();
  });

  it("records agent actions, agent finish and text as events of the run that reported them", async () => {
    // A legacy-style agent step: it reports through its own run manager, as AgentExecutor does.
    class PlannerStep extends Runnable<string, string> {
      lc_namespace = ["test"];
      override async invoke(input: string, options?: RunnableConfig): Promise<string> {
        return this._callWithConfig(async (question: string, _config, runManager) => {
          await runManager?.handleText("thinking about it");
          await runManager?.handleAgentAction({ tool: "search_docs", toolInput: { query: question }, log: "" });
          await runManager?.handleAgentEnd({ returnValues: { output: "done" }, log: "" });
          return "done";
        }, input, options);
      }
    }
    const tracing = createTestTracing();
    await new PlannerStep().invoke("traces?", { callbacks: [tracing.handler] });

    const events = tracing.span("PlannerStep").events;
    expect(events.map((e) => e.name)).toEqual(["langchain.text", "langchain.agent.action", "langchain.agent.finish"]);
    expect(events[0]?.attributes?.["langchain.event.content"]).toBe("thinking about it");
    expect(events[1]?.attributes?.["gen_ai.tool.name"]).toBe("search_docs");
    expect(JSON.parse(String(events[1]?.attributes?.["langchain.event.content"]))).toEqual({ query: "traces?" });
    expect(JSON.parse(String(events[2]?.attributes?.["langchain.event.content"]))).toEqual({ output: "done" });
  });
});
