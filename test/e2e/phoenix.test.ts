/**
 * End to end with the real consumer: Arize Phoenix (pinned, scripts/phoenix.sh) receives our
 * spans, from `langchain-otel/setup` with default settings (OTLP/protobuf over HTTP) and through
 * the project's collector (its `otlp_http/phoenix` exporter), and its own GraphQL API must show
 * what a user sees in its UI: span kinds, every message with tool-call names and arguments, the
 * tools offered, the prompt template, documents, session turns and tokens.
 *
 * PHOENIX_SCREENSHOT=docs/phoenix-demo-trace.png also saves the demo trace's page as a headless
 * Chromium shows it (README's screenshot).
 */
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import { ChatPromptTemplate, MessagesPlaceholder } from "@langchain/core/prompts";
import { RunnableLambda, RunnableSequence } from "@langchain/core/runnables";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedChatModel, type ScriptedReply } from "../../demo/scripted-chat-model.js";
import { SUPPORT_QUESTION } from "../../demo/support-agent.js";
import { OpenTelemetryCallbackHandler } from "../../src/index.js";
import { setupTracing } from "../../src/setup.js";
import { REPO_ROOT } from "../stack-files.js";
import { agentScript, multiply, searchDocs } from "../support/agent.js";
import { runDemo } from "../support/run-demo.js";
import { startPhoenix, type PhoenixMessage, type PhoenixService, type PhoenixSpan } from "./phoenix.js";
import { describeE2E, startCollector, locateBinaries, type CollectorService } from "./stack.js";

const MODEL_NAME = "phoenix-e2e-model";
const USAGE = { input_tokens: 240, output_tokens: 18, total_tokens: 258 };
const SYSTEM_TEMPLATE = "You are the billing assistant of {company}. Use the tools.";
const SESSION_ID = "phoenix-e2e-session";
const QUESTIONS = ["What is 12 times 348?", "And 15 times 348?"] as const;

/** A 20-message history: questions and answers, one of them a tool call with its result. */
const HISTORY: BaseMessage[] = Array.from({ length: 10 }, (_, turn) => [
  new HumanMessage(`Earlier question ${turn}`),
  new AIMessage(`Earlier answer ${turn}`),
]).flat();
HISTORY[7] = new AIMessage({ content: "", tool_calls: [{ id: "call_history", name: "multiply", args: { a: 3, b: 4 }, type: "tool_call" }] });
HISTORY[8] = new ToolMessage({ content: "12", tool_call_id: "call_history" });

/** Calls `multiply` with the two numbers of the last question. */
function billingScript(messages: BaseMessage[]): ScriptedReply {
  const [a, b] = (messages.at(-1)?.text.match(/\d+/g) ?? []).map(Number);
  return { toolCalls: [{ id: `call_${a}_${b}`, name: "multiply", args: { a, b } }], usage: { ...USAGE } };
}

/** prompt (system template + history + question) -> chat model offered two tools -> the tool it called. */
function billingChain() {
  const prompt = ChatPromptTemplate.fromMessages([["system", SYSTEM_TEMPLATE], new MessagesPlaceholder("history"), ["human", "{question}"]]);
  const model = new ScriptedChatModel({ script: billingScript, modelName: MODEL_NAME, provider: "openai", temperature: 0 }).bindTools([searchDocs, multiply]);
  const runTool = RunnableLambda.from(async (message: AIMessage) => multiply.invoke(message.tool_calls?.[0] ?? { a: 0, b: 0 })).withConfig({ runName: "run_tool" });
  return RunnableSequence.from([prompt, model, runTool]).withConfig({ runName: "billing_chain" });
}

async function runBillingTurns(handler: OpenTelemetryCallbackHandler, questions: readonly string[]): Promise<void> {
  for (const question of questions) {
    await billingChain().invoke({ company: "Acme Cloud", history: HISTORY, question }, { callbacks: [handler], metadata: { session_id: SESSION_ID } });
  }
}

/**
 * The app side with default settings: `setupTracing` reads OTEL_EXPORTER_OTLP_ENDPOINT (and any
 * other `variables`, e.g. the protocol) and picks the exporter.
 */
async function sendThroughSetup(
  endpoint: string,
  projectName: string,
  run: (handler: OpenTelemetryCallbackHandler) => Promise<void>,
  variables: Record<string, string> = {},
): Promise<void> {
  const set = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...variables };
  const saved = Object.entries(set).map(([name]) => [name, process.env[name]] as const);
  Object.assign(process.env, set);
  let tracing: ReturnType<typeof setupTracing>;
  try {
    tracing = setupTracing({ serviceName: "langchain-otel-phoenix-e2e", resourceAttributes: { "openinference.project.name": projectName }, registerGlobally: false });
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  const handler = new OpenTelemetryCallbackHandler({ tracerProvider: tracing.tracerProvider });
  await run(handler);
  await handler.shutdown();
  await tracing.shutdown();
}

