import { describe, expect, it } from "vitest";
import { HumanMessage } from "@langchain/core/messages";
import { RunnableLambda } from "@langchain/core/runnables";
import { createTestTracing } from "./support/tracing.js";
import { ScriptedChatModel } from "../demo/scripted-chat-model.js";
import { buildAgent, knowledgeBase } from "./support/agent.js";
import { capText, toPayload } from "../src/payload.js";
import { isSecretKey, REDACTED } from "../src/redaction.js";

describe("payloads become bounded, safe JSON", () => {
  it("survives circular graphs, BigInt, buffers, Maps, Sets, dates, errors, symbols and functions", () => {
    const circular: Record<string, unknown> = { name: "loop" };
    circular["self"] = circular;
    const shared = { x: 1 };
    const payload = toPayload(
      {
        circular,
        twice: [shared, shared],
        big: 12345678901234567890n,
        buffer: Buffer.from("binary data here"),
        bytes: new Uint8Array(1024),
        map: new Map([["k", 1]]),
        set: new Set(["a"]),
        date: new Date(0),
        error: new TypeError("bad"),
        symbol: Symbol("s"),
        fn: function namedFn() {},
        nan: Number.NaN,
      },
      10_000,
    );
    expect(payload.mimeType).toBe("application/json");
    expect(JSON.parse(payload.text)).toEqual({
      circular: { name: "loop", self: "[circular]" },
      twice: [{ x: 1 }, { x: 1 }],
      big: "12345678901234567890",
      buffer: "[binary: 16 bytes]",
      bytes: "[binary: 1024 bytes]",
      map: { k: 1 },
      set: ["a"],
      date: "1970-01-01T00:00:00.000Z",
      error: { name: "TypeError", message: "bad" },
      symbol: "Symbol(s)",
      fn: "[function namedFn]",
      nan: "NaN",
    });
  });

  it("escapes keys and strings exactly as JSON.stringify does: quotes, backslashes, controls, emoji, lone surrogates", () => {
    const texts = ['say "hi"', "back\\slash", "tab\tnew\nline\u0000", "emoji 😀 ok", "lone \ud800 high", "lone \udc00 low", "plain", "°C and ü"];
    const value = Object.fromEntries(texts.map((text) => [text, [text]]));
    const payload = toPayload(value, 10_000);
    expect(payload.mimeType).toBe("application/json");
    expect(payload.text).toBe(JSON.stringify(value));
  });

  it("keeps the rest of an object whose getter or toJSON throws, and survives hostile Proxies", () => {
    class Account {
      id = "acc-1";
      get balance(): number {
        throw new Error("locked");
      }
    }
    Object.defineProperty(Account.prototype, "balance", { enumerable: true });
    const withGetter = Object.defineProperty({ ok: true }, "secretive", { enumerable: true, get: () => { throw new Error("nope"); } });
    const badToJson = { toJSON: () => { throw new Error("no json"); } };
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error("trap"); } });

    const parsed = JSON.parse(toPayload({ account: new Account(), withGetter, badToJson, hostile }, 10_000).text);

    expect(parsed.account).toEqual({ id: "acc-1" });
    expect(parsed.withGetter).toEqual({ ok: true, secretive: "[unreadable: Error: nope]" });
    expect(parsed.badToJson).toBe("[unreadable: Error: no json]");
    expect(parsed.hostile).toBe("[unreadable: Error: trap]");
  });

  it("caps huge payloads at maxContentLength with an explicit marker, without walking all of them", () => {
    const huge = { text: "x".repeat(1_000_000), items: Array.from({ length: 100_000 }, (_, i) => ({ i })) };
    const payload = toPayload(huge, 1000);
    expect(payload.text.length).toBeLessThanOrEqual(1000);
    expect(payload.truncated).toBe(true);
    expect(payload.text).toContain("truncated by langchain-otel");

    const text = capText("y".repeat(5000), 200);
    expect(text.text.length).toBeLessThanOrEqual(200);
    expect(text.text).toMatch(/kept \d+ of 5000 chars\]$/);
  });

  it("writes messages and prompt values as their fields, the same each time they recur", async () => {
    const { ChatPromptTemplate } = await import("@langchain/core/prompts");
    const promptValue = await ChatPromptTemplate.fromMessages([["human", "hi {name}"]]).invoke({ name: "Ada" });
    const message = new HumanMessage({ content: "again", id: "m-1" });
    const parsed = JSON.parse(toPayload({ promptValue, twice: [message, message] }, 10_000).text);
    expect(parsed).toEqual({
      promptValue: { messages: [{ type: "human", content: "hi Ada" }] },
      twice: [{ type: "human", content: "again", id: "m-1" }, { type: "human", content: "again", id: "m-1" }],
    });
  });

  it("redacts LangChain secrets and credential-named keys", () => {
    const parsed = JSON.parse(
      toPayload(
        {
          openAIApiKey: "sk-live-123",
          nested: { api_key: "k", Authorization: "Bearer t", "x-api-key": "h", password: "p", client_secret: "c" },
          serialized: { lc: 1, type: "secret", id: ["OPENAI_API_KEY"] },
          max_tokens: 5,
          input_tokens: 3,
        },
        10_000,
      ).text,
    );
    expect(parsed).toEqual({
      openAIApiKey: REDACTED,
      nested: { api_key: REDACTED, Authorization: REDACTED, "x-api-key": REDACTED, password: REDACTED, client_secret: REDACTED },
      serialized: REDACTED,
      max_tokens: 5,
      input_tokens: 3,
    });
    expect(isSecretKey("anthropicApiKey")).toBe(true);
    expect(isSecretKey("total_tokens")).toBe(false);
  });
});

