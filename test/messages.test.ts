/**
 * What a chat span says about its messages and tools, as Phoenix (OpenInference's flattened
 * attributes) and the GenAI JSON attributes read it. Every GenAI JSON attribute of every span
 * here is also validated against the v1.41.1 schemas (test/support/genai-schemas.ts).
 */
import { describe, expect, it } from "vitest";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import type { Attributes } from "@opentelemetry/api";
import { ScriptedChatModel } from "../demo/scripted-chat-model.js";
import { buildAgent, multiply, searchDocs } from "./support/agent.js";
import { messagesPayload } from "../src/attributes/message-json.js";
import type { GenAiMessage } from "../src/attributes/messages.js";
import { genAiSchemaViolations } from "./support/genai-schemas.js";
import { createTestTracing } from "./support/tracing.js";

/** A chat model whose reply is one fixed message, as an older provider integration builds it. */
class FixedReplyModel extends BaseChatModel {
  constructor(private readonly reply: AIMessage) {
    super({});
  }
  _llmType(): string {
    return "fixed";
  }
  async _generate(_messages: BaseMessage[]): Promise<ChatResult> {
    return { generations: [{ text: "", message: this.reply }] };
  }
}

function json(attributes: Attributes, name: string): unknown {
  return JSON.parse(String(attributes[name]));
}

/** The flattened messages as OpenInference lists them: `[{role, content, ...}]` by index. */
function flattened(attributes: Attributes, prefix: string): Array<Record<string, unknown>> {
  const messages: Array<Record<string, unknown>> = [];
  for (const [name, value] of Object.entries(attributes)) {
    const match = new RegExp(`^${prefix.replace(".", "\\.")}\\.(\\d+)\\.message\\.(.+)$`).exec(name);
    if (match === null) continue;
    const index = Number(match[1]);
    (messages[index] ??= {})[match[2] as string] = value;
  }
  return messages;
}

describe("messages on chat spans", () => {
  it("writes tool-call names and arguments, in the flattened messages and the GenAI JSON", async () => {
    const tracing = createTestTracing();
    await buildAgent().invoke({ messages: [new HumanMessage("go")] }, { callbacks: [tracing.handler] });
    const [first, second] = tracing.spans().filter((s) => s.name === "chat gpt-test");
    const output = flattened(first?.attributes ?? {}, "llm.output_messages");
    expect(output[0]).toMatchObject({
      role: "assistant",
      "tool_calls.0.tool_call.id": "call_search",
      "tool_calls.0.tool_call.function.name": "search_docs",
      "tool_calls.0.tool_call.function.arguments": '{"query":"traces"}',
      "tool_calls.1.tool_call.function.name": "multiply",
      "tool_calls.1.tool_call.function.arguments": '{"a":6,"b":7}',
    });
    // The second call sees the request with its arguments, and both results with their call ids.
    const input = flattened(second?.attributes ?? {}, "llm.input_messages");
    expect(input.map((m) => m["role"])).toEqual(["user", "assistant", "tool", "tool"]);
    expect(input[1]?.["tool_calls.1.tool_call.function.arguments"]).toBe('{"a":6,"b":7}');
    expect(input[3]).toMatchObject({ tool_call_id: "call_multiply", content: "42" });
    expect(json(second?.attributes ?? {}, "gen_ai.input.messages")).toContainEqual({
      role: "assistant",
      parts: [
        { type: "tool_call", id: "call_search", name: "search_docs", arguments: { query: "traces" } },
        { type: "tool_call", id: "call_multiply", name: "multiply", arguments: { a: 6, b: 7 } },
      ],
    });
  });

  it("reads tool calls that exist only in additional_kwargs, and the legacy function_call", async () => {
    const tracing = createTestTracing();
    const openAiShape = new AIMessage({
      content: "",
      tool_calls: [],
      additional_kwargs: { tool_calls: [{ id: "call_9", type: "function", function: { name: "lookup", arguments: '{"city":"Oslo"}' } }] },
    });
    await new FixedReplyModel(openAiShape).invoke("weather?", { callbacks: [tracing.handler] });
    const legacy = new AIMessage({ content: "", additional_kwargs: { function_call: { name: "lookup", arguments: '{"city":"Bergen"}' } } });
    await new FixedReplyModel(legacy).invoke("weather?", { callbacks: [tracing.handler] });

    const [modern, old] = tracing.spans();
    expect(json(modern?.attributes ?? {}, "gen_ai.output.messages")).toEqual([
      { role: "assistant", parts: [{ type: "tool_call", id: "call_9", name: "lookup", arguments: { city: "Oslo" } }], finish_reason: "tool_call" },
    ]);
    expect(modern?.attributes["llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments"]).toBe('{"city":"Oslo"}');
    // Never `parts: []`: the legacy call is a tool_call part.
    expect(json(old?.attributes ?? {}, "gen_ai.output.messages")).toEqual([
      { role: "assistant", parts: [{ type: "tool_call", name: "lookup", arguments: { city: "Bergen" } }], finish_reason: "tool_call" },
    ]);
    expect(old?.attributes["llm.output_messages.0.message.tool_calls.0.tool_call.function.name"]).toBe("lookup");
  });

  it("gives every output message a finish_reason, and an empty reply a part", async () => {
    const tracing = createTestTracing();
    await new FixedReplyModel(new AIMessage("")).invoke("anything?", { callbacks: [tracing.handler] });
    expect(json(tracing.spans()[0]?.attributes ?? {}, "gen_ai.output.messages")).toEqual([
      { role: "assistant", parts: [{ type: "text", content: "" }], finish_reason: "unknown" },
    ]);
    expect(tracing.spans()[0]?.attributes["gen_ai.response.finish_reasons"]).toBeUndefined(); // the provider reported none
  });

  it("writes images as the spec's uri and blob parts, and as OpenInference message contents", async () => {
    const tracing = createTestTracing();
    const model = new ScriptedChatModel({ modelName: "vision-1", script: () => ({ text: "A cat." }) });
    const question = new HumanMessage({
      content: [
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
        { type: "image_url", image_url: "data:image/png;base64,iVBORw0KGgo=" },
      ],
    });
    await model.invoke([question], { callbacks: [tracing.handler] });
    const a = tracing.span("chat vision-1").attributes;
    expect(json(a, "gen_ai.input.messages")).toEqual([
      {
        role: "user",
        parts: [
          { type: "text", content: "What is this?" },
          { type: "uri", modality: "image", uri: "https://example.com/cat.png" },
          { type: "blob", modality: "image", mime_type: "image/png", content: "iVBORw0KGgo=" },
        ],
      },
    ]);
    expect(flattened(a, "llm.input_messages")[0]).toEqual({
      role: "user",
      "contents.0.message_content.type": "text",
      "contents.0.message_content.text": "What is this?",
      "contents.1.message_content.type": "image",
      "contents.1.message_content.image.image.url": "https://example.com/cat.png",
      "contents.2.message_content.type": "image",
      "contents.2.message_content.image.image.url": "data:image/png;base64,iVBORw0KGgo=",
    });
  });
});

