/**
 * What Phoenix and OpenInference read beyond the chat span: prompt templates, sessions and
 * users (also from OpenInference's context API), agents, chain and retriever values, and the
 * caller's span with `annotateCallerSpan`.
 */
import { describe, expect, it } from "vitest";
import { setMetadata, setSession, setTags, setUser, setAttributes } from "@arizeai/openinference-core";
import { HumanMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate, MessagesPlaceholder, PromptTemplate } from "@langchain/core/prompts";
import { Runnable, RunnableLambda, type RunnableConfig } from "@langchain/core/runnables";
import { Annotation, StateGraph } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { context } from "@opentelemetry/api";
import { createAgent } from "langchain";
import { ScriptedChatModel } from "../demo/scripted-chat-model.js";
import { OpenTelemetryCallbackHandler } from "../src/index.js";
import { agentScript, knowledgeBase, multiply, searchDocs } from "./support/agent.js";
import { createTestTracing } from "./support/tracing.js";

const toolModel = () => new ScriptedChatModel({ modelName: "gpt-agent", script: agentScript });

describe("prompt templates", () => {
  it("records a chat prompt's template and variables on a PROMPT span, as OpenInference does", async () => {
    const tracing = createTestTracing();
    const prompt = ChatPromptTemplate.fromMessages([["system", "You answer as {persona}."], new MessagesPlaceholder("history"), ["human", "{question}"]]);
    const model = new ScriptedChatModel({ modelName: "m", script: () => ({ text: "Sure." }) });
    await prompt.pipe(model).pipe(new StringOutputParser()).invoke({ persona: "a pirate", history: [], question: "Where is the treasure?" }, { callbacks: [tracing.handler] });
    const span = tracing.span("ChatPromptTemplate");
    expect(span.attributes["openinference.span.kind"]).toBe("PROMPT");
    expect(span.attributes["llm.prompt_template.template"]).toBe("system: You answer as {persona}.\n{history}\nuser: {question}");
    expect(JSON.parse(String(span.attributes["llm.prompt_template.variables"]))).toEqual({ persona: "a pirate", history: [], question: "Where is the treasure?" });
  });

  it("reads a template's text once and gives it to every run of that template", async () => {
    const tracing = createTestTracing();
    const prompt = ChatPromptTemplate.fromMessages([["system", "Be {tone}."], ["human", "{question}"]]);
    const other = ChatPromptTemplate.fromMessages([["human", "Other: {question}"]]);
    for (const tone of ["brief", "kind"]) await prompt.invoke({ tone, question: "Why?" }, { callbacks: [tracing.handler] });
    await other.invoke({ question: "Why?" }, { callbacks: [tracing.handler] });
    const spans = tracing.spans().filter((s) => s.name === "ChatPromptTemplate");
    expect(spans.map((s) => s.attributes["llm.prompt_template.template"])).toEqual(["system: Be {tone}.\nuser: {question}", "system: Be {tone}.\nuser: {question}", "user: Other: {question}"]);
    expect(spans.map((s) => JSON.parse(String(s.attributes["llm.prompt_template.variables"]))["tone"])).toEqual(["brief", "kind", undefined]);
  });

  it("keeps a lone `input` variable's JSON as the variables, while input.value holds its text", async () => {
    const tracing = createTestTracing();
    await PromptTemplate.fromTemplate("Say {input}").invoke({ input: "hi" }, { callbacks: [tracing.handler] });
    const a = tracing.span("PromptTemplate").attributes;
    expect([a["input.value"], a["llm.prompt_template.variables"]]).toEqual(["hi", JSON.stringify({ input: "hi" })]);
  });

  it("records a string prompt's template, and the hub commit as its version", async () => {
    const tracing = createTestTracing();
    await PromptTemplate.fromTemplate("Summarise {text}").invoke({ text: "this" }, { callbacks: [tracing.handler], metadata: { lc_hub_commit_hash: "a1b2c3" } });
    const span = tracing.span("PromptTemplate");
    expect(span.attributes["llm.prompt_template.template"]).toBe("Summarise {text}");
    expect(span.attributes["llm.prompt_template.version"]).toBe("a1b2c3");
  });

  it("records no template or variables with captureContent: false", async () => {
    const tracing = createTestTracing({ captureContent: false });
    await PromptTemplate.fromTemplate("Secret instructions about {text}").invoke({ text: "this" }, { callbacks: [tracing.handler] });
    const a = tracing.span("PromptTemplate").attributes;
    expect(a["openinference.span.kind"]).toBe("PROMPT");
    expect(JSON.stringify(a)).not.toContain("Secret instructions");
  });
});

