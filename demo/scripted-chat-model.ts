/**
 * A chat model that needs no API key and no network: a script (a plain function of the
 * conversation) decides each reply, and the model delivers it the way a provider integration
 * does: streamed in chunks with token callbacks, tool calls as `tool_call_chunks`, and
 * `usage_metadata` / `response_metadata` / LangSmith params like a real provider. Generic on
 * purpose: tests build their own scripts with it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BaseChatModelParams,
  type BindToolsInput,
  type LangSmithParams,
} from "@langchain/core/language_models/chat_models";
import { AIMessageChunk, type BaseMessage, type UsageMetadata } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import type { Runnable } from "@langchain/core/runnables";
import { convertToOpenAITool } from "@langchain/core/utils/function_calling";
import type { ToolDefinition } from "@langchain/core/language_models/base";

/** One reply: text, tool calls, or both. */
export interface ScriptedReply {
  text?: string;
  toolCalls?: Array<{ name: string; args: Record<string, unknown>; id: string }>;
  /** The usage to report; by default it is estimated from the text (about four characters a token). */
  usage?: UsageMetadata;
  /** The provider's response id, as `response_metadata.id`. */
  responseId?: string;
}

/** Decides the next reply from the whole conversation, deterministically. */
export type ChatScript = (messages: BaseMessage[]) => ScriptedReply;

export interface ScriptedChatModelFields extends BaseChatModelParams {
  script: ChatScript;
  /** Reported as `model_name` / `ls_model_name`. */
  modelName?: string;
  /** Reported as `ls_provider` (a real integration says e.g. "openai"). */
  provider?: string;
  /** Simulated wait before the first chunk, like a provider's time to first token. */
  firstChunkDelayMs?: number;
  /** Simulated wait between chunks. */
  chunkDelayMs?: number;
  /** Reported in the invocation parameters, like a real model's sampling temperature. */
  temperature?: number;
  /** When set, each call first POSTs its request here (a loopback stand-in for a provider's API). */
  endpoint?: string;
}

export interface ScriptedChatModelCallOptions extends BaseChatModelCallOptions {
  /** Set by `bindTools`; the script does not need them, but tracing shows them like a real model's. */
  tools?: ToolDefinition[];
}

export class ScriptedChatModel extends BaseChatModel<ScriptedChatModelCallOptions, AIMessageChunk> {
  readonly script: ChatScript;
  readonly modelName: string;
  readonly provider: string;
  readonly firstChunkDelayMs: number;
  readonly chunkDelayMs: number;
  readonly temperature: number | undefined;
  readonly endpoint: string | undefined;

  static override lc_name(): string {
    return "ScriptedChatModel";
  }

  constructor(fields: ScriptedChatModelFields) {
    const { script, modelName, provider, firstChunkDelayMs, chunkDelayMs, temperature, endpoint, ...baseFields } = fields;
    super(baseFields);
    this.script = script;
    this.modelName = modelName ?? "scripted-model-1";
    this.provider = provider ?? "scripted";
    this.firstChunkDelayMs = firstChunkDelayMs ?? 0;
    this.chunkDelayMs = chunkDelayMs ?? 0;
    this.temperature = temperature;
    this.endpoint = endpoint;
  }

  _llmType(): string {
    return "scripted";
  }

  override getLsParams(options: this["ParsedCallOptions"]): LangSmithParams {
    return { ls_provider: this.provider, ls_model_name: this.modelName, ls_model_type: "chat", ls_stop: options.stop };
  }

  override invocationParams(options?: this["ParsedCallOptions"]): Record<string, unknown> {
    return { model: this.modelName, temperature: this.temperature, tools: options?.tools, tool_choice: options?.tool_choice };
  }

  override bindTools(
    tools: BindToolsInput[],
    kwargs?: Partial<ScriptedChatModelCallOptions>,
  ): Runnable<BaseLanguageModelInput, AIMessageChunk, ScriptedChatModelCallOptions> {
    return this.withConfig({ ...kwargs, tools: tools.map((tool) => convertToOpenAITool(tool)) });
  }

  /** Non-streaming calls get the same reply, aggregated, without token callbacks. */
  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    let aggregate: ChatGenerationChunk | undefined;
    for await (const chunk of this.replyChunks(messages, options)) aggregate = aggregate ? aggregate.concat(chunk) : chunk;
    if (!aggregate) throw new Error("ScriptedChatModel: the script produced no reply");
    return { generations: [{ text: aggregate.text, message: aggregate.message }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    for await (const chunk of this.replyChunks(messages, options)) {
      yield chunk;
      // Like provider integrations, for every chunk: tool-call and usage chunks have empty text.
      await runManager?.handleLLMNewToken(chunk.text, undefined, undefined, undefined, undefined, { chunk });
    }
  }

  /** The HTTP round trip of a real integration; the script has already decided the reply. */
  private async sendRequest(endpoint: string, messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<void> {
    const body = JSON.stringify({ model: this.modelName, messages: messages.map((message) => ({ role: message.type, content: message.text })) });
    const response = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body, signal: options.signal });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`ScriptedChatModel: ${endpoint} answered HTTP ${response.status}`);
  }

  private async *replyChunks(messages: BaseMessage[], options: this["ParsedCallOptions"]): AsyncGenerator<ChatGenerationChunk> {
    const reply = this.script(messages);
    if (this.endpoint !== undefined) await this.sendRequest(this.endpoint, messages, options);
    if (this.firstChunkDelayMs > 0) await sleep(this.firstChunkDelayMs, undefined, { signal: options.signal });

    for (const [index, piece] of splitIntoStreamPieces(reply.text ?? "").entries()) {
      if (index > 0 && this.chunkDelayMs > 0) await sleep(this.chunkDelayMs, undefined, { signal: options.signal });
      yield new ChatGenerationChunk({ text: piece, message: new AIMessageChunk({ content: piece }) });
    }
    for (const [index, call] of (reply.toolCalls ?? []).entries()) {
      yield new ChatGenerationChunk({
        text: "",
        message: new AIMessageChunk({
          content: "",
          tool_call_chunks: [{ type: "tool_call_chunk", index, id: call.id, name: call.name, args: JSON.stringify(call.args) }],
        }),
      });
    }
    // Usage and metadata ride on the last chunk only: concatenating chunks sums usage and
    // concatenates metadata strings.
    const inputTokens = messages.reduce((sum, message) => sum + estimateTokens(message.text), 0);
    const outputTokens =
      estimateTokens(reply.text ?? "") +
      (reply.toolCalls ?? []).reduce((sum, call) => sum + estimateTokens(call.name + JSON.stringify(call.args)), 0);
    yield new ChatGenerationChunk({
      text: "",
      message: new AIMessageChunk({
        content: "",
        usage_metadata: reply.usage ?? { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: inputTokens + outputTokens },
        response_metadata: {
          model_name: this.modelName,
          finish_reason: reply.toolCalls?.length ? "tool_calls" : "stop",
          ...(reply.responseId === undefined ? {} : { id: reply.responseId }),
        },
      }),
    });
  }
}

/** A deterministic stand-in for a tokenizer: about four characters per token, as for English text. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Words with their trailing space, as providers stream them. */
function splitIntoStreamPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}
