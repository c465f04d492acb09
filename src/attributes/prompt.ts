import type { Attributes } from "@opentelemetry/api";
import { PROMPT_TEMPLATE_TEMPLATE, PROMPT_TEMPLATE_VARIABLES, PROMPT_TEMPLATE_VERSION } from "../attribute-names.js";
import { cleanText, toPayload, type Payload } from "../payload.js";
import { asRecord, asString, lastIdSegment, putPayload } from "./content.js";

/** Chat prompt message classes to the role their template speaks as. */
const ROLE_BY_TEMPLATE_CLASS: Record<string, string> = {
  SystemMessagePromptTemplate: "system",
  HumanMessagePromptTemplate: "user",
  AIMessagePromptTemplate: "assistant",
  ChatMessagePromptTemplate: "chat",
};

/** For a prompt pulled from the LangChain hub, its commit as OpenInference's `llm.prompt_template.version`. */
export function promptTemplateVersion(metadata: Record<string, unknown> | undefined): Attributes {
  const version = asString(metadata?.["lc_hub_commit_hash"]);
  return version === undefined ? {} : { [PROMPT_TEMPLATE_VERSION]: version };
}

/**
 * OpenInference's `llm.prompt_template.*` content for a prompt run (`PromptTemplate`,
 * `ChatPromptTemplate`): the template from the run's serialized form (a chat template as one
 * `role: template` line per message, a `MessagesPlaceholder` as `{variable}`) and the variables
 * it was invoked with. A template holds instructions as sensitive as the messages made from it:
 * both are content.
 */
export function promptTemplateContent(
  serialized: unknown,
  inputs: unknown,
  /** `inputs` as the span's `input.value` has them: reused when it is the variables' JSON. */
  input: Payload,
  maxContentLength: number,
): Attributes {
  const attributes: Attributes = {};
  const template = templateText(serialized);
  if (template !== undefined) attributes[PROMPT_TEMPLATE_TEMPLATE] = cleanText(template, maxContentLength).text;
  if (asRecord(inputs) === undefined) return attributes;
  // A lone `input` variable is written as its text in `input.value`: the variables need their JSON.
  putPayload(attributes, PROMPT_TEMPLATE_VARIABLES, input.mimeType === "application/json" ? input : toPayload(inputs, maxContentLength));
  return attributes;
}

/**
 * `toJSON()` of a LangChain object leaves its nested objects as instances (JSON.stringify
 * serializes them later): each is asked for its own serialized form.
 */
function serializedForm(value: unknown): Record<string, unknown> | undefined {
  const fields = asRecord(value);
  if (fields === undefined || fields["lc"] !== undefined || typeof fields["toJSON"] !== "function") return fields;
  try {
    return asRecord((fields["toJSON"] as () => unknown).call(value));
  } catch {
    return undefined;
  }
}

function templateText(serialized: unknown): string | undefined {
  const kwargs = asRecord(asRecord(serialized)?.["kwargs"]);
  const template = asString(kwargs?.["template"]);
  if (template !== undefined) return template;
  const messages = kwargs?.["messages"];
  if (!Array.isArray(messages)) return undefined;
  const lines: string[] = [];
  for (const item of messages) {
    const line = messageTemplateLine(item);
    if (line !== undefined) lines.push(line);
  }
  return lines.length > 0 ? lines.join("\n") : undefined;
}

/**
 * Lines of message templates already read. A chat template's `toJSON()` hands out its own message
 * template instances on every run, and reading one costs a full LangChain serialization (most of a
 * prompt span's cost): each is read once. Templates are not changed once built.
 */
const lineByMessageTemplate = new WeakMap<object, string | null>();

/** `role: template` for one message template, `{variable}` for a `MessagesPlaceholder`. */
function messageTemplateLine(item: unknown): string | undefined {
  const cacheable = typeof item === "object" && item !== null;
  const cached = cacheable ? lineByMessageTemplate.get(item) : undefined;
  if (cached !== undefined) return cached ?? undefined;
  const line = readMessageTemplateLine(item);
  if (cacheable) lineByMessageTemplate.set(item, line ?? null);
  return line;
}

function readMessageTemplateLine(item: unknown): string | undefined {
  const message = serializedForm(item);
  const fields = asRecord(message?.["kwargs"]);
  const placeholder = asString(fields?.["variable_name"]);
  if (placeholder !== undefined) return `{${placeholder}}`;
  const prompt = fields?.["prompt"];
  const templateOf = (part: unknown) => asString(asRecord(serializedForm(part)?.["kwargs"])?.["template"]);
  const text = Array.isArray(prompt) ? prompt.map((part) => templateOf(part) ?? "").join("") : templateOf(prompt);
  if (text === undefined) return undefined;
  const className = lastIdSegment(message) ?? "";
  const role = ROLE_BY_TEMPLATE_CLASS[className] ?? asString(fields?.["role"]) ?? "user";
  return `${role}: ${text}`;
}