const named = (spans: PhoenixSpan[], name: string) => spans.filter((span) => span.name === name);
const kinds = (spans: PhoenixSpan[]) => Object.fromEntries([...new Set(spans.map((span) => span.name))].map((name) => [name, [...new Set(named(spans, name).map((span) => span.spanKind))].join("|")]));
const toolCallsOf = (message: PhoenixMessage | undefined) =>
  (message?.message?.tool_calls ?? []).map((call) => ({ id: call.tool_call?.id, name: call.tool_call?.function?.name, arguments: parseJson(call.tool_call?.function?.arguments) }));
const toolNamesOffered = (span: PhoenixSpan | undefined) =>
  (span?.attributes.llm?.tools ?? []).map((tool) => (parseJson(tool.tool?.json_schema) as { name?: string; function?: { name?: string } } | undefined)).map((schema) => schema?.name ?? schema?.function?.name);

/** A JSON attribute as Phoenix returns it: still a string, or already decoded (prompt template variables). */
function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return `(not JSON) ${value}`;
  }
}

/** What Phoenix shows for the billing chain's chat call: the whole prompt, the tool call, the tools offered, the tokens. */
function expectBillingChatSpan(chat: PhoenixSpan | undefined, question: string): void {
  expect.soft(chat?.spanKind).toBe("llm");
  expect.soft(chat?.tokenCountPrompt).toBe(USAGE.input_tokens);
  expect.soft(chat?.tokenCountCompletion).toBe(USAGE.output_tokens);
  const input = chat?.attributes.llm?.input_messages ?? [];
  // Every message, the beginning included: system, the 20 of the history, the question.
  expect.soft(input.map((message) => message.message?.role)).toEqual(["system", ...HISTORY.map((m) => ({ human: "user", ai: "assistant", tool: "tool" })[m.type as "human"]), "user"]);
  expect.soft(input[0]?.message?.content).toBe("You are the billing assistant of Acme Cloud. Use the tools.");
  expect.soft(input.at(-1)?.message?.content).toBe(question);
  expect.soft(toolCallsOf(input[8])).toEqual([{ id: "call_history", name: "multiply", arguments: { a: 3, b: 4 } }]);
  const [a, b] = (question.match(/\d+/g) ?? []).map(Number);
  expect.soft(toolCallsOf(chat?.attributes.llm?.output_messages?.[0])).toEqual([{ id: `call_${a}_${b}`, name: "multiply", arguments: { a, b } }]);
  expect.soft(toolNamesOffered(chat)).toEqual(["search_docs", "multiply"]);
}

