/** A LangGraph tool-calling agent made of real parts: StateGraph, ToolNode, real tools, a retriever. */
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { BaseRetriever } from "@langchain/core/retrievers";
import { Document } from "@langchain/core/documents";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode, toolsCondition } from "@langchain/langgraph/prebuilt";
import { z } from "zod";
import { ScriptedChatModel } from "./scripted-chat-model.js";

export class KeywordRetriever extends BaseRetriever {
  override lc_namespace = ["test", "retrievers"];
  constructor(private readonly documents: Document[]) {
    super({});
  }
  override async _getRelevantDocuments(query: string): Promise<Document[]> {
    const words = query.toLowerCase().split(/\W+/).filter(Boolean);
    return this.documents.filter((document) => words.some((word) => document.pageContent.toLowerCase().includes(word)));
  }
}

export const knowledgeBase = new KeywordRetriever([
  new Document({ id: "doc-1", pageContent: "Jaeger shows traces.", metadata: { source: "jaeger.md", score: 0.9 } }),
  new Document({ id: "doc-2", pageContent: "The collector forwards traces.", metadata: { source: "collector.md" } }),
]);

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

/** First turn: call both tools; once their results are in: answer. */
export function agentScript(messages: BaseMessage[]): AIMessage {
  const toolResults = messages.filter((m) => m.type === "tool");
  if (toolResults.length === 0) {
    return new AIMessage({
      content: "",
      tool_calls: [
        { id: "call_search", name: "search_docs", args: { query: "traces" }, type: "tool_call" },
        { id: "call_multiply", name: "multiply", args: { a: 6, b: 7 }, type: "tool_call" },
      ],
    });
  }
  return new AIMessage(`Done: ${toolResults.map((m) => String(m.content)).join(" | ")}`);
}

export function buildAgent(model = new ScriptedChatModel({ script: agentScript, model: "gpt-test", provider: "openai", temperature: 0.2 })) {
  const tools = [searchDocs, multiply];
  const bound = model.bindTools(tools);
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => ({ messages: [await bound.invoke(state.messages)] }))
    .addNode("tools", new ToolNode(tools))
    .addEdge(START, "agent")
    .addConditionalEdges("agent", toolsCondition, ["tools", END])
    .addEdge("tools", "agent")
    .compile();
}
