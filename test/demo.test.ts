import { createServer as createHttpServer } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { AIMessage, HumanMessage, ToolMessage, type AIMessageChunk } from "@langchain/core/messages";
import { context, SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { evaluateArithmetic } from "../demo/arithmetic.js";
import { otlpTracesUrlFromEnv, probeOtlpEndpoint } from "../demo/otlp-endpoint.js";
import { ScriptedChatModel } from "../demo/scripted-chat-model.js";
import { SUPPORT_QUESTION, supportAgentScript } from "../demo/support-agent.js";
import { renderTraceTree } from "../demo/trace-tree.js";
import { genAiSchemaViolations } from "./support/genai-schemas.js";
import { startOtlpReceiver, type OtlpReceiver } from "./support/otlp-receiver.js";
import { runDemo } from "./support/run-demo.js";

const DEMO_TIMEOUT_MS = 60_000;

/** A loopback port nothing listens on (bound once, then released). */
async function unusedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const address = server.address();
  await new Promise((resolveClose) => server.close(resolveClose));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Diagnostics on stderr other than npm's own notices. */
function unexpectedStderr(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("npm warn"));
}

interface TreeRow {
  depth: number;
  name: string;
  details: string;
}

/** Reads the rendered tree back: indentation (3 columns a level), span name, what follows the duration. */
function parseTreeRows(treeText: string): TreeRow[] {
  return treeText.split("\n").flatMap((line) => {
    const match = /^([│├└─ ]*)(\S.*?)\s{2,}\d+\.\d ms(?:\s{2}(.*))?$/.exec(line);
    if (!match) return [];
    return [{ depth: (match[1] ?? "").length / 3, name: match[2] ?? "", details: match[3] ?? "" }];
  });
}

/** The rows directly under the row at `index`. */
function childrenOf(rows: TreeRow[], index: number): TreeRow[] {
  const parent = rows[index];
  if (!parent) return [];
  const children: TreeRow[] = [];
  for (const row of rows.slice(index + 1)) {
    if (row.depth <= parent.depth) break;
    if (row.depth === parent.depth + 1) children.push(row);
  }
  return children;
}

