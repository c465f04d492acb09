/**
 * The demo's agent: a LangGraph tool-calling loop (model node, `ToolNode`, `toolsCondition`) that
 * answers a pricing question for a fictional SaaS company from its help center. Everything runs
 * offline: the model is scripted, the help center is in memory, the exchange-rate service is
 * simulated and times out on its first call (the agent sees the error and retries).
 */
import { Document } from "@langchain/core/documents";
import { ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { evaluateArithmetic } from "./arithmetic.js";
import { KeywordRetriever } from "./keyword-retriever.js";
import { ScriptedChatModel, type ChatScript, type ScriptedReply } from "./scripted-chat-model.js";
import { buildToolCallingAgent } from "./tool-calling-agent.js";

export const SUPPORT_QUESTION =
  "We are a team of 12 in Berlin. What would the Pro plan cost us per year in EUR with annual billing, and does it include SSO?";

export const SUPPORT_MODEL_NAME = "scripted-support-model";

const SYSTEM_PROMPT =
  "You are the support agent of Acme Cloud. Answer from the help center (search_help_center), " +
  "convert currencies with get_exchange_rate, and do arithmetic with the calculator, never in your head.";

export const HELP_CENTER: readonly Document[] = [
  new Document({
    id: "pricing-pro",
    pageContent: "Pro plan pricing: $49 per seat per month. Annual billing is 20% off the monthly price.",
    metadata: { source: "help-center/pricing" },
  }),
  new Document({
    id: "sso",
    pageContent: "Single sign-on (SSO) with SAML and OIDC is included in the Pro and Enterprise plans.",
    metadata: { source: "help-center/security" },
  }),
  new Document({
    id: "data-residency",
    pageContent: "Data residency: Pro and Enterprise workspaces can be hosted in the EU region (Frankfurt).",
    metadata: { source: "help-center/regions" },
  }),
  new Document({
    id: "refunds",
    pageContent: "Refunds: monthly subscriptions can be cancelled at any time; annual ones are refunded pro rata.",
    metadata: { source: "help-center/billing" },
  }),
];

/** Thrown by the simulated exchange-rate service; its class name becomes the span's `error.type`. */
export class UpstreamTimeoutError extends Error {
  override name = "UpstreamTimeoutError";
}

const USD_RATES: Readonly<Record<string, number>> = { EUR: 0.92, GBP: 0.79, USD: 1 };

/** Fresh tools for one agent: the exchange-rate service times out on its first call only. */
export function createSupportTools() {
  const helpCenter = new KeywordRetriever({ documents: [...HELP_CENTER], topK: 2 });
  let exchangeRateTimeoutsLeft = 1;

  const searchHelpCenter = tool(
    async ({ query }, config: RunnableConfig) => {
      const documents = await helpCenter.invoke(query, config);
      if (documents.length === 0) return "No help center article matches.";
      return documents.map((document) => `[${document.id}] ${document.pageContent}`).join("\n");
    },
    {
      name: "search_help_center",
      description: "Search Acme Cloud's help center articles.",
      schema: z.object({ query: z.string().describe("What to look for") }),
    },
  );

  const getExchangeRate = tool(
    async ({ base, quote }) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      if (exchangeRateTimeoutsLeft > 0) {
        exchangeRateTimeoutsLeft -= 1;
        throw new UpstreamTimeoutError("exchange-rate service did not answer within 2000 ms");
      }
      const baseInUsd = USD_RATES[base];
      const quoteInUsd = USD_RATES[quote];
      if (baseInUsd === undefined || quoteInUsd === undefined) throw new RangeError(`no rate for ${base}/${quote}`);
      return `1 ${base} = ${(quoteInUsd / baseInUsd).toFixed(2)} ${quote}`;
    },
    {
      name: "get_exchange_rate",
      description: "Current exchange rate between two currencies.",
      schema: z.object({ base: z.string().length(3), quote: z.string().length(3) }),
    },
  );

  const calculator = tool(async ({ expression }) => String(Math.round(evaluateArithmetic(expression) * 100) / 100), {
    name: "calculator",
    description: "Evaluate an arithmetic expression with + - * / and parentheses.",
    schema: z.object({ expression: z.string() }),
  });

  return [searchHelpCenter, getExchangeRate, calculator];
}

/**
 * What the scripted model does, decided from the conversation alone: look things up (help center
 * and exchange rate in parallel), retry a failed tool, compute with the calculator, then answer.
 */
