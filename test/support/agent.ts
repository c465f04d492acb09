/**
 * The tests' LangGraph tool-calling agent: the demo's graph, scripted model and retriever, with
 * two small tools and a script whose calls and results the tests can name.
 */
import { Document } from "@langchain/core/documents";
import type { BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { KeywordRetriever } from "../../demo/keyword-retriever.js";
import { ScriptedChatModel, type ScriptedReply } from "../../demo/scripted-chat-model.js";
import { buildToolCallingAgent } from "../../demo/tool-calling-agent.js";

export const knowledgeBase = new KeywordRetriever({
  documents: [
    new Document({ id: "doc-1", pageContent: "Jaeger shows traces.", metadata: { source: "jaeger.md" } }),
    new Document({ id: "doc-2", pageContent: "The collector forwards traces.", metadata: { source: "collector.md" } }),
  ],
});

export const searchDocs = tool(async ({ query }) => (await knowledgeBase.invoke(query)).map((d) => d.pageContent).join("\n"), {
  name: "search_docs",
  description: "Search the documentation.",
  schema: z.object({ query: z.string() }),
});

export const multiply = tool(async ({ a, b }) => String(a * b), {
  name: "multiply",
  description: "Multiply two numbers.",
  schema: z.object({ a: z.number(), b: z.number() }),
});

/** First turn: call both tools; once their results are in: answer with them. */
export function agentScript(messages: BaseMessage[]): ScriptedReply {
  const toolResults = messages.filter((m) => m.type === "tool");
  if (toolResults.length === 0) {
    return {
      toolCalls: [
        { id: "call_search", name: "search_docs", args: { query: "traces" } },
        { id: "call_multiply", name: "multiply", args: { a: 6, b: 7 } },
      ],
    };
  }
  return { text: `Done: ${toolResults.map((m) => String(m.content)).join(" | ")}` };
}

export const AGENT_MODEL_NAME = "gpt-test";

export function buildAgent(model = new ScriptedChatModel({ script: agentScript, modelName: AGENT_MODEL_NAME, provider: "openai", temperature: 0.2 })) {
  return buildToolCallingAgent({ model, tools: [searchDocs, multiply] });
}