describe("npm run demo (tsx demo/agent.ts)", () => {
  it(
    "with no collector: streams the answer, prints the agent's trace tree, says nothing was exported, exits 0",
    async () => {
      const port = await unusedLoopbackPort();
      const run = await runDemo({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });

      expect(unexpectedStderr(run.stderr)).toEqual([]);
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toContain("about €5,193.22 at 1 USD = 0.92 EUR");
      expect(run.stdout).toContain("SSO (SAML and OIDC) is included in Pro");
      expect(run.stdout).toContain(`No OTLP endpoint at http://127.0.0.1:${port}/v1/traces (ECONNREFUSED)`);
      expect(run.stdout).not.toContain("Open in Jaeger");

      const rows = parseTreeRows(run.stdout);
      const spanCount = Number(/\((\d+) spans\)/.exec(run.stdout)?.[1]);
      expect(rows).toHaveLength(spanCount);
      expect(rows[0]).toMatchObject({ depth: 0, name: "demo request" });
      expect(rows.filter((row) => row.depth === 0)).toHaveLength(1); // one root: the whole run is one trace
      expect(rows[1]?.name).toContain("support_agent");

      // Four model calls, each inside an "agent" node, each streamed and with token usage.
      expect(rows.filter((row) => row.name === "POST")).toHaveLength(4);
      const chatIndexes = rows.flatMap((row, index) => (row.name === "chat scripted-support-model" ? [index] : []));
      expect(chatIndexes).toHaveLength(4);
      for (const index of chatIndexes) {
        expect(rows[index]?.details).toMatch(/^tokens [1-9]\d* in \/ [1-9]\d* out  first chunk \d+\.\d ms$/);
        const parentRow = rows.slice(0, index).reverse().find((row) => row.depth === (rows[index]?.depth ?? 0) - 1);
        expect(parentRow?.name).toBe("agent");
        // Its HTTP call to the loopback provider stand-in, under it (setupTracing's context manager).
        expect(childrenOf(rows, index).map((row) => row.name)).toEqual(["POST"]);
      }

      // Tools with their call IDs; the first exchange-rate call fails, the agent retries it.
      const toolRows = rows.filter((row) => row.name.startsWith("execute_tool "));
      // Sorted: tools called in parallel start in either order.
      expect(toolRows.map((row) => `${row.name} ${row.details}`).sort()).toEqual([
        "execute_tool calculator call call_2_2",
        "execute_tool calculator call call_3_1",
        "execute_tool get_exchange_rate call call_1_2  ERROR UpstreamTimeoutError: exchange-rate service did not answer within 2000 ms",
        "execute_tool get_exchange_rate call call_2_1",
        "execute_tool search_help_center call call_1_1",
      ]);
      const searchIndex = rows.findIndex((row) => row.name === "execute_tool search_help_center");
      expect(childrenOf(rows, searchIndex).map((row) => row.name)).toEqual(["retrieval KeywordRetriever"]);
      // The handled error stays on the tool span: no other span is marked as failed.
      expect(rows.filter((row) => row.details.includes("ERROR"))).toHaveLength(1);
    },
    DEMO_TIMEOUT_MS,
  );

  describe("with an OTLP endpoint that answers", () => {
    let receiver: OtlpReceiver;
    beforeEach(async () => {
      receiver = await startOtlpReceiver();
    });
    afterEach(async () => {
      await receiver.close();
    });

    it(
      "also exports the trace there and prints its Jaeger URL",
      async () => {
        const run = await runDemo({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.baseUrl, JAEGER_UI_URL: "http://jaeger.test:16686/" });

        expect(unexpectedStderr(run.stderr)).toEqual([]);
        expect(run.exitCode).toBe(0);
        const exportedCount = Number(new RegExp(`Exported (\\d+) spans to ${receiver.baseUrl}/v1/traces \\(http/protobuf\\)\\.`).exec(run.stdout)?.[1]);
        expect(receiver.requests.every((request) => request.headers["content-type"] === "application/x-protobuf")).toBe(true);
        const traceId = /Open in Jaeger: http:\/\/jaeger\.test:16686\/trace\/([0-9a-f]{32})$/m.exec(run.stdout)?.[1];
        expect(traceId).toBeDefined();
        expect(run.stdout).toContain(`trace ${traceId}`);

        const exported = receiver.spans;
        expect(exported.length).toBe(parseTreeRows(run.stdout).length);
        expect(exportedCount).toBe(exported.length);
        expect(new Set(exported.map((span) => span.traceId))).toEqual(new Set([traceId]));
        const roots = exported.filter((span) => span.parentSpanId === undefined);
        expect(roots.map((span) => span.name)).toEqual(["demo request"]);
        expect(new Set(exported.map((span) => span.resource["service.name"]))).toEqual(new Set(["langchain-otel-demo"]));
        expect(exported.filter((span) => span.name === "chat scripted-support-model")).toHaveLength(4);
        // What Phoenix reads: the GenAI JSON valid against the spec, and the turn on the request span.
        expect(exported.flatMap((span) => genAiSchemaViolations({ name: span.name, attributes: span.attributes as Attributes }))).toEqual([]);
        expect(roots[0]?.attributes).toMatchObject({ "openinference.span.kind": "AGENT", "session.id": "support-demo", "user.id": "demo-user" });
        expect(String(roots[0]?.attributes["output.value"])).toContain("SSO");
      },
      DEMO_TIMEOUT_MS,
    );
  });

  describe("with a backend that takes only OTLP/protobuf (as Phoenix)", () => {
    let receiver: OtlpReceiver;
    beforeEach(async () => {
      receiver = await startOtlpReceiver({ onlyAccepts: "protobuf" });
    });
    afterEach(async () => {
      await receiver.close();
    });

    it(
      "sent OTLP/JSON, reports the 415 as the wrong protocol, and prints no trace link",
      async () => {
        const run = await runDemo({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.baseUrl, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });

        expect(run.exitCode).toBe(0);
        expect(run.stdout).toContain(`Export to ${receiver.baseUrl}/v1/traces (http/json) failed: HTTP 415`);
        expect(run.stdout).toContain("this backend wants http/protobuf");
        expect(run.stdout).not.toContain("OTEL_EXPORTER_OTLP_HEADERS");
        expect(run.stdout).not.toContain("Exported");
        expect(run.stdout).not.toContain("Open in Jaeger");
        expect(receiver.spans).toEqual([]);
      },
      DEMO_TIMEOUT_MS,
    );
  });
});