describeE2E("Phoenix reads what we send", () => {
  let phoenix: PhoenixService;

  beforeAll(async () => {
    phoenix = await startPhoenix();
  }, 180_000);

  afterAll(async () => {
    await phoenix?.stop();
  });

  describe("the demo, straight from langchain-otel/setup with default settings", () => {
    const PROJECT = "demo";
    let spans: PhoenixSpan[];
    let traceId: string;

    beforeAll(async () => {
      const run = await runDemo({ OTEL_EXPORTER_OTLP_ENDPOINT: phoenix.baseUrl, OTEL_RESOURCE_ATTRIBUTES: `openinference.project.name=${PROJECT}` });
      expect(run.exitCode, run.stderr).toBe(0);
      const exported = Number(/^Exported (\d+) spans to .* \(http\/protobuf\)\.$/m.exec(run.stdout)?.[1]);
      expect(exported, run.stdout).toBeGreaterThan(20);
      traceId = /Open in Jaeger: \S+\/trace\/([0-9a-f]{32})$/m.exec(run.stdout)?.[1] ?? "";
      spans = await phoenix.query.waitForSpans(PROJECT, (stored) => stored.length >= exported);
    }, 120_000);

    it("shows every span with its OpenInference kind, and tokens on each model call", () => {
      expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([traceId]));
      const chats = named(spans, "chat scripted-support-model");
      expect(chats.map((span) => span.spanKind)).toEqual(["llm", "llm", "llm", "llm"]);
      for (const chat of chats) {
        expect(chat.tokenCountPrompt).toBeGreaterThan(0);
        expect(chat.tokenCountCompletion).toBeGreaterThan(0);
      }
      expect(spans.filter((span) => span.name.startsWith("execute_tool ")).map((span) => span.spanKind)).toEqual(Array(5).fill("tool"));
      expect(kinds(spans)).toMatchObject({ "retrieval KeywordRetriever": "retriever", agent: "chain", tools: "chain" });
    });

    it("shows the documents the retriever found", () => {
      const [retrieval] = named(spans, "retrieval KeywordRetriever");
      expect(retrieval?.numDocuments).toBe(2);
      const documents = retrieval?.attributes.retrieval?.documents ?? [];
      expect(documents).toHaveLength(2);
      for (const document of documents) expect(document.document?.content).toMatch(/\w{3,}/);
    });

    it("shows the last model call's whole conversation: system prompt, question, and every tool call with its arguments", () => {
      const lastChat = named(spans, "chat scripted-support-model").sort((a, b) => (a.attributes.llm?.input_messages?.length ?? 0) - (b.attributes.llm?.input_messages?.length ?? 0)).at(-1);
      const input = lastChat?.attributes.llm?.input_messages ?? [];
      expect(input[0]?.message?.role).toBe("system");
      expect(input[1]?.message).toMatchObject({ role: "user", content: SUPPORT_QUESTION });
      const callsInHistory = input.flatMap(toolCallsOf);
      const toolSpanCallIds = spans.filter((span) => span.name.startsWith("execute_tool ")).map((span) => (span.attributes["gen_ai"] as { tool?: { call?: { id?: string } } } | undefined)?.tool?.call?.id);
      expect(callsInHistory.map((call) => call.id).sort()).toEqual(toolSpanCallIds.sort());
      for (const call of callsInHistory) expect(call.arguments, `arguments of ${call.name}`).toEqual(expect.any(Object));
    });

    it("shows the tools offered to the model, and each tool's description", () => {
      for (const chat of named(spans, "chat scripted-support-model")) {
        expect.soft(toolNamesOffered(chat).sort()).toEqual(["calculator", "get_exchange_rate", "search_help_center"]);
      }
      for (const tool of spans.filter((span) => span.name.startsWith("execute_tool "))) {
        expect.soft(tool.attributes.tool?.description, tool.name).toMatch(/\w{3,}/);
      }
    });

    it("shows the question and answer on the trace's root span (Phoenix's traces list and session turns read them there)", () => {
      const root = spans.find((span) => span.parentId === null);
      expect(root?.name).toBe("demo request");
      expect(root?.input?.value).toContain(SUPPORT_QUESTION);
      expect(root?.output?.value).toContain("SSO");
    });

    it("reads a value written without a mime type as text, and one marked application/json as JSON", () => {
      const mimeTypeWritten = (span: PhoenixSpan, io: "input" | "output") => (span.attributes[io] as { mime_type?: string } | undefined)?.mime_type;
      const text = spans.filter((span) => span.output !== null && mimeTypeWritten(span, "output") === undefined);
      const json = spans.filter((span) => span.input !== null && mimeTypeWritten(span, "input") === "application/json");
      expect(text.length, "spans with a text output").toBeGreaterThan(0);
      expect(json.length, "spans with a JSON input").toBeGreaterThan(0);
      for (const span of text) expect.soft(span.output?.mimeType, span.name).toBe("text");
      for (const span of json) expect.soft(span.input?.mimeType, span.name).toBe("json");
    });

    it.skipIf(!process.env["PHOENIX_SCREENSHOT"])("screenshots the trace in Phoenix's UI with headless Chromium", async () => {
      const file = resolve(REPO_ROOT, process.env["PHOENIX_SCREENSHOT"] ?? "");
      // The last model call: the conversation, the tool calls and the tokens.
      const lastChat = named(spans, "chat scripted-support-model").sort((a, b) => (a.tokenCountPrompt ?? 0) - (b.tokenCountPrompt ?? 0)).at(-1);
      const url = await phoenix.query.traceUrl(PROJECT, traceId, lastChat);
      const result = spawnSync(
        process.env["CHROMIUM_BIN"] ?? "chromium",
        ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1600,1000", "--virtual-time-budget=15000", `--screenshot=${file}`, url],
        { encoding: "utf8", timeout: 90_000 },
      );
      expect(result.status, result.stderr).toBe(0);
      expect(statSync(file).size).toBeGreaterThan(20_000);
    }, 120_000);
  });

  describe("an LCEL chain with a prompt template, tools and a long history, in a two-turn session", () => {
    const PROJECT = "lcel";
    let spans: PhoenixSpan[];

    beforeAll(async () => {
      await sendThroughSetup(phoenix.baseUrl, PROJECT, async (handler) => {
        await runBillingTurns(handler, QUESTIONS);
        const agent = createReactAgent({ llm: new ScriptedChatModel({ script: agentScript, modelName: MODEL_NAME, provider: "openai" }), tools: [searchDocs, multiply], name: "docs_agent" });
        await agent.invoke({ messages: [new HumanMessage("How do traces work, and what is 6*7?")] }, { callbacks: [handler] });
      });
      spans = await phoenix.query.waitForSpans(PROJECT, (stored) => named(stored, "billing_chain").length === 2 && stored.some((span) => span.parentId === null && span.name.includes("docs_agent")));
    }, 120_000);

    it("shows kinds: chain, prompt, llm, tool, agent", () => {
      expect(kinds(spans)).toMatchObject({ billing_chain: "chain", [`chat ${MODEL_NAME}`]: "llm", "execute_tool multiply": "tool", run_tool: "chain" });
      // Soft: each of these is reported on its own.
      expect.soft(kinds(spans)).toMatchObject({ ChatPromptTemplate: "prompt" });
      expect.soft(spans.find((span) => span.parentId === null && span.name.includes("docs_agent"))?.spanKind).toBe("agent");
    });

    it("shows every message, the tool calls with arguments, the tools offered and the tokens of each model call", () => {
      const chats = named(spans, `chat ${MODEL_NAME}`).filter((span) => (span.attributes.llm?.input_messages?.length ?? 0) > 5);
      expect(chats).toHaveLength(2);
      for (const question of QUESTIONS) expectBillingChatSpan(chats.find((chat) => chat.attributes.llm?.input_messages?.at(-1)?.message?.content === question), question);
    });

    it("shows the prompt template with its variables", () => {
      for (const prompt of named(spans, "ChatPromptTemplate")) {
        expect(prompt.attributes.llm?.prompt_template?.template).toContain(SYSTEM_TEMPLATE);
        expect(parseJson(prompt.attributes.llm?.prompt_template?.variables)).toMatchObject({ company: "Acme Cloud" });
      }
    });

    it("shows each tool's description", () => {
      for (const tool of named(spans, "execute_tool multiply")) expect(tool.attributes.tool?.description).toBe("Multiply two numbers.");
    });

    it("groups the two turns into one session, with the first question and the last answer", async () => {
      const session = (await phoenix.query.sessions(PROJECT)).find((candidate) => candidate.sessionId === SESSION_ID);
      expect(session?.numTraces).toBe(2);
      expect(session?.firstInput?.value).toContain(QUESTIONS[0]);
      expect(session?.lastOutput?.value).toContain(String(15 * 348));
      expect(session?.tokenUsage).toMatchObject({ prompt: 2 * USAGE.input_tokens, completion: 2 * USAGE.output_tokens });
    });
  });

  describe("through the project's collector (otlp_http/phoenix)", () => {
    const PROJECT = "via-collector";
    let collector: CollectorService;
    let spans: PhoenixSpan[];

    beforeAll(async () => {
      collector = await startCollector(locateBinaries().otelcol, "127.0.0.1:1", {
        variables: { COLLECTOR_TRACES_EXPORTERS: "[otlp_http/phoenix]", PHOENIX_OTLP_ENDPOINT: phoenix.baseUrl },
      });
      await sendThroughSetup(collector.otlpHttpUrl, PROJECT, (handler) => runBillingTurns(handler, [QUESTIONS[0]]));
      spans = await phoenix.query.waitForSpans(PROJECT, (stored) => named(stored, "billing_chain").length === 1 && stored.length >= 5);
    }, 120_000);

    afterAll(async () => {
      await collector?.process.stop();
    });

    it("arrives whole: kinds and tokens", () => {
      expect(kinds(spans)).toMatchObject({ billing_chain: "chain", [`chat ${MODEL_NAME}`]: "llm", "execute_tool multiply": "tool" });
      const [chat] = named(spans, `chat ${MODEL_NAME}`);
      expect([chat?.tokenCountPrompt, chat?.tokenCountCompletion]).toEqual([USAGE.input_tokens, USAGE.output_tokens]);
    });

    it("with every message, the tool calls with arguments and the tools offered", () => {
      expectBillingChatSpan(named(spans, `chat ${MODEL_NAME}`)[0], QUESTIONS[0]);
    });

    it("also over gRPC (OTEL_EXPORTER_OTLP_PROTOCOL=grpc to the collector's gRPC port)", async () => {
      const project = "via-collector-grpc";
      await sendThroughSetup(`http://127.0.0.1:${collector.ports.otlpGrpc}`, project, (handler) => runBillingTurns(handler, [QUESTIONS[1]]), {
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      });
      const viaGrpc = await phoenix.query.waitForSpans(project, (stored) => named(stored, "billing_chain").length === 1 && stored.length >= 5);
      expect(kinds(viaGrpc)).toMatchObject({ billing_chain: "chain", [`chat ${MODEL_NAME}`]: "llm", "execute_tool multiply": "tool" });
      expect(named(viaGrpc, `chat ${MODEL_NAME}`)[0]?.tokenCountPrompt).toBe(USAGE.input_tokens);
    }, 60_000);
  });
});