describe("long conversations", () => {
  /** system, the question, then `turns` rounds of tool call + tool result, each with a long text. */
  function history(turns: number, filler: string): BaseMessage[] {
    const messages: BaseMessage[] = [new SystemMessage("You are the support agent."), new HumanMessage("FIRST QUESTION: how do I export traces?")];
    for (let turn = 0; turn < turns; turn++) {
      messages.push(new AIMessage({ content: `thinking ${turn} ${filler}`, tool_calls: [{ id: `c${turn}`, name: "search_docs", args: { query: `q${turn}` } }] }));
      messages.push(new ToolMessage({ content: `result ${turn} ${filler}`, tool_call_id: `c${turn}` }));
    }
    messages.push(new HumanMessage("LAST QUESTION: and in Phoenix?"));
    return messages;
  }

  it("keeps the system message, the first question and the tail, with a marker between, as valid JSON within the cap", async () => {
    const tracing = createTestTracing({ maxContentLength: 2000 });
    const model = new ScriptedChatModel({ modelName: "long-1", script: () => ({ text: "ok" }) });
    const messages = history(12, "x".repeat(300));
    await model.invoke(messages, { callbacks: [tracing.handler] });
    const a = tracing.span("chat long-1").attributes;

    const text = String(a["gen_ai.input.messages"]);
    expect(text.length).toBeLessThanOrEqual(2000);
    const kept = JSON.parse(text) as Array<{ role: string; parts: Array<{ content?: string }> }>;
    expect(kept[0]?.role).toBe("system");
    expect(kept[1]?.parts[0]?.content).toContain("FIRST QUESTION");
    expect(kept[2]?.role).toBe("elided");
    expect(kept[2]?.parts[0]?.content).toMatch(/^\[\d+ messages left out by langchain-otel\]$/);
    expect(kept.at(-1)?.parts[0]?.content).toContain("LAST QUESTION");
    expect(kept.length).toBeLessThan(messages.length);
    expect(a["input.value"]).toBe(text);
    expect(a["input.mime_type"]).toBe("application/json");
    expect(a["langchain.content.truncated"]).toBe(true);
  });

  it("cuts a single message longer than the cap inside its text, and the JSON stays whole", async () => {
    const tracing = createTestTracing({ maxContentLength: 500 });
    const model = new ScriptedChatModel({ modelName: "huge-1", script: () => ({ text: "ok" }) });
    await model.invoke([new SystemMessage("S".repeat(3000)), new HumanMessage("Q".repeat(3000))], { callbacks: [tracing.handler] });
    const text = String(tracing.span("chat huge-1").attributes["gen_ai.input.messages"]);
    expect(text.length).toBeLessThanOrEqual(500);
    const kept = JSON.parse(text) as Array<{ role: string; parts: Array<{ content: string }> }>;
    expect(kept.map((m) => m.role)).toEqual(["system", "user"]);
    expect(kept[1]?.parts[0]?.content).toMatch(/^Q+…\[truncated by langchain-otel: kept \d+ of 3000 chars\]$/);
  });

  it("flattens a 20-message conversation whole, and the span stays within the SDK's 128 attributes", async () => {
    const tracing = createTestTracing();
    const model = new ScriptedChatModel({ modelName: "gpt-hist", provider: "openai", temperature: 0, script: () => ({ text: "ok" }) });
    const messages: BaseMessage[] = [new SystemMessage("You are the support agent.")];
    for (let turn = 0; turn < 10; turn++) messages.push(new HumanMessage(`question ${turn}`), new AIMessage(`answer ${turn}`));
    messages.push(new HumanMessage("one more"));
    await model.bindTools([searchDocs, multiply]).invoke(messages, { callbacks: [tracing.handler], metadata: { user_id: "u-1", session_id: "s-1" }, tags: ["t"] });
    const span = tracing.span("chat gpt-hist");
    const input = flattened(span.attributes, "llm.input_messages");
    expect(input).toHaveLength(messages.length);
    expect(input.map((m) => m["role"]).includes("elided")).toBe(false);
    expect(span.droppedAttributesCount).toBe(0);
    expect(Object.keys(span.attributes).length).toBeLessThanOrEqual(128);
  });

  it("keeps the beginning and the tail of a history too long for the flattened budget, and drops no attribute", async () => {
    const tracing = createTestTracing();
    const model = new ScriptedChatModel({ modelName: "gpt-long", provider: "openai", script: () => ({ text: "ok" }) });
    const messages = history(30, "short"); // 63 messages
    await model.bindTools([searchDocs, multiply]).invoke(messages, { callbacks: [tracing.handler] });
    const span = tracing.span("chat gpt-long");
    const input = flattened(span.attributes, "llm.input_messages");
    expect(input[0]?.["role"]).toBe("system");
    expect(String(input[1]?.["content"])).toContain("FIRST QUESTION");
    expect(input[2]?.["role"]).toBe("elided");
    expect(String(input.at(-1)?.["content"])).toContain("LAST QUESTION");
    expect(span.droppedAttributesCount).toBe(0);
    // The JSON keeps them all: it is under the default cap.
    expect((json(span.attributes, "gen_ai.input.messages") as unknown[]).length).toBe(messages.length);
  });
});