export const supportAgentScript: ChatScript = (messages) => {
  const question = messages.find((message) => message.getType() === "human")?.text ?? "";
  const turn = messages.filter((message) => message.getType() === "ai").length + 1;
  let callCount = 0;
  const call = (name: string, args: Record<string, unknown>) => ({ name, args, id: `call_${turn}_${++callCount}` });

  const articles = latestToolResult(messages, "search_help_center");
  if (!articles) {
    return {
      toolCalls: [
        call("search_help_center", { query: "Pro plan price per seat annual billing SSO" }),
        call("get_exchange_rate", { base: "USD", quote: "EUR" }),
      ],
    };
  }

  const seats = numberIn(question, /team of (\d+)/);
  const seatPrice = numberIn(articles.text, /\$(\d+(?:\.\d+)?) per seat per month/);
  const annualDiscountPercent = numberIn(articles.text, /(\d+)% off/);
  if (seats === undefined || seatPrice === undefined || annualDiscountPercent === undefined) {
    return { text: "I could not find the Pro plan's price in the help center; a colleague will get back to you." };
  }

  const rateResults = toolResultsNamed(messages, "get_exchange_rate");
  const rateResult = rateResults.at(-1);
  const rateFailures = rateResults.filter((result) => result.status === "error").length;
  const [annualUsd, annualEur] = toolResultsNamed(messages, "calculator").map((result) => Number(result.text));
  const pending: NonNullable<ScriptedReply["toolCalls"]> = [];
  // One retry, as a careful agent would; after that it answers in USD only.
  if ((!rateResult || rateResult.status === "error") && rateFailures < 2) {
    pending.push(call("get_exchange_rate", { base: "USD", quote: "EUR" }));
  }
  if (annualUsd === undefined) {
    pending.push(call("calculator", { expression: `${seats} * ${seatPrice} * 12 * (1 - ${annualDiscountPercent / 100})` }));
  }
  if (pending.length > 0 || annualUsd === undefined) return { toolCalls: pending };

  const rate = numberIn(rateResult?.text ?? "", /= (\d+(?:\.\d+)?) EUR/);
  if (annualEur === undefined && rate !== undefined) {
    return { toolCalls: [call("calculator", { expression: `${annualUsd} * ${rate}` })] };
  }

  const inEur =
    annualEur === undefined ? " (the exchange-rate service is down, so no EUR figure)" : `, about €${formatMoney(annualEur)} at 1 USD = ${rate} EUR`;
  const ssoIncluded = /SSO[^.]*included in the Pro/.test(articles.text);
  return {
    text:
      `For ${seats} seats on Pro with annual billing: ${seats} × $${seatPrice} × 12 months, ${annualDiscountPercent}% off, ` +
      `is $${formatMoney(annualUsd)} a year${inEur}. ` +
      (ssoIncluded ? "And yes: SSO (SAML and OIDC) is included in Pro." : "SSO is not part of Pro."),
  };
};

export interface SupportAgentOptions {
  /** Simulated provider latency; 0 makes the agent as fast as it can be (for tests). */
  firstChunkDelayMs?: number;
  chunkDelayMs?: number;
  /** Where the model POSTs each request (see demo/model-endpoint.ts); none by default. */
  modelEndpoint?: string;
}

/** Builds the compiled graph; each call has fresh tools (so the first exchange-rate call fails again). */
export function createSupportAgent(options: SupportAgentOptions = {}) {
  const model = new ScriptedChatModel({
    script: supportAgentScript,
    modelName: SUPPORT_MODEL_NAME,
    provider: "scripted",
    firstChunkDelayMs: options.firstChunkDelayMs ?? 120,
    chunkDelayMs: options.chunkDelayMs ?? 12,
    endpoint: options.modelEndpoint,
  });
  return buildToolCallingAgent({ model, tools: createSupportTools(), systemPrompt: SYSTEM_PROMPT, name: "support_agent" });
}

function toolResultsNamed(messages: BaseMessage[], toolName: string): ToolMessage[] {
  return messages.filter((message): message is ToolMessage => ToolMessage.isInstance(message) && message.name === toolName);
}

function latestToolResult(messages: BaseMessage[], toolName: string): ToolMessage | undefined {
  return toolResultsNamed(messages, toolName).at(-1);
}

function numberIn(text: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(text)?.[1];
  return match === undefined ? undefined : Number(match);
}

function formatMoney(amount: number): string {
  return amount.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}
