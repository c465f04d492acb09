/**
 * End to end, the whole story in Jaeger: the demo's support agent, whose scripted model makes a
 * real HTTP call per generation (to a loopback stand-in for a provider), traced by the real
 * undici instrumentation with `LangChainContextManager` registered; through the real collector,
 * Jaeger's API must show each HTTP client span under the `chat` span that made it.
 */
import { HumanMessage } from "@langchain/core/messages";
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startModelEndpoint, type ModelEndpoint } from "../../demo/model-endpoint.js";
import { createSupportAgent, SUPPORT_QUESTION, SUPPORT_MODEL_NAME } from "../../demo/support-agent.js";
import { LangChainContextManager } from "../../src/index.js";
import { RunTreeRecorder } from "../support/run-recorder.js";
import { createAppTracing, describeE2E, parentSpanIdOf, startTraceStack, tagValue, type AppTracing, type TraceStack } from "./stack.js";

const SERVICE_NAME = "langchain-otel-e2e-island";

describeE2E("the model's HTTP calls arrive in Jaeger under their chat spans", () => {
  let stack: TraceStack;
  let app: AppTracing;
  let endpoint: ModelEndpoint;
  let unregister: () => void;

  beforeAll(async () => {
    stack = await startTraceStack();
    app = createAppTracing(stack.collector.otlpHttpUrl, SERVICE_NAME);
    context.setGlobalContextManager(new LangChainContextManager(new AsyncLocalStorageContextManager()).enable());
    endpoint = await startModelEndpoint();
    // Only the model's calls: the test's own calls to Jaeger are not part of the story.
    const instrumentation = new UndiciInstrumentation({ ignoreRequestHook: (request) => !endpoint.url.endsWith(request.path) });
    unregister = registerInstrumentations({ tracerProvider: app.tracerProvider, instrumentations: [instrumentation] });
  });

  afterAll(async () => {
    unregister?.();
    await endpoint?.close();
    await app?.shutdown();
    await stack?.stop();
    context.disable();
  });

  it("the support agent: one POST under each of its four chat spans, in the agent's trace", async () => {
    const recorder = new RunTreeRecorder();
    const agent = createSupportAgent({ modelEndpoint: endpoint.url, firstChunkDelayMs: 0, chunkDelayMs: 0 });
    await agent.invoke({ messages: [new HumanMessage(SUPPORT_QUESTION)] }, { callbacks: [app.handler, recorder] });
    await app.handler.forceFlush();

    const root = recorder.root();
    const runCount = recorder.treeOf(root).length;
    const trace = await stack.jaeger.query.waitForRunTrace(SERVICE_NAME, root.runId, runCount + 4);
    expect(trace.spans).toHaveLength(runCount + 4);
    const chats = trace.spans.filter((span) => span.operationName === `chat ${SUPPORT_MODEL_NAME}`);
    const posts = trace.spans.filter((span) => span.operationName === "POST");
    expect(chats).toHaveLength(4);
    expect(posts.map(parentSpanIdOf).sort()).toEqual(chats.map((chat) => chat.spanID).sort());
    for (const post of posts) {
      expect(tagValue(post, "span.kind")).toBe("client");
      expect(tagValue(post, "url.full")).toBe(endpoint.url);
      expect(tagValue(post, "http.response.status_code")).toBe(200);
    }
  });
});