describe("tools offered to the model", () => {
  it("writes the spec's flat definitions and OpenInference's json_schema per tool, and names them by count in the invocation parameters", async () => {
    const tracing = createTestTracing();
    await buildAgent().invoke({ messages: [new HumanMessage("go")] }, { callbacks: [tracing.handler] });
    const chat = tracing.spans().find((s) => s.name === "chat gpt-test");
    const a = chat?.attributes ?? {};
    const definitions = json(a, "gen_ai.tool.definitions") as Array<Record<string, unknown>>;
    expect(definitions.map(({ type, name, description }) => ({ type, name, description }))).toEqual([
      { type: "function", name: "search_docs", description: "Search the documentation." },
      { type: "function", name: "multiply", description: "Multiply two numbers." },
    ]);
    expect(definitions[1]?.["parameters"]).toMatchObject({ type: "object", properties: { a: { type: "number" }, b: { type: "number" } } });
    expect(json(a, "llm.tools.1.tool.json_schema")).toMatchObject({ type: "function", function: { name: "multiply" } });
    expect(json(a, "llm.invocation_parameters")).toMatchObject({ model: "gpt-test", tools: "[2 tools: see llm.tools]" });
  });

  it("gives tool spans the description the model was offered in the same run tree", async () => {
    const tracing = createTestTracing();
    await buildAgent().invoke({ messages: [new HumanMessage("go")] }, { callbacks: [tracing.handler] });
    const multiplySpan = tracing.span("execute_tool multiply");
    expect(multiplySpan.attributes["gen_ai.tool.description"]).toBe("Multiply two numbers.");
    expect(multiplySpan.attributes["tool.description"]).toBe("Multiply two numbers.");
    expect(tracing.span("execute_tool search_docs").attributes["gen_ai.tool.description"]).toBe("Search the documentation.");
  });

  it("keeps gen_ai.tool.definitions and the invocation parameters valid JSON when the tools exceed the cap", async () => {
    const tracing = createTestTracing({ maxContentLength: 200 });
    await buildAgent().invoke({ messages: [new HumanMessage("go")] }, { callbacks: [tracing.handler] });
    const a = tracing.spans().find((s) => s.name === "chat gpt-test")?.attributes ?? {};
    const definitions = json(a, "gen_ai.tool.definitions") as Array<Record<string, unknown>>;
    expect(definitions.map((d) => d["name"])).toEqual(["search_docs", "multiply"]);
    expect(definitions.every((d) => d["parameters"] === undefined)).toBe(true);
    expect(a["langchain.content.truncated"]).toBe(true);
    // The invocation parameters stay JSON too.
    expect(json(a, "llm.invocation_parameters")).toMatchObject({ model: "gpt-test", tools: "[2 tools: see llm.tools]" });
  });
});

