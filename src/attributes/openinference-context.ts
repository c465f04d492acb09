import { createContextKey, type Attributes, type AttributeValue, type Context } from "@opentelemetry/api";
import { PROMPT_TEMPLATE_TEMPLATE, PROMPT_TEMPLATE_VARIABLES, PROMPT_TEMPLATE_VERSION, SESSION_ID, USER_ID } from "../attribute-names.js";
import { asRecord, parseJsonOr } from "./content.js";

/**
 * The keys under which `@arizeai/openinference-core` (`setSession`, `setUser`, `setMetadata`,
 * `setTags`, `setPromptTemplate`, `setAttributes`) stores values in the OpenTelemetry context.
 * `createContextKey` is `Symbol.for(description)`, so the same descriptions give the same keys
 * without depending on the package.
 */
const key = (name: string) => createContextKey(`OpenInference SDK Context Key ${name}`);
const STRING_KEYS: Array<[attribute: string, key: symbol]> = [
  [SESSION_ID, key(SESSION_ID)],
  [USER_ID, key(USER_ID)],
  [PROMPT_TEMPLATE_TEMPLATE, key(PROMPT_TEMPLATE_TEMPLATE)],
  [PROMPT_TEMPLATE_VARIABLES, key(PROMPT_TEMPLATE_VARIABLES)],
  [PROMPT_TEMPLATE_VERSION, key(PROMPT_TEMPLATE_VERSION)],
];
/** Stored as JSON text. */
const METADATA_KEY = key("metadata");
const TAGS_KEY = key("tag.tags");
const ATTRIBUTES_KEY = key("attributes");

export interface OpenInferenceContext {
  attributes: Attributes;
  metadata: Record<string, unknown> | undefined;
  tags: string[] | undefined;
}

/** What the caller set with OpenInference's context API; undefined when nothing (the common case). */
export function openInferenceContext(context: Context): OpenInferenceContext | undefined {
  // Runs on every start, sampled or not: no allocation unless the caller set something.
  let found: OpenInferenceContext | undefined;
  const extra = asRecord(parseJsonOr(context.getValue(ATTRIBUTES_KEY), undefined));
  if (extra !== undefined) {
    for (const [name, value] of Object.entries(extra)) if (isAttributeValue(value)) (found ??= emptyContext()).attributes[name] = value;
  }
  for (const [attribute, contextKey] of STRING_KEYS) {
    const value = context.getValue(contextKey);
    if (typeof value === "string") (found ??= emptyContext()).attributes[attribute] = value;
  }
  const metadata = asRecord(parseJsonOr(context.getValue(METADATA_KEY), undefined));
  if (metadata !== undefined) (found ??= emptyContext()).metadata = metadata;
  const tags = parseJsonOr(context.getValue(TAGS_KEY), undefined);
  if (Array.isArray(tags)) (found ??= emptyContext()).tags = tags.filter((tag): tag is string => typeof tag === "string");
  return found;
}

function emptyContext(): OpenInferenceContext {
  return { attributes: {}, metadata: undefined, tags: undefined };
}

function isAttributeValue(value: unknown): value is AttributeValue {
  if (Array.isArray(value)) return value.every((item) => ["string", "number", "boolean"].includes(typeof item));
  return ["string", "number", "boolean"].includes(typeof value);
}
