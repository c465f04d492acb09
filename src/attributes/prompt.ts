import type { Attributes } from "@opentelemetry/api";
import { PROMPT_TEMPLATE_TEMPLATE, PROMPT_TEMPLATE_VARIABLES, PROMPT_TEMPLATE_VERSION } from "../attribute-names.js";
import { capText } from "../payload.js";
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
  const template = templateText(serialized);
  if (template !== undefined) attributes[PROMPT_TEMPLATE_TEMPLATE] = capText(template, maxContentLength).text;
  const version = asString(metadata?.["lc_hub_commit_hash"]);
  if (version !== undefined) attributes[PROMPT_TEMPLATE_VERSION] = version;
  if (captureContent && asRecord(inputs) !== undefined) putValue(attributes, PROMPT_TEMPLATE_VARIABLES, inputs, maxContentLength);
  return attributes;
}

function templateText(serialized: unknown): string | undefined {
  const kwargs = asRecord(asRecord(serialized)?.["kwargs"]);
  const template = asString(kwargs?.["template"]);
  if (template !== undefined) return template;
  const messages = kwargs?.["messages"];
  if (!Array.isArray(messages)) return undefined;
  const lines: string[] = [];
  for (const message of messages) {
    const fields = asRecord(asRecord(message)?.["kwargs"]);
    const placeholder = asString(fields?.["variable_name"]);
    if (placeholder !== undefined) {
      lines.push(`{${placeholder}}`);
      continue;
    }
    const prompt = fields?.["prompt"];
    const text = Array.isArray(prompt)
      ? prompt.map((part) => asString(asRecord(asRecord(part)?.["kwargs"])?.["template"]) ?? "").join("")
      : asString(asRecord(asRecord(prompt)?.["kwargs"])?.["template"]);
    if (text === undefined) continue;
    const className = lastIdSegment(message) ?? "";
    const role = ROLE_BY_TEMPLATE_CLASS[className] ?? asString(fields?.["role"]) ?? "user";
    lines.push(`${role}: ${text}`);
  }
  return lines.length > 0 ? lines.join("\n") : undefined;
}