describe("sessions and users", () => {
  const echo = RunnableLambda.from((text: string) => text.toUpperCase()).withConfig({ runName: "echo" });

  it("prefers an explicit session_id over thread_id", async () => {
    const tracing = createTestTracing();
    await echo.invoke("hi", { callbacks: [tracing.handler], metadata: { thread_id: "thread-1", session_id: "session-1" } });
    expect(tracing.span("echo").attributes["session.id"]).toBe("session-1");
    expect(tracing.span("echo").attributes["gen_ai.conversation.id"]).toBe("session-1");
  });

  it("honours OpenInference's context API: session, user, metadata, tags and attributes on every span", async () => {
    const tracing = createTestTracing();
    let ctx = setSession(context.active(), { sessionId: "oi-session" });
    ctx = setUser(ctx, { userId: "oi-user" });
    ctx = setMetadata(ctx, { tenant: "acme" });
    ctx = setTags(ctx, ["from-context"]);
    ctx = setAttributes(ctx, { "app.feature": "support" });
    const chain = echo.pipe(RunnableLambda.from((text: string) => `${text}!`).withConfig({ runName: "shout" }));
    await context.with(ctx, () => chain.invoke("hi", { callbacks: [tracing.handler], tags: ["run-tag"], metadata: { ticket: 7 } }));
    for (const name of ["RunnableSequence", "echo", "shout"]) {
      const a = tracing.span(name).attributes;
      expect(a["session.id"]).toBe("oi-session");
      expect(a["gen_ai.conversation.id"]).toBe("oi-session");
      expect(a["user.id"]).toBe("oi-user");
      expect(a["app.feature"]).toBe("support");
      expect(a["tag.tags"]).toEqual(expect.arrayContaining(["from-context", "run-tag"]));
      expect(JSON.parse(String(a["metadata"]))).toMatchObject({ tenant: "acme", ticket: 7 });
    }
  });

  it("lets the run's own metadata win over the context's session", async () => {
    const tracing = createTestTracing();
    await context.with(setSession(context.active(), { sessionId: "from-context" }), () =>
      echo.invoke("hi", { callbacks: [tracing.handler], metadata: { session_id: "from-metadata" } }),
    );
    expect(tracing.span("echo").attributes["session.id"]).toBe("from-metadata");
  });
});

describe("agents", () => {
  it.each([
    // LangChain v1: it names the agent in metadata (`lc_agent_name`).
    ["LangChain's createAgent", () => createAgent({ model: toolModel(), tools: [searchDocs, multiply], name: "helper" }), "helper"],
    // LangGraph: nothing marks it at its start; its model being offered tools does.
    ["LangGraph's createReactAgent", () => createReactAgent({ llm: toolModel(), tools: [searchDocs, multiply], name: "mathbot" }), "mathbot"],
  ])("names %s invoke_agent {name}, with gen_ai.agent.name and kind AGENT", async (_kind, build, name) => {
    const tracing = createTestTracing();
    await build().invoke({ messages: [new HumanMessage("go")] }, { callbacks: [tracing.handler] });
    const agent = tracing.span(`invoke_agent ${name}`).attributes;
    expect([agent["gen_ai.operation.name"], agent["gen_ai.agent.name"], agent["agent.name"], agent["openinference.span.kind"]]).toEqual(["invoke_agent", name, name, "AGENT"]);
    expect(tracing.spans().filter((s) => s.name.startsWith("invoke_"))).toHaveLength(1);
  });

  it("keeps invoke_workflow for a graph whose models are offered no tools", async () => {
    const tracing = createTestTracing();
    const State = Annotation.Root({ text: Annotation<string> });
    const graph = new StateGraph(State)
      .addNode("upper", (state: typeof State.State) => ({ text: state.text.toUpperCase() }))
      .addEdge("__start__", "upper")
      .compile({ name: "pipeline" });
    await graph.invoke({ text: "a" }, { callbacks: [tracing.handler] });
    const workflow = tracing.span("invoke_workflow pipeline");
    expect(workflow.attributes["gen_ai.operation.name"]).toBe("invoke_workflow");
    expect(workflow.attributes["openinference.span.kind"]).toBe("CHAIN");
    expect(workflow.attributes["gen_ai.agent.name"]).toBeUndefined();
  });

  it("survives hand-fed parents that form a cycle (fault injection) when a model offered tools looks for its graph", () => {
    const tracing = createTestTracing();
    // Plain chains: no graph ends the walk up from the model.
    const chain = { lc: 1, type: "not_implemented", id: ["x", "Step"] } as never;
    tracing.handler.handleChainStart(chain, {}, "run-a", "run-b"); // its parent starts later, as its child
    tracing.handler.handleChainStart(chain, {}, "run-b", "run-a");
    const tools = { invocation_params: { tools: [{ type: "function", function: { name: "t", description: "d" } }] } };
    expect(() => tracing.handler.handleChatModelStart({ id: ["x", "M"] } as never, [[]], "run-m", "run-b", tools)).not.toThrow();
    expect(tracing.handler.openRunCount).toBe(3);
  });

  it("names a run of type agent invoke_agent {run name}", async () => {
    class Planner extends Runnable<string, string> {
      lc_namespace = ["test"];
      override async invoke(input: string, options?: RunnableConfig): Promise<string> {
        return this._callWithConfig(async (question: string) => `plan for ${question}`, input, { ...options, runType: "agent" });
      }
    }
    const tracing = createTestTracing();
    await new Planner().invoke("x", { callbacks: [tracing.handler], runName: "planner" });
    expect(tracing.span("invoke_agent planner").attributes["openinference.span.kind"]).toBe("AGENT");
  });
});

