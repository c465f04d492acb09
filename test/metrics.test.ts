/**
 * The GenAI client metrics, checked against the runs that produced them: real runnables, the
 * scripted chat model reporting known usage, real tools and retrievers, the real metrics SDK.
 */
import { afterEach, describe, expect, it } from "vitest";
import { metrics, type Meter, type MeterProvider } from "@opentelemetry/api";
import { HumanMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { FakeLLM } from "@langchain/core/utils/testing";
import { AlwaysOffSampler, BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { z } from "zod";
import { OpenTelemetryCallbackHandler } from "../src/index.js";
import {
  DURATION_BUCKETS,
  MAX_DISTINCT_METRIC_VALUES,
  MAX_METRIC_VALUE_LENGTH,
  METRIC_OPERATION_DURATION,
  METRIC_TIME_TO_FIRST_CHUNK,
  METRIC_TOKEN_USAGE,
  TOKEN_BUCKETS,
} from "../src/metrics.js";
import { ScriptedChatModel } from "../demo/scripted-chat-model.js";
import { knowledgeBase } from "./support/agent.js";
import { createTestMetrics, pointWith, type HistogramPoint } from "./support/metrics.js";
import { createTestTracing } from "./support/tracing.js";

const USAGE = { input_tokens: 21, output_tokens: 8, total_tokens: 29 };
const MODEL = "gpt-metrics";
const CHAT = {
  "gen_ai.operation.name": "chat",
  "gen_ai.provider.name": "openai",
  "gen_ai.request.model": MODEL,
  "gen_ai.response.model": MODEL,
};

function chatModel(fields: Partial<ConstructorParameters<typeof ScriptedChatModel>[0]> = {}) {
  return new ScriptedChatModel({ script: () => ({ text: "Two words.", usage: { ...USAGE } }), modelName: MODEL, provider: "openai", ...fields });
}

const prompt = ChatPromptTemplate.fromMessages([["human", "{question}"]]);

/** Index of the bucket a value falls in: (boundaries[i-1], boundaries[i]], as the SDK counts. */
function bucketOf(boundaries: number[], value: number): number {
  const index = boundaries.findIndex((boundary) => value <= boundary);
  return index === -1 ? boundaries.length : index;
}

function onlyIn(point: HistogramPoint, bucket: number): number[] {
  return point.counts.map((_, index) => (index === bucket ? point.count : 0));
}

function setUp(options: { sampled?: boolean } = {}) {
  const testMetrics = createTestMetrics();
  const tracing = createTestTracing({ meterProvider: testMetrics.meterProvider });
  if (options.sampled === false) {
    const provider = new BasicTracerProvider({ sampler: new AlwaysOffSampler() });
    return { ...testMetrics, handler: new OpenTelemetryCallbackHandler({ tracerProvider: provider, meterProvider: testMetrics.meterProvider }), tracing };
  }
  return { ...testMetrics, handler: tracing.handler, tracing };
}

describe("GenAI client metrics", () => {
  afterEach(() => metrics.disable());

  it("records one duration and input/output token usage per chat call, with the spec's attributes and buckets", async () => {
    const { histogram, handler } = setUp();
    const chain = prompt.pipe(chatModel()).pipe(new StringOutputParser());

    for (let i = 0; i < 3; i++) await chain.invoke({ question: `q${i}` }, { callbacks: [handler] });

    const durations = await histogram(METRIC_OPERATION_DURATION);
    expect(durations.map((p) => p.attributes)).toEqual([CHAT]); // chains and parsers are not GenAI operations
    const duration = pointWith(durations, CHAT);
    expect(duration.count).toBe(3);
    expect(duration.boundaries).toEqual(DURATION_BUCKETS);
    expect(duration.counts.reduce((a, b) => a + b, 0)).toBe(3);

    const tokens = await histogram(METRIC_TOKEN_USAGE);
    const input = pointWith(tokens, { ...CHAT, "gen_ai.token.type": "input" });
    const output = pointWith(tokens, { ...CHAT, "gen_ai.token.type": "output" });
    expect(tokens).toHaveLength(2);
    expect([input.count, input.sum, input.min, input.max]).toEqual([3, 63, 21, 21]);
    expect([output.count, output.sum]).toEqual([3, 24]);
    expect(input.boundaries).toEqual(TOKEN_BUCKETS);
    expect(input.counts).toEqual(onlyIn(input, bucketOf(TOKEN_BUCKETS, 21)));
    expect(output.counts).toEqual(onlyIn(output, bucketOf(TOKEN_BUCKETS, 8)));
    // invoke() does not stream: no time to first chunk.
    expect(await histogram(METRIC_TIME_TO_FIRST_CHUNK)).toEqual([]);
  });

  it("records time to first chunk for streamed calls, equal to the span's gen_ai.response.time_to_first_chunk", async () => {
    const { histogram, handler, tracing } = setUp();
    const model = chatModel({ firstChunkDelayMs: 30 });

    for (let i = 0; i < 2; i++) {
      for await (const _chunk of await model.stream([new HumanMessage("hi")], { callbacks: [handler] })) void _chunk;
    }

    const spanValues = tracing.spans().map((s) => s.attributes["gen_ai.response.time_to_first_chunk"] as number);
    expect(spanValues).toHaveLength(2);
    const firstChunk = pointWith(await histogram(METRIC_TIME_TO_FIRST_CHUNK), CHAT);
    expect(firstChunk.count).toBe(2);
    expect(firstChunk.sum).toBeCloseTo(spanValues[0]! + spanValues[1]!, 9);
    // It waited the scripted delay (less 1 ms: libuv times timers on a millisecond clock, so they may fire that early).
    expect(firstChunk.min).toBeGreaterThanOrEqual(0.029);
    expect(firstChunk.boundaries).toEqual(DURATION_BUCKETS);
    const duration = pointWith(await histogram(METRIC_OPERATION_DURATION), CHAT);
    expect(duration.sum).toBeGreaterThanOrEqual(firstChunk.sum);
  });

  it("records a failed model call's duration with error.type, and no token usage", async () => {
    const { histogram, handler } = setUp();
    class RateLimitError extends Error {
      override name = "RateLimitError";
    }
    const model = chatModel({
      script: () => {
        throw new RateLimitError("slow down");
      },
    });

    await expect(model.invoke("hi", { callbacks: [handler] })).rejects.toThrow("slow down");

    const { "gen_ai.response.model": _unknown, ...requestOnly } = CHAT;
    expect(pointWith(await histogram(METRIC_OPERATION_DURATION), { ...requestOnly, "error.type": "RateLimitError" }).count).toBe(1);
    expect(await histogram(METRIC_TOKEN_USAGE)).toEqual([]);
  });

  it("records an aborted model call as error.type=cancelled", async () => {
    const { histogram, handler } = setUp();
    const chain = RunnableLambda.from((question: string) => [new HumanMessage(question)]).pipe(chatModel({ firstChunkDelayMs: 200 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);

    await expect(chain.invoke("hi", { callbacks: [handler], signal: controller.signal })).rejects.toThrow();

    const { "gen_ai.response.model": _unknown, ...requestOnly } = CHAT;
    expect(pointWith(await histogram(METRIC_OPERATION_DURATION), { ...requestOnly, "error.type": "cancelled" }).count).toBe(1);
    expect(await histogram(METRIC_TOKEN_USAGE)).toEqual([]);
  });

  it("records text completion without usage or streaming as a duration only", async () => {
    const { histogram, handler } = setUp();
    await new FakeLLM({}).invoke("Say something", { callbacks: [handler] });

    const durations = await histogram(METRIC_OPERATION_DURATION);
    expect(durations).toHaveLength(1);
    expect(durations[0]?.attributes["gen_ai.operation.name"]).toBe("text_completion");
    expect(durations[0]?.count).toBe(1);
    expect(await histogram(METRIC_TOKEN_USAGE)).toEqual([]); // no usage reported: none recorded, per the spec
  });

  it("records tool executions and retrievals, failed tools with error.type, never tool or retriever names", async () => {
    const { histogram, handler } = setUp();
    class LookupError extends Error {
      override name = "LookupError";
    }
    const lookUp = tool(async ({ fail }) => {
      if (fail) throw new LookupError("no such order");
      return "shipped";
    }, { name: "look_up_order", description: "Looks an order up.", schema: z.object({ fail: z.boolean() }) });

    await lookUp.invoke({ fail: false }, { callbacks: [handler] });
    await lookUp.invoke({ fail: false }, { callbacks: [handler] });
    await expect(lookUp.invoke({ fail: true }, { callbacks: [handler] })).rejects.toThrow("no such order");
    await knowledgeBase.invoke("billing", { callbacks: [handler] });

    const durations = await histogram(METRIC_OPERATION_DURATION);
    expect(pointWith(durations, { "gen_ai.operation.name": "execute_tool" }).count).toBe(2);
    expect(pointWith(durations, { "gen_ai.operation.name": "execute_tool", "error.type": "LookupError" }).count).toBe(1);
    expect(pointWith(durations, { "gen_ai.operation.name": "retrieval" }).count).toBe(1);
    expect(durations).toHaveLength(3);
  });

  it("records runs whose spans are not sampled", async () => {
    const { histogram, handler } = setUp({ sampled: false });
    await prompt.pipe(chatModel()).invoke({ question: "q" }, { callbacks: [handler] });

    expect(pointWith(await histogram(METRIC_OPERATION_DURATION), CHAT).count).toBe(1);
    expect(pointWith(await histogram(METRIC_TOKEN_USAGE), { ...CHAT, "gen_ai.token.type": "input" }).sum).toBe(21);
  });

  it("records each run once when the handler is attached to the model and to the request", async () => {
    const { histogram, handler, tracing } = setUp();
    const model = chatModel({ callbacks: [handler] });
    const chain = prompt.pipe(model);

    await chain.invoke({ question: "q" }, { callbacks: [handler] });
    await model.invoke("direct", { callbacks: [handler] });

    expect(tracing.spans().filter((s) => s.name === `chat ${MODEL}`)).toHaveLength(2);
    expect(pointWith(await histogram(METRIC_OPERATION_DURATION), CHAT).count).toBe(2);
    const input = pointWith(await histogram(METRIC_TOKEN_USAGE), { ...CHAT, "gen_ai.token.type": "input" });
    expect([input.count, input.sum]).toEqual([2, 42]);
  });

  it("counts every run exactly under 200 concurrent requests", async () => {
    const { histogram, handler } = setUp();
    const chain = prompt.pipe(chatModel({ firstChunkDelayMs: 5 })).pipe(new StringOutputParser());
    const checkStock = tool(async () => "in stock", { name: "check_stock", description: "Checks stock.", schema: z.object({}) });
    const request = RunnableLambda.from(async (question: string) => {
      await checkStock.invoke({}, { callbacks: [handler] });
      return chain.invoke({ question }, { callbacks: [handler] });
    });

    await Promise.all(Array.from({ length: 200 }, (_, i) => request.invoke(`q${i}`, { callbacks: [handler] })));

    const durations = await histogram(METRIC_OPERATION_DURATION);
    expect(pointWith(durations, CHAT).count).toBe(200);
    expect(pointWith(durations, { "gen_ai.operation.name": "execute_tool" }).count).toBe(200);
    const tokens = await histogram(METRIC_TOKEN_USAGE);
    expect(pointWith(tokens, { ...CHAT, "gen_ai.token.type": "input" }).sum).toBe(200 * 21);
    expect(pointWith(tokens, { ...CHAT, "gen_ai.token.type": "output" }).sum).toBe(200 * 8);
    expect(handler.openRunCount).toBe(0);
  });

  it("bounds model names: cut to a maximum length, and past the distinct-value cap recorded as _OTHER", async () => {
    const { histogram, handler } = setUp();
    const longName = `ft:${"x".repeat(300)}`;
    const names = [longName, ...Array.from({ length: MAX_DISTINCT_METRIC_VALUES + 20 }, (_, i) => `model-${i}`)];

    for (const name of names) await chatModel({ modelName: name }).invoke("hi", { callbacks: [handler] });

    const durations = await histogram(METRIC_OPERATION_DURATION);
    const requestModels = durations.map((p) => p.attributes["gen_ai.request.model"] as string);
    expect(new Set(requestModels).size).toBe(MAX_DISTINCT_METRIC_VALUES + 1);
    expect(requestModels).toContain(longName.slice(0, MAX_METRIC_VALUE_LENGTH));
    expect(requestModels).toContain("_OTHER");
    expect(Math.max(...requestModels.map((name) => name.length))).toBe(MAX_METRIC_VALUE_LENGTH);
    expect(durations.reduce((sum, p) => sum + p.count, 0)).toBe(names.length);
    const allowed = ["gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model"];
    for (const point of durations) expect(Object.keys(point.attributes).filter((key) => !allowed.includes(key))).toEqual([]);
  });

  it("uses the global meter provider by default, also one registered after the handler was built", async () => {
    const handler = new OpenTelemetryCallbackHandler({ tracerProvider: new BasicTracerProvider() });
    const { meterProvider, histogram } = createTestMetrics();
    metrics.setGlobalMeterProvider(meterProvider);

    await chatModel().invoke("hi", { callbacks: [handler] });

    expect(pointWith(await histogram(METRIC_OPERATION_DURATION), CHAT).count).toBe(1);
  });

  it("measures from the first run that starts once an SDK is registered (before that, runs carry no metric state)", async () => {
    const handler = new OpenTelemetryCallbackHandler({ tracerProvider: new BasicTracerProvider() });
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const wait = tool(async ({ gated }) => (gated ? gate.then(() => "late") : "now"), {
      name: "wait",
      description: "Waits for the gate.",
      schema: z.object({ gated: z.boolean() }),
    });
    const inFlight = wait.invoke({ gated: true }, { callbacks: [handler] });
    while (handler.openRunCount === 0) await new Promise((resolve) => setImmediate(resolve)); // started with the API's no-op provider
    const { meterProvider, histogram } = createTestMetrics();
    metrics.setGlobalMeterProvider(meterProvider);
    release();
    await inFlight;
    await wait.invoke({ gated: false }, { callbacks: [handler] });

    expect(pointWith(await histogram(METRIC_OPERATION_DURATION), { "gen_ai.operation.name": "execute_tool" }).count).toBe(1);
  });

  it("never throws into the chain when the metrics SDK throws", async () => {
    const throwing = () => {
      throw new Error("meter exploded");
    };
    const brokenMeter = { createHistogram: () => ({ record: throwing }) } as unknown as Meter;
    const providers: MeterProvider[] = [{ getMeter: () => brokenMeter }, { getMeter: throwing }];
    for (const meterProvider of providers) {
      const tracing = createTestTracing({ meterProvider });
      const chain = prompt.pipe(chatModel()).pipe(new StringOutputParser());
      await expect(chain.invoke({ question: "q" }, { callbacks: [tracing.handler] })).resolves.toBe("Two words.");
      await expect(chatModel({ script: throwing }).invoke("x", { callbacks: [tracing.handler] })).rejects.toThrow("meter exploded");
      expect(tracing.spans().filter((s) => s.name === `chat ${MODEL}`)).toHaveLength(2);
      expect(tracing.handler.openRunCount).toBe(0);
    }
  });

  it("rejects a meterProvider without getMeter(), naming the option", () => {
    expect(() => new OpenTelemetryCallbackHandler({ meterProvider: {} as MeterProvider })).toThrow(/option "meterProvider" has no getMeter\(\) method/);
  });
});
