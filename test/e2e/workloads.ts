/**
 * LangChain workloads the e2e tests trace: real runnables around the offline ScriptedChatModel
 * (demo/), so every callback a real provider causes is sent.
 */
import type { Document } from "@langchain/core/documents";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda, RunnableParallel, RunnableSequence } from "@langchain/core/runnables";
import { knowledgeBase } from "../support/agent.js";
import { ScriptedChatModel } from "../../demo/scripted-chat-model.js";

export const MODEL_NAME = "e2e-model";
/** Usage every scripted reply reports, to find again as gen_ai.usage.* in Jaeger. */
export const REPLY_USAGE = { input_tokens: 21, output_tokens: 8, total_tokens: 29 } as const;

/** A chat model that always replies `reply`, after `latencyMs`. */
export function scriptedModel(reply: string, latencyMs = 0): ScriptedChatModel {
  return new ScriptedChatModel({
    script: () => ({ text: reply, usage: { ...REPLY_USAGE } }),
    modelName: MODEL_NAME,
    provider: "openai",
    temperature: 0,
    firstChunkDelayMs: latencyMs,
  });
}

const answerPrompt = ChatPromptTemplate.fromMessages([
  ["system", "Answer in one sentence."],
  ["human", "{question}"],
]);

/** prompt -> chat model -> parser: RunnableSequence[ChatPromptTemplate, chat, StrOutputParser]. */
export function answerChain(reply: string, latencyMs = 0) {
  return answerPrompt.pipe(scriptedModel(reply, latencyMs)).pipe(new StringOutputParser());
}

/** Retrieval-augmented: {context: retriever -> format, question: passthrough} -> prompt -> model -> parser. */
export function ragChain(reply: string) {
  const prompt = ChatPromptTemplate.fromMessages([
    ["system", "Answer from this context:\n{context}"],
    ["human", "{question}"],
  ]);
  const formatDocuments = RunnableLambda.from((documents: Document[]) => documents.map((d) => d.pageContent).join("\n")).withConfig({ runName: "format_documents" });
  return RunnableSequence.from([
    { context: RunnableSequence.from([(input: { question: string }) => input.question, knowledgeBase, formatDocuments]), question: (input: { question: string }) => input.question },
    prompt,
    scriptedModel(reply),
    new StringOutputParser(),
  ]);
}

/** Two answer chains in parallel, each slow enough that they overlap. */
export function parallelBranches(latencyMs: number) {
  return RunnableParallel.from({
    summary: answerChain("A short summary.", latencyMs).withConfig({ runName: "summary_branch" }),
    keywords: answerChain("traces, spans", latencyMs).withConfig({ runName: "keywords_branch" }),
  });
}

/** A domain error, to find again as error.type in Jaeger. */
export class InventoryLookupError extends Error {
  override name = "InventoryLookupError";
}

/** answer chain, then a step that throws: the step and the sequence fail, the earlier steps do not. */
export function failingChain() {
  const lookUpInventory = RunnableLambda.from((_answer: string): string => {
    throw new InventoryLookupError("warehouse 7 is offline");
  }).withConfig({ runName: "look_up_inventory" });
  return RunnableSequence.from([answerChain("Let me check the stock."), lookUpInventory]);
}