describe("values", () => {
  it("writes a chain's single-string input and output as text, with no mime type (OpenInference's default is text/plain)", async () => {
    const tracing = createTestTracing();
    await RunnableLambda.from((s: string) => s.toUpperCase()).withConfig({ runName: "upper" }).invoke("quiet", { callbacks: [tracing.handler] });
    const a = tracing.span("upper").attributes;
    expect([a["input.value"], a["input.mime_type"], a["output.value"], a["output.mime_type"]]).toEqual(["quiet", undefined, "QUIET", undefined]);
  });

  it("gives a retriever span its documents as output.value", async () => {
    const tracing = createTestTracing();
    await knowledgeBase.invoke("traces", { callbacks: [tracing.handler] });
    const a = tracing.span("retrieval KeywordRetriever").attributes;
    expect(a["output.mime_type"]).toBe("application/json");
    expect(JSON.parse(String(a["output.value"]))).toEqual([
      expect.objectContaining({ id: "doc-1", pageContent: "Jaeger shows traces." }),
      expect.objectContaining({ id: "doc-2", pageContent: "The collector forwards traces." }),
    ]);
  });
});

describe("annotateCallerSpan", () => {
  it("copies the root run's kind, input, output and session onto the caller's span", async () => {
    const tracing = createTestTracing({ annotateCallerSpan: true });
    await tracing.inRequestSpan("POST /chat", () =>
      createReactAgent({ llm: toolModel(), tools: [searchDocs, multiply] }).invoke({ messages: [new HumanMessage("go")] }, { callbacks: [tracing.handler], metadata: { session_id: "s-9", user_id: "u-9" } }),
    );
    const request = tracing.span("POST /chat").attributes;
    expect(request["openinference.span.kind"]).toBe("AGENT");
    expect(request["session.id"]).toBe("s-9");
    expect(request["user.id"]).toBe("u-9");
    expect(String(request["input.value"])).toContain('"go"');
    expect(String(request["output.value"])).toContain("Done: ");
  });

  it("gives the caller's span the mime type of the last root run's values, text included", async () => {
    const tracing = createTestTracing({ annotateCallerSpan: true });
    const asJson = RunnableLambda.from((input: { q: string }) => ({ a: input.q })).withConfig({ runName: "json" });
    const asText = RunnableLambda.from((q: string) => q.toUpperCase()).withConfig({ runName: "text" });
    await tracing.inRequestSpan("POST /two", async () => {
      await asJson.invoke({ q: "x" }, { callbacks: [tracing.handler] });
      await asText.invoke("y", { callbacks: [tracing.handler] });
    });
    const request = tracing.span("POST /two").attributes;
    expect([request["input.value"], request["input.mime_type"], request["output.value"], request["output.mime_type"]]).toEqual(["y", "text/plain", "Y", "text/plain"]);
  });

  it("leaves the caller's span alone by default", async () => {
    const tracing = createTestTracing();
    await tracing.inRequestSpan("GET /", () => RunnableLambda.from((s: string) => s).invoke("x", { callbacks: [tracing.handler] }));
    expect(tracing.span("GET /").attributes["input.value"]).toBeUndefined();
  });

  it("is checked at construction", () => {
    expect(() => new OpenTelemetryCallbackHandler({ annotateCallerSpan: "yes" as unknown as boolean })).toThrow(/option "annotateCallerSpan" must be a boolean/);
  });
});
