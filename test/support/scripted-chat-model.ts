/**
 * A chat model that answers from a script, offline: a small subclass of LangChain's real
 * BaseChatModel, so every callback LangChain sends for a real provider is sent for it too.
 */
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel, type BaseChatModelParams, type BindToolsInput, type LangSmithParams } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";

/** Decides the next reply from the conversation so far. */
export type Script = (messages: BaseMessage[]) => AIMessage;

export interface ScriptedChatModelFields extends BaseChatModelParams {
  script: Script;
  model?: string;
  provider?: string;
  temperature?: number;
  /** Delay before the reply, in ms. */
  latencyMs?: number;
}

export class ScriptedChatModel extends BaseChatModel {
  private readonly script: Script;
  readonly model: string;
  private readonly provider: string;
  readonly temperature: number | undefined;
  private readonly latencyMs: number;

  constructor(fields: ScriptedChatModelFields) {
    super(fields);
    this.script = fields.script;
    this.model = fields.model ?? "scripted-1";
    this.provider = fields.provider ?? "openai";
    this.temperature = fields.temperature;
    this.latencyMs = fields.latencyMs ?? 0;
  }

  _llmType(): string {
    return "scripted";
  }

  override invocationParams(): Record<string, unknown> {
    return { model: this.model, temperature: this.temperature };
  }

  override getLsParams(options: this["ParsedCallOptions"]): LangSmithParams {
    return { ...super.getLsParams(options), ls_provider: this.provider, ls_model_name: this.model };
  }

  /** Tools are part of the script already; binding them keeps the model usable by agents. */
  override bindTools(_tools: BindToolsInput[]): this {
    return this;
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    await sleep(this.latencyMs, options.signal);
    const message = this.script(messages);
    const finishReason = message.tool_calls?.length ? "tool_calls" : "stop";
    const reply = new AIMessage({
      content: message.content,
      tool_calls: message.tool_calls ?? [],
      usage_metadata: message.usage_metadata ?? countTokens(messages, message),
      response_metadata: { model_name: this.model, finish_reason: finishReason, id: `resp-${messages.length}` },
    });
    return { generations: [{ text: typeof reply.content === "string" ? reply.content : "", message: reply, generationInfo: { finish_reason: finishReason } }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const { generations } = await this._generate(messages, options);
    const reply = generations[0]?.message as AIMessage;
    const words = typeof reply.content === "string" ? reply.content.split(/(?<= )/) : [];
    for (const word of words) {
      yield new ChatGenerationChunk({ text: word, message: new AIMessageChunk({ content: word }) });
      await runManager?.handleLLMNewToken(word);
    }
    yield new ChatGenerationChunk({
      text: "",
      message: new AIMessageChunk({
        content: "",
        tool_call_chunks: (reply.tool_calls ?? []).map((call, index) => ({ id: call.id, name: call.name, args: JSON.stringify(call.args), index, type: "tool_call_chunk" as const })),
        usage_metadata: reply.usage_metadata,
        response_metadata: reply.response_metadata,
      }),
    });
  }
}

/** A rough but deterministic token count: words in, words out. */
function countTokens(messages: BaseMessage[], reply: AIMessage) {
  const words = (text: unknown) => (typeof text === "string" ? text.split(/\s+/).filter(Boolean).length : 0);
  const input = messages.reduce((sum, message) => sum + words(message.content), 0);
  const output = words(reply.content) + (reply.tool_calls?.length ?? 0) * 8;
  return { input_tokens: input, output_tokens: output, total_tokens: input + output };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new DOMException("Aborted", "AbortError"));
    }, { once: true });
  });
}
