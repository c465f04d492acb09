// The invocations the bench traces. All fakes, no network, no timers except the sleep step.
import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { Document } from "@langchain/core/documents";
import { HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda, RunnableSequence, type RunnableConfig } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { FakeListChatModel, FakeRetriever } from "@langchain/core/utils/testing";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { ScriptedChatModel, type ScriptedReply } from "../../demo/scripted-chat-model.js";
import { createSupportAgent, SUPPORT_QUESTION } from "../../demo/support-agent.js";
import { buildToolCallingAgent } from "../../demo/tool-calling-agent.js";

/** undefined: no callbacks passed (a patching peer adds its own). */
export type Handlers = BaseCallbackHandler[] | undefined;

export interface Workload {
  id: string;
  label: string;
  invoke(handlers: Handlers): Promise<unknown>;
}

const getWeather = tool(async ({ city }) => `Sunny, 21 °C in ${city}.`, {
  name: "get_weather",
  description: "Current weather in a city.",
  schema: z.object({ city: z.string() }),
});

const calculator = tool(async ({ expression }) => (expression === "6*7" ? "42" : "unknown"), {
  name: "calculator",
  description: "Evaluates an arithmetic expression.",
  schema: z.object({ expression: z.string() }),
});

/** prompt → chat model → parser: 4 runs. */
function promptModelParser(): Workload {
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", "You answer in one sentence."],
    ["human", "{question}"],
  ]);
  const model = new FakeListChatModel({ responses: ["Paris is the capital of France."] });
  const chain = prompt.pipe(model).pipe(new StringOutputParser());
  return {
    id: "chain",
    label: "prompt → chat model → parser",
    invoke: (handlers) => chain.invoke({ question: "What is the capital of France?" }, { callbacks: handlers }),
  };
}

/** An agent step written as a chain: retrieve, call two tools, then prompt → model → parser: 8 runs. */
function agentLikeChain(): Workload {
  const retriever = new FakeRetriever({
    output: [
      new Document({ pageContent: "Paris is the capital of France.", metadata: { source: "atlas" } }),
      new Document({ pageContent: "France uses the metric system.", metadata: { source: "handbook" } }),
    ],
  });
  const gather = RunnableLambda.from(async (input: { question: string }, config?: RunnableConfig) => {
    const documents = await retriever.invoke(input.question, config);
    const weather = await getWeather.invoke({ city: "Paris" }, config);
    const product = await calculator.invoke({ expression: "6*7" }, config);
    return {
      question: input.question,
      context: documents.map((document) => document.pageContent).join("\n"),
      observations: `${weather} 6*7 = ${product}.`,
    };
  }).withConfig({ runName: "gather" });
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", "Answer from the context.\n{context}\nObservations: {observations}"],
    ["human", "{question}"],
  ]);
  const model = new FakeListChatModel({ responses: ["It is sunny in Paris, and 6*7 is 42."] });
  const chain = RunnableSequence.from([gather, prompt, model, new StringOutputParser()]);
  return {
    id: "agent-chain",
    label: "agent-like chain (retriever, 2 tools, chat model)",
    invoke: (handlers) => chain.invoke({ question: "Weather in Paris, and 6*7?" }, { callbacks: handlers }),
  };
}

/**
 * The project's own LangGraph tool-calling agent (StateGraph + ToolNode + toolsCondition,
 * demo/tool-calling-agent.ts) driven by its scripted chat model (demo/scripted-chat-model.ts):
 * first turn, both tools at once; once their results are in, a text answer. Two model turns.
 */
function langGraphAgent(): Workload {
  const agentScript = (messages: BaseMessage[]): ScriptedReply =>
    messages.some((message) => message.type === "tool")
      ? { text: "It is sunny in Paris, and 6*7 is 42." }
      : {
          toolCalls: [
            { id: "call_weather", name: "get_weather", args: { city: "Paris" } },
            { id: "call_calculator", name: "calculator", args: { expression: "6*7" } },
          ],
        };
  const model = new ScriptedChatModel({ script: agentScript, modelName: "gpt-bench", provider: "openai", temperature: 0 });
  const graph = buildToolCallingAgent({ model, tools: [getWeather, calculator] });
  return {
    id: "langgraph-agent",
    label: "LangGraph tool-calling agent",
    invoke: (handlers) => graph.invoke({ messages: [new HumanMessage("Weather in Paris, and 6*7?")] }, { callbacks: handlers }),
  };
}

export function createWorkloads(): Workload[] {
  return [promptModelParser(), agentLikeChain(), langGraphAgent()];
}

/** The run name of the timing probe; also in its input, so content-recording tracers name it in an attribute. */
export const SLEEP_STEP_NAME = "sleep_50ms";
export const SLEEP_STEP_MS = 50;

export interface SleepStepTiming {
  /** How long the step's own code ran (the run around it lasts a little longer). */
  durationMs: number;
}

/** A single run that sleeps 50 ms and measures its own code. */
export function createSleepStep(): { invoke(handlers: Handlers): Promise<SleepStepTiming> } {
  const step = RunnableLambda.from(async (_input: { step: string }): Promise<SleepStepTiming> => {
    const start = performance.now();
    await sleep(SLEEP_STEP_MS);
    return { durationMs: performance.now() - start };
  }).withConfig({ runName: SLEEP_STEP_NAME });
  return { invoke: (handlers) => step.invoke({ step: SLEEP_STEP_NAME }, { callbacks: handlers }) };
}

/**
 * The demo's support agent (demo/support-agent.ts), for the bytes-on-the-wire figures only:
 * a fresh agent per invocation (its exchange-rate tool fails on its first call, then the agent
 * retries), no simulated provider latency; the tool's own 30 ms wait stays, so it is not timed.
 */
export function createDemoWorkload(): Workload {
  return {
    id: "demo",
    label: "the demo's support agent (demo/support-agent.ts)",
    invoke: (handlers) =>
      createSupportAgent({ firstChunkDelayMs: 0, chunkDelayMs: 0 }).invoke(
        { messages: [new HumanMessage(SUPPORT_QUESTION)] },
        { callbacks: handlers, metadata: { session_id: "support-demo", user_id: "demo-user" } },
      ),
  };
}