describe("what reaches the spans", () => {
  it("never lets an API key from invocation parameters or metadata reach an attribute", async () => {
    const tracing = createTestTracing();
    class LeakyModel extends ScriptedChatModel {
      override invocationParams(): Record<string, unknown> {
        return { model: "leaky", apiKey: "sk-SECRET-1", headers: { Authorization: "Bearer sk-SECRET-2" } };
      }
    }
    const model = new LeakyModel({ script: () => ({ text: "ok" }) });
    await model.invoke("hi", { callbacks: [tracing.handler], metadata: { openai_api_key: "sk-SECRET-3" } });

    const everything = JSON.stringify(tracing.spans().map((s) => s.attributes));
    expect(everything).not.toContain("sk-SECRET");
    expect(everything).toContain(REDACTED);
  });

  it("marks the span when a payload was cut", async () => {
    const tracing = createTestTracing({ maxContentLength: 100 });
    await RunnableLambda.from((s: string) => s.length).withConfig({ runName: "measure" }).invoke("z".repeat(10_000), { callbacks: [tracing.handler] });
    const span = tracing.span("measure");
    expect(String(span.attributes["input.value"]).length).toBeLessThanOrEqual(100);
    expect(span.attributes["langchain.content.truncated"]).toBe(true);
    expect(JSON.parse(String(span.attributes["output.value"]))).toEqual({ output: 10_000 });
  });

  it("with captureContent: false records no prompt, message, document or tool payload, but keeps structure and usage", async () => {
    const tracing = createTestTracing({ captureContent: false });
    await buildAgent().invoke({ messages: [new HumanMessage("TOP-SECRET-QUESTION")] }, { callbacks: [tracing.handler] });
    await knowledgeBase.invoke("traces", { callbacks: [tracing.handler] });

    const spans = tracing.spans();
    const everything = JSON.stringify(spans.map((s) => [s.attributes, s.events]));
    for (const content of ["TOP-SECRET-QUESTION", "Jaeger shows traces", "Done:", '"a":6']) expect(everything).not.toContain(content);
    for (const name of ["input.value", "output.value", "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.tool.call.arguments", "gen_ai.tool.call.result"]) {
      expect(spans.some((s) => name in s.attributes), name).toBe(false);
    }
    const chat = spans.find((s) => s.name === "chat gpt-test");
    expect(chat?.attributes["gen_ai.usage.input_tokens"]).toBeTypeOf("number");
    expect(chat?.attributes["gen_ai.request.model"]).toBe("gpt-test");
    expect(tracing.span("execute_tool multiply").attributes["gen_ai.tool.call.id"]).toBe("call_multiply");
  });

  it("reads OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false as content off", async () => {
    process.env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "false";
    try {
      const tracing = createTestTracing();
      await RunnableLambda.from((s: string) => s).withConfig({ runName: "echo" }).invoke("private", { callbacks: [tracing.handler] });
      expect(tracing.span("echo").attributes["input.value"]).toBeUndefined();
    } finally {
      delete process.env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"];
    }
  });
});
