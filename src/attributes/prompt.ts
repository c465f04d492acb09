import type { Attributes } from "@opentelemetry/api";
import { PROMPT_TEMPLATE_TEMPLATE, PROMPT_TEMPLATE_VARIABLES, PROMPT_TEMPLATE_VERSION } from "../attribute-names.js";
import { cleanText } from "../payload.js";
import { asRecord, asString, lastIdSegment, putValue } from "./content.js";

/** Chat prompt message classes to the role their template speaks as. */
const ROLE_BY_TEMPLATE_CLASS: Record<string, string> = {
  SystemMessagePromptTemplate: "system",
  HumanMessagePromptTemplate: "user",
  AIMessagePromptTemplate: "assistant",
  ChatMessagePromptTemplate: "chat",
};

/**
 * OpenInference's `llm.prompt_template.*` for a prompt run (`PromptTemplate`,
 * `ChatPromptTemplate`): the template from the run's serialized form (a chat template as one
 * `role: template` line per message, a `MessagesPlaceholder` as `{variable}`), the variables it
 * was invoked with, and, for a prompt pulled from the LangChain hub, its commit as the version.
 */
export function promptTemplateAttributes(
  serialized: unknown,
  inputs: unknown,
  metadata: Record<string, unknown> | undefined,
  captureContent: boolean,
  maxContentLength: number,
): Attributes {
  const attributes: Attributes = {};
  const version = asString(metadata?.["lc_hub_commit_hash"]);
  if (version !== undefined) attributes[PROMPT_TEMPLATE_VERSION] = version;
  // A template holds instructions as sensitive as the messages made from it: both are content.
  if (!captureContent) return attributes;
  const template = templateText(serialized);
  if (template !== undefined) attributes[PROMPT_TEMPLATE_TEMPLATE] = cleanText(template, maxContentLength).text;
  if (asRecord(inputs) !== undefined) putValue(attributes, PROMPT_TEMPLATE_VARIABLES, inputs, maxContentLength);
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
    const message = serializedForm(item);
    const fields = asRecord(message?.["kwargs"]);
    const placeholder = asString(fields?.["variable_name"]);
    if (placeholder !== undefined) {
      lines.push(`{${placeholder}}`);
      continue;
    }
    const prompt = fields?.["prompt"];
    const templateOf = (part: unknown) => asString(asRecord(serializedForm(part)?.["kwargs"])?.["template"]);
    const text = Array.isArray(prompt) ? prompt.map((part) => templateOf(part) ?? "").join("") : templateOf(prompt);
    if (text === undefined) continue;
    const className = lastIdSegment(message) ?? "";
    const role = ROLE_BY_TEMPLATE_CLASS[className] ?? asString(fields?.["role"]) ?? "user";
    lines.push(`${role}: ${text}`);
  }
  return lines.length > 0 ? lines.join("\n") : undefined;
}
