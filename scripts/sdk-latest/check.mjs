// Run by scripts/sdk-latest.sh in a fresh project that installed the packed langchain-otel beside
// the newest @opentelemetry/sdk-node: a real LangChain chain, traced by the handler through the
// NodeSDK's global provider, must give the run tree as spans; with README's one line for the
// context manager, a span the app starts inside a run nests under that run's span.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import { trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { LangChainContextManager, OpenTelemetryCallbackHandler } from "langchain-otel";

const exporter = new InMemorySpanExporter();
// SDK 3.x: processors take an options object, and even the simple one exports asynchronously.
const processor = new SimpleSpanProcessor({ exporter });
const sdk = new NodeSDK({
  serviceName: "sdk-latest-check",
  spanProcessors: [processor],
  instrumentations: [],
  contextManager: new LangChainContextManager(new AsyncLocalStorageContextManager()),
});
sdk.start();

const handler = new OpenTelemetryCallbackHandler();
// The app's own span, started inside a run's body (a database query, say).
const lookUp = RunnableLambda.from((input) =>
  trace.getTracer("app").startActiveSpan("db.query", (span) => {
    span.end();
    return input;
  }),
).withConfig({ runName: "look_up" });
const chain = lookUp
  .pipe(ChatPromptTemplate.fromMessages([["human", "{question}"]]))
  .pipe(new FakeListChatModel({ responses: ["pong"] }))
  .pipe(new StringOutputParser());
assert.equal(await chain.invoke({ question: "ping" }, { callbacks: [handler] }), "pong");
await handler.shutdown();
await processor.forceFlush();

const spans = exporter.getFinishedSpans();
const byName = new Map(spans.map((span) => [span.name, span]));
assert.deepEqual([...byName.keys()].sort(), ["ChatPromptTemplate", "RunnableSequence", "StrOutputParser", "chat", "db.query", "look_up"]);
const root = byName.get("RunnableSequence");
assert.equal(byName.get("db.query").parentSpanContext?.spanId, byName.get("look_up").spanContext().spanId, "the app's span is a child of its run");
for (const name of ["look_up", "ChatPromptTemplate", "chat", "StrOutputParser"]) {
  assert.equal(byName.get(name).parentSpanContext?.spanId, root.spanContext().spanId, `${name} is a child of the chain`);
}
assert.equal(new Set(spans.map((span) => span.spanContext().traceId)).size, 1);
const chat = byName.get("chat");
assert.equal(chat.attributes["gen_ai.operation.name"], "chat");
assert.equal(chat.attributes["openinference.span.kind"], "LLM");
assert.equal(byName.get("StrOutputParser").attributes["langchain.run.type"], "parser");
assert.equal(chat.resource.attributes["service.name"], "sdk-latest-check");
// The CommonJS build loads too.
assert.equal(typeof createRequire(import.meta.url)("langchain-otel").OpenTelemetryCallbackHandler, "function");
await sdk.shutdown();

const sdkVersion = JSON.parse(readFileSync("node_modules/@opentelemetry/sdk-node/package.json", "utf8")).version;
console.log(`ok: node ${process.version}, @opentelemetry/sdk-node ${sdkVersion}: ${spans.length} spans, the run tree, the app's span under its run`);