describe("renderTraceTree", () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer("demo-test");
  const T0 = 1_700_000_000_000; // ms since epoch; spans get explicit times so durations are exact

  afterEach(() => exporter.reset());

  function startSpan(name: string, startMs: number, parent?: Span): Span {
    const parentContext = parent ? trace.setSpan(context.active(), parent) : undefined;
    return tracer.startSpan(name, { startTime: T0 + startMs }, parentContext);
  }

  it("draws the tree in start order with aligned durations, tokens, tool call IDs and errors", () => {
    const root = startSpan("demo request", 0);
    const graph = startSpan("invoke_workflow agent", 1, root);
    // Started second but ended first: order must follow start times, not end times.
    const tool = startSpan("execute_tool get_rate", 30, graph);
    const chat = startSpan("chat gpt-x", 2, graph);
    chat.setAttributes({ "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 25, "gen_ai.response.time_to_first_chunk": 0.0955 });
    chat.end(T0 + 27.25);
    tool.setAttributes({ "gen_ai.tool.call.id": "call_7", "error.type": "TimeoutError" });
    tool.setStatus({ code: SpanStatusCode.ERROR, message: "no answer within 2 s" });
    tool.end(T0 + 31.5);
    graph.end(T0 + 40);
    root.end(T0 + 1234.5);

    expect(renderTraceTree(exporter.getFinishedSpans())).toBe(
      [
        `trace ${root.spanContext().traceId}  (4 spans)`,
        "demo request                 1234.5 ms",
        "└─ invoke_workflow agent       39.0 ms",
        "   ├─ chat gpt-x               25.3 ms  tokens 120 in / 25 out  first chunk 95.5 ms",
        "   └─ execute_tool get_rate     1.5 ms  call call_7  ERROR TimeoutError: no answer within 2 s",
      ].join("\n"),
    );
  });

  it("keeps vertical lines for siblings below a deeper branch, and does not repeat an error type already in the message", () => {
    const root = startSpan("root", 0);
    const first = startSpan("first", 1, root);
    const grandchild = startSpan("grandchild", 2, first);
    grandchild.setAttribute("error.type", "TypeError");
    grandchild.setStatus({ code: SpanStatusCode.ERROR, message: "TypeError: x is not a function" });
    grandchild.end(T0 + 3);
    first.end(T0 + 4);
    startSpan("second", 5, root).end(T0 + 6);
    root.end(T0 + 7);

    const lines = renderTraceTree(exporter.getFinishedSpans()).split("\n").slice(1);
    expect(lines).toEqual([
      "root              7.0 ms",
      "├─ first          3.0 ms",
      "│  └─ grandchild  1.0 ms  ERROR TypeError: x is not a function",
      "└─ second         1.0 ms",
    ]);
  });

  it("renders one block per trace, and a span whose parent is missing as a top-level row", () => {
    const firstRoot = startSpan("first trace", 0);
    const lostParent = startSpan("not exported", 1, firstRoot);
    startSpan("orphan", 2, lostParent).end(T0 + 3);
    firstRoot.end(T0 + 4);
    const secondRoot = startSpan("second trace", 10);
    secondRoot.end(T0 + 11);
    // lostParent never ends, so it is never exported.

    const blocks = renderTraceTree(exporter.getFinishedSpans()).split("\n\n");
    expect(blocks).toHaveLength(2);
    expect(blocks[0]?.split("\n")).toEqual([
      `trace ${firstRoot.spanContext().traceId}  (2 spans)`,
      "first trace  4.0 ms",
      "orphan       1.0 ms",
    ]);
    expect(blocks[1]).toBe(`trace ${secondRoot.spanContext().traceId}  (1 span)\nsecond trace  1.0 ms`);
  });

  it("returns an empty string for no spans", () => {
    expect(renderTraceTree([])).toBe("");
  });
});

describe("ScriptedChatModel", () => {
  const model = new ScriptedChatModel({
    modelName: "test-model",
    provider: "test-provider",
    script: (messages) =>
      messages.length === 1
        ? { toolCalls: [{ name: "lookup", args: { q: "x" }, id: "call_a" }] }
        : { text: "Three short words" },
  });

  it("streams text in word chunks and reports usage once, with model name and finish reason", async () => {
    const chunks: AIMessageChunk[] = [];
    for await (const chunk of await model.stream([new HumanMessage("hi"), new HumanMessage("again")])) chunks.push(chunk);

    expect(chunks.map((chunk) => chunk.text).filter(Boolean)).toEqual(["Three ", "short ", "words"]);
    const usage = chunks.flatMap((chunk) => (chunk.usage_metadata ? [chunk.usage_metadata] : []));
    expect(usage).toEqual([{ input_tokens: 1 + 2, output_tokens: 5, total_tokens: 8 }]); // ~4 characters a token
    expect(chunks.at(-1)?.response_metadata).toMatchObject({ model_name: "test-model", finish_reason: "stop" });
  });

  it("returns tool calls from invoke, and LangSmith params naming provider and model", async () => {
    const reply = await model.invoke([new HumanMessage("hi")]);

    expect(reply.tool_calls).toEqual([{ type: "tool_call", name: "lookup", args: { q: "x" }, id: "call_a" }]);
    expect(reply.response_metadata).toMatchObject({ finish_reason: "tool_calls" });
    expect(model.getLsParams({})).toMatchObject({ ls_provider: "test-provider", ls_model_name: "test-model" });
  });
});

describe("supportAgentScript", () => {
  const toolResult = (name: string, id: string, content: string, status: "success" | "error" = "success") =>
    new ToolMessage({ name, tool_call_id: id, content, status });
  const articles = "[pricing-pro] Pro plan pricing: $49 per seat per month. Annual billing is 20% off the monthly price.";

  it("looks things up first, then retries a failed tool once alongside the calculation", () => {
    const first = supportAgentScript([new HumanMessage(SUPPORT_QUESTION)]);
    expect(first.toolCalls?.map((call) => [call.id, call.name])).toEqual([
      ["call_1_1", "search_help_center"],
      ["call_1_2", "get_exchange_rate"],
    ]);

    const second = supportAgentScript([
      new HumanMessage(SUPPORT_QUESTION),
      new AIMessage({ content: "", tool_calls: [] }),
      toolResult("search_help_center", "call_1_1", articles),
      toolResult("get_exchange_rate", "call_1_2", "Error: timed out", "error"),
    ]);
    expect(second.toolCalls).toEqual([
      { id: "call_2_1", name: "get_exchange_rate", args: { base: "USD", quote: "EUR" } },
      { id: "call_2_2", name: "calculator", args: { expression: "12 * 49 * 12 * (1 - 0.2)" } },
    ]);
  });

  it("gives up on a tool that failed twice and answers with what it has", () => {
    const reply = supportAgentScript([
      new HumanMessage(SUPPORT_QUESTION),
      new AIMessage({ content: "", tool_calls: [] }),
      toolResult("search_help_center", "call_1_1", articles),
      toolResult("get_exchange_rate", "call_1_2", "Error: timed out", "error"),
      new AIMessage({ content: "", tool_calls: [] }),
      toolResult("get_exchange_rate", "call_2_1", "Error: timed out", "error"),
      toolResult("calculator", "call_2_2", "5644.8"),
    ]);
    expect(reply.toolCalls).toBeUndefined();
    expect(reply.text).toContain("is $5,644.80 a year (the exchange-rate service is down, so no EUR figure)");
  });
});

describe("demo helpers", () => {
  it("evaluateArithmetic follows precedence, parentheses and unary minus, and rejects anything else", () => {
    expect(evaluateArithmetic("12 * 49 * 12 * (1 - 0.2)")).toBeCloseTo(5644.8, 6);
    expect(evaluateArithmetic("2 + 3 * 4 - -1")).toBe(15);
    expect(evaluateArithmetic("(2 + 3) / 4")).toBe(1.25);
    expect(() => evaluateArithmetic("1 / (2 - 2)")).toThrow(/division by zero/);
    expect(() => evaluateArithmetic("process.exit()")).toThrow(SyntaxError);
    expect(() => evaluateArithmetic("(1 + 2")).toThrow(/missing "\)"/);
    expect(() => evaluateArithmetic("1 2")).toThrow(/unexpected "2"/);
  });

  it("probeOtlpEndpoint takes a slow collector for a collector, and only a refused port for none", async () => {
    const slow = createHttpServer((_request, response) => {
      setTimeout(() => response.writeHead(200).end("{}"), 300);
    });
    await new Promise<void>((done) => slow.listen(0, "127.0.0.1", done));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/v1/traces`;
    try {
      expect(await probeOtlpEndpoint(slowUrl, 50)).toMatchObject({ reachable: true });
    } finally {
      slow.closeAllConnections();
      await new Promise((done) => slow.close(done));
    }
    // The same port, now closed: refused.
    expect(await probeOtlpEndpoint(slowUrl, 50)).toMatchObject({ reachable: false, reason: "ECONNREFUSED" });
  });

  it("otlpTracesUrlFromEnv resolves the URL as the OTLP exporter does", () => {
    expect(otlpTracesUrlFromEnv({})).toBe("http://localhost:4318/v1/traces");
    expect(otlpTracesUrlFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" })).toBe("http://collector:4318/v1/traces");
    expect(
      otlpTracesUrlFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://x.test/otlp" }),
    ).toBe("https://x.test/otlp");
    expect(otlpTracesUrlFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toBe("http://localhost:4317");
    expect(otlpTracesUrlFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4317" })).toBe(
      "http://collector:4317",
    );
  });
});
