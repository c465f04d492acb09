/**
 * A small LangChain app as users write it, run in its own Node process by island.test.ts: the
 * real `ChatOpenAI` and `OpenAIEmbeddings` against an OpenAI-compatible server on 127.0.0.1, the
 * real undici and http instrumentations (and, with `--openai-instrumentation`, the real
 * instrumentation-openai), registered before the modules they patch load, as an app's
 * `--require ./tracing` file would. CommonJS, so require-in-the-middle sees `openai` load.
 *
 * Usage: node --require tsx/cjs -e 'require("./test/support/island-app.cts")' - <requests>
 *          [--openai-instrumentation] [--no-bridge] [--queued-embeddings]
 * (`--require tsx/cjs`, not `--import tsx`: CJS loaded through the ESM loader bypasses the require
 * hook the instrumentations patch with.) Prints one JSON line: the finished spans.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { context, trace } from "@opentelemetry/api";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { OpenAIInstrumentation } from "@opentelemetry/instrumentation-openai";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
// The package's own CommonJS build (`npm test` builds it first), as a CJS app would load it.
const { LangChainContextManager, OpenTelemetryCallbackHandler } = require("../../dist/cjs/index.js") as typeof import("../../src/index.js");

const requestCount = Number(process.argv[2] ?? "1");
const withOpenAIInstrumentation = process.argv.includes("--openai-instrumentation");
const withBridge = !process.argv.includes("--no-bridge");
/**
 * OpenAIEmbeddings queues its calls (LangChain's AsyncCaller, `maxConcurrency: 2` by default);
 * a queued call runs in the async context of the call that freed its slot: another request's.
 * Unless asked for that default, the app lifts the limit, as the README advises.
 */
const embeddingsConcurrency = process.argv.includes("--queued-embeddings") ? {} : { maxConcurrency: Infinity };

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
const baseContextManager = new AsyncLocalStorageContextManager();
context.setGlobalContextManager((withBridge ? new LangChainContextManager(baseContextManager) : baseContextManager).enable());
registerInstrumentations({
  tracerProvider: provider,
  instrumentations: [
    // The server below runs in this process too: its incoming side is not what is checked.
    new HttpInstrumentation({ ignoreIncomingRequestHook: () => true }),
    new UndiciInstrumentation(),
    ...(withOpenAIInstrumentation ? [new OpenAIInstrumentation()] : []),
  ],
});

// Loaded only now, so the instrumentations see them load.
const http = require("http") as typeof import("node:http");
const { ChatOpenAI, OpenAIEmbeddings } = require("@langchain/openai") as typeof import("@langchain/openai");
const { RunnableLambda } = require("@langchain/core/runnables") as typeof import("@langchain/core/runnables");
const { BaseRetriever } = require("@langchain/core/retrievers") as typeof import("@langchain/core/retrievers");
const { Document } = require("@langchain/core/documents") as typeof import("@langchain/core/documents");
const { tool } = require("@langchain/core/tools") as typeof import("@langchain/core/tools");
const { HumanMessage, ToolMessage } = require("@langchain/core/messages") as typeof import("@langchain/core/messages");
const { z } = require("zod") as typeof import("zod");

