/**
 * Every GenAI JSON attribute a test span carries is checked against the spec's schemas
 * (test/fixtures/semconv-gen-ai-v1.41.1): `createTestTracing` adds `genAiSchemaCheck`, and
 * `schema-setup.ts` fails the test after which a violation was seen.
 */
import { readFileSync } from "node:fs";
import type { Context } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { Ajv, type ValidateFunction } from "ajv";

const SCHEMA_FILES: Record<string, string> = {
  "gen_ai.input.messages": "gen-ai-input-messages.json",
  "gen_ai.output.messages": "gen-ai-output-messages.json",
  "gen_ai.system_instructions": "gen-ai-system-instructions.json",
  "gen_ai.tool.definitions": "gen-ai-tool-definitions.json",
};

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat("binary", true);
const validators = new Map<string, ValidateFunction>(
  Object.entries(SCHEMA_FILES).map(([attribute, file]) => [
    attribute,
    ajv.compile(JSON.parse(readFileSync(new URL(`../fixtures/semconv-gen-ai-v1.41.1/${file}`, import.meta.url), "utf8")) as object),
  ]),
);

/** What is wrong with the span's GenAI JSON attributes; empty when they all validate. */
export function genAiSchemaViolations(span: Pick<ReadableSpan, "name" | "attributes">): string[] {
  const violations: string[] = [];
  for (const [attribute, validate] of validators) {
    const text = span.attributes[attribute];
    if (text === undefined) continue;
    let value: unknown;
    try {
      value = JSON.parse(String(text));
    } catch (error) {
      violations.push(`${span.name}: ${attribute} is not JSON (${String(error)}): ${String(text).slice(0, 200)}`);
      continue;
    }
    if (!validate(value)) violations.push(`${span.name}: ${attribute} fails its schema: ${ajv.errorsText(validate.errors)} in ${String(text).slice(0, 300)}`);
  }
  return violations;
}

/** Violations seen since the last `takeSchemaViolations()`. */
const seen: string[] = [];

export function takeSchemaViolations(): string[] {
  return seen.splice(0, seen.length);
}

export const genAiSchemaCheck: SpanProcessor = {
  onStart(_span: Span, _context: Context): void {},
  onEnd(span: ReadableSpan): void {
    seen.push(...genAiSchemaViolations(span));
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};