describe("providers", () => {
  it.each([
    ["openai", "openai", "openai"],
    ["azure_openai", "azure.ai.openai", "azure"],
    ["bedrock", "aws.bedrock", "aws"],
    ["google_vertexai", "gcp.vertex_ai", "google"],
    ["google_genai", "gcp.gemini", "google"],
    ["mistralai", "mistral_ai", "mistralai"],
    ["xai", "x_ai", "xai"],
    ["some_new_provider", "some_new_provider", "some_new_provider"],
  ])("ls_provider %s is gen_ai.provider.name %s and llm.provider %s", async (lsProvider, genAi, openInference) => {
    const tracing = createTestTracing();
    await new ScriptedChatModel({ modelName: "m", provider: lsProvider, script: () => ({ text: "hi" }) }).invoke("hi", { callbacks: [tracing.handler] });
    expect(tracing.span("chat m").attributes["gen_ai.provider.name"]).toBe(genAi);
    expect(tracing.span("chat m").attributes["llm.provider"]).toBe(openInference);
  });
});

describe("the schema check itself", () => {
  it("rejects OpenAI's nested tool shape, cut JSON and a missing finish_reason", () => {
    const nested = { name: "s", attributes: { "gen_ai.tool.definitions": JSON.stringify([{ type: "function", function: { name: "x" } }]) } };
    expect(genAiSchemaViolations(nested)).toHaveLength(1);
    const cut = { name: "s", attributes: { "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":"ab…[truncated' } };
    expect(genAiSchemaViolations(cut)[0]).toContain("is not JSON");
    const noReason = { name: "s", attributes: { "gen_ai.output.messages": JSON.stringify([{ role: "assistant", parts: [] }]) } };
    expect(genAiSchemaViolations(noReason)).toHaveLength(1);
  });
});

describe("messagesPayload", () => {
  const long = (n: number): GenAiMessage[] => [
    { role: "system", parts: [{ type: "text", content: "S".repeat(n) }] },
    { role: "user", parts: [{ type: "text", content: "first question" }] },
    ...Array.from({ length: 12 }, (_, i): GenAiMessage => ({ role: i % 2 ? "tool" : "assistant", parts: [i % 2 ? { type: "tool_call_response", id: `c${i}`, response: { rows: "R".repeat(n) } } : { type: "tool_call", id: `c${i + 1}`, name: "search", arguments: { query: "Q".repeat(n) } }] })),
    { role: "user", parts: [{ type: "text", content: "last question" }] },
  ];

  it.each([64, 100, 200, 500, 1000, 5000])("is whole JSON within a cap of %i that validates, for inputs and outputs", (cap) => {
    for (const size of [10, 300, 3000]) {
      const input = messagesPayload(long(size), cap);
      expect(input.text.length).toBeLessThanOrEqual(cap);
      expect(genAiSchemaViolations({ name: "t", attributes: { "gen_ai.input.messages": input.text } })).toEqual([]);
      const output = messagesPayload(long(size).map((m) => ({ ...m, finish_reason: "stop" })), cap, true);
      expect(output.text.length).toBeLessThanOrEqual(cap);
      expect(genAiSchemaViolations({ name: "t", attributes: { "gen_ai.output.messages": output.text } })).toEqual([]);
    }
  });

  it("keeps everything, uncut, when it fits", () => {
    const messages = long(10);
    const payload = messagesPayload(messages, 100_000);
    expect(JSON.parse(payload.text)).toEqual(messages);
    expect(payload.truncated).toBe(false);
  });
});