/** Just enough of the OpenAI API: chat completions (plain, streamed, tool calls) and embeddings. */
function openAICompatibleServer(): import("node:http").Server {
  return http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const json = body === "" ? {} : JSON.parse(body);
      const usage = { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 };
      if (req.url === "/inventory") {
        res.setHeader("content-type", "application/json").end(JSON.stringify({ widgets: 3 }));
      } else if (req.url === "/v1/embeddings") {
        const vector = new Float32Array([0.1, 0.2, 0.3]);
        const inputs: unknown[] = Array.isArray(json.input) ? json.input : [json.input];
        const embedding = json.encoding_format === "base64" ? Buffer.from(vector.buffer).toString("base64") : [...vector];
        const data = inputs.map((_, index) => ({ object: "embedding", index, embedding }));
        res.setHeader("content-type", "application/json").end(JSON.stringify({ object: "list", data, model: json.model, usage }));
      } else if (req.url === "/v1/chat/completions") {
        const base = { id: "chatcmpl-1", created: 1, model: json.model };
        const lastMessage = json.messages.at(-1);
        const wantsTool = Array.isArray(json.tools) && lastMessage.role === "user";
        if (json.stream === true) {
          res.setHeader("content-type", "text/event-stream");
          for (const content of ["Hello", " there"]) {
            const chunk = { ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: { role: "assistant", content }, finish_reason: null }] };
            res.write(`data: ${JSON.stringify(chunk)}\n\n`);
          }
          const last = { ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage };
          res.end(`data: ${JSON.stringify(last)}\n\ndata: [DONE]\n\n`);
          return;
        }
        const message = wantsTool
          ? { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "inventory", arguments: '{"item":"widget"}' } }] }
          : { role: "assistant", content: "3 widgets" };
        const choice = { index: 0, message, finish_reason: wantsTool ? "tool_calls" : "stop" };
        res.setHeader("content-type", "application/json").end(JSON.stringify({ ...base, object: "chat.completion", choices: [choice], usage }));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
  });
}

async function main(): Promise<void> {
  const server = openAICompatibleServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}`;
  const handler = new OpenTelemetryCallbackHandler();
  const tracer = trace.getTracer("island-app");
  const openAI = { apiKey: "sk-test-not-a-secret", configuration: { baseURL: `${origin}/v1` }, maxRetries: 0 };
  const model = new ChatOpenAI({ model: "gpt-4o-mini", ...openAI });
  const embeddings = new OpenAIEmbeddings({ model: "text-embedding-3-small", ...openAI, ...embeddingsConcurrency });

  class InventoryRetriever extends BaseRetriever {
    lc_namespace = ["island"];
    override async _getRelevantDocuments(query: string) {
      const vector = await embeddings.embedQuery(query);
      return [new Document({ pageContent: `${query}: ${vector.length} dims` })];
    }
  }
  const retriever = new InventoryRetriever();

  const inventory = tool(
    async ({ item }) => {
      const stock = (await (await fetch(`${origin}/inventory`)).json()) as { widgets: number };
      await tracer.startActiveSpan("inventory.db.query", async (span) => {
        await new Promise<void>((resolve) => http.get(`${origin}/inventory`, (res) => res.resume().on("end", resolve)));
        span.end();
      });
      return `${stock.widgets} ${item}s`;
    },
    { name: "inventory", description: "stock of an item", schema: z.object({ item: z.string() }) },
  );

  // Passes its config on, so the LangChain tree is the same with and without the bridge.
  const answer = RunnableLambda.from(async (question: string, config: import("@langchain/core/runnables").RunnableConfig) => {
    const docs = await retriever.invoke(question, config);
    const plain = await model.invoke(question, config);
    let streamed = "";
    for await (const chunk of await model.stream(question, config)) streamed += String(chunk.content);
    const ask = new HumanMessage(question);
    const call = await model.bindTools([inventory]).invoke([ask], config);
    const toolMessages: InstanceType<typeof ToolMessage>[] = [];
    for (const toolCall of call.tool_calls ?? []) toolMessages.push(await inventory.invoke(toolCall, config));
    const final = await model.invoke([ask, call, ...toolMessages], config);
    return `${docs.length} ${String(plain.content)} ${streamed} ${String(final.content)}`;
  }).withConfig({ runName: "answer" });

  await Promise.all(
    Array.from({ length: requestCount }, (_, i) =>
      tracer.startActiveSpan(`request ${i}`, async (span) => {
        await answer.invoke(`question ${i}`, { callbacks: [handler] });
        // Back in the caller: its own calls belong to the request, not to a run.
        await fetch(`${origin}/inventory?after=${i}`);
        span.end();
      }),
    ),
  );
  server.closeAllConnections();
  server.close();
  const spans = exporter.getFinishedSpans().map((span) => ({
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    scope: span.instrumentationScope.name,
    attributes: span.attributes,
  }));
  process.stdout.write(`${JSON.stringify(spans)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
