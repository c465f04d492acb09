import { diag, type MeterProvider, type TracerProvider } from "@opentelemetry/api";
import { CONTENT_CONVENTIONS, type ContentConvention } from "./attributes/conventions.js";
import { describeValue } from "./describe-value.js";

export interface OpenTelemetryCallbackHandlerOptions {
  /** Provider to create spans with. Default: the global provider of `@opentelemetry/api`. */
  tracerProvider?: TracerProvider;
  /** Provider of the GenAI metrics (`gen_ai.client.*`). Default: the global provider of `@opentelemetry/api`, looked up at each record. */
  meterProvider?: MeterProvider;
  /**
   * Record prompts, messages, documents and tool payloads. Default `true`, unless the
   * environment sets `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false`.
   * Structure, models and token usage are recorded either way.
   */
  captureContent?: boolean;
  /** Cap, in characters, on each recorded payload attribute. Default 16384. */
  maxContentLength?: number;
  /** A run that has not ended after this many ms is ended, marked unfinished, and forgotten. Default 15 minutes. */
  runTtlMs?: number;
  /** `forceFlush()` and `shutdown()` wait at most this many ms for the provider (a dead backend must not hold a serverless host). Default 5000. */
  flushTimeoutMs?: number;
  /**
   * Also write each root run's kind, input, output and session onto the span active where it
   * was invoked (your request span), so that Phoenix, which reads these from a trace's root
   * span, shows the turn. Default false.
   */
  annotateCallerSpan?: boolean;
  /**
   * Whose content attributes to write: `["gen_ai", "openinference"]` (default) writes both,
   * `["gen_ai"]` only the GenAI conventions' (Jaeger, APM backends), `["openinference"]` only
   * OpenInference's (Phoenix, Arize). Structure, models and usage are written for both either way.
   */
  contentConventions?: ContentConvention[];
}

export interface ResolvedOptions {
  tracerProvider: TracerProvider | undefined;
  meterProvider: MeterProvider | undefined;
  captureContent: boolean;
  maxContentLength: number;
  runTtlMs: number;
  flushTimeoutMs: number;
  annotateCallerSpan: boolean;
  contentConventions: readonly ContentConvention[];
}

export const DEFAULT_MAX_CONTENT_LENGTH = 16_384;
export const DEFAULT_RUN_TTL_MS = 15 * 60_000;
export const DEFAULT_FLUSH_TIMEOUT_MS = 5_000;
/** Below this a payload cannot hold the truncation marker and some content. */
const MIN_CONTENT_LENGTH = 64;
export const CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

const KNOWN_OPTIONS = new Set([
  "tracerProvider",
  "captureContent",
  "maxContentLength",
  "runTtlMs",
  "flushTimeoutMs",
  "annotateCallerSpan",
  "meterProvider",
  "contentConventions",
]);

function fail(option: string, problem: string, fix: string): never {
  throw new TypeError(`OpenTelemetryCallbackHandler: option "${option}" ${problem}. ${fix}`);
}

/**
 * Unset or empty keeps the default (on). Otherwise OTel's rule for boolean variables applies:
 * only "true" (any case) is true, and anything else turns capture off, with a warning.
 */
function captureContentFromEnv(env: Record<string, string | undefined>): boolean {
  const raw = env[CAPTURE_CONTENT_ENV]?.trim().toLowerCase();
  if (raw === undefined || raw === "" || raw === "true") return true;
  if (raw !== "false") {
    diag.warn(`langchain-otel: ${CAPTURE_CONTENT_ENV}="${env[CAPTURE_CONTENT_ENV]}" is not "true" or "false"; content capture is off.`);
  }
  return false;
}

/** Checks the constructor options and fills in defaults; throws a TypeError naming the bad option. */
export function resolveOptions(
  options: unknown,
  env: Record<string, string | undefined> = process.env,
): ResolvedOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(
      "OpenTelemetryCallbackHandler: options must be an object, e.g. new OpenTelemetryCallbackHandler({ captureContent: false }).",
    );
  }
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!KNOWN_OPTIONS.has(key)) {
      fail(key, "is not an option", `Known options: ${[...KNOWN_OPTIONS].join(", ")}.`);
    }
  }

  const { tracerProvider, meterProvider, captureContent, maxContentLength, runTtlMs, flushTimeoutMs, annotateCallerSpan, contentConventions } = given;
  if (
    tracerProvider !== undefined &&
    (typeof tracerProvider !== "object" || tracerProvider === null || typeof (tracerProvider as TracerProvider).getTracer !== "function")
  ) {
    fail("tracerProvider", "has no getTracer() method", "Pass an OpenTelemetry TracerProvider, or leave it out to use the global one.");
  }
  if (
    meterProvider !== undefined &&
    (typeof meterProvider !== "object" || meterProvider === null || typeof (meterProvider as MeterProvider).getMeter !== "function")
  ) {
    fail("meterProvider", "has no getMeter() method", "Pass an OpenTelemetry MeterProvider (e.g. the SDK's MeterProvider), or leave it out to use the global one.");
  }
  if (captureContent !== undefined && typeof captureContent !== "boolean") {
    fail("captureContent", `must be a boolean, got ${describeValue(captureContent)}`, "Use true or false.");
  }
  if (annotateCallerSpan !== undefined && typeof annotateCallerSpan !== "boolean") {
    fail("annotateCallerSpan", `must be a boolean, got ${JSON.stringify(annotateCallerSpan)}`, "Use true to copy each root run's input, output and session onto the caller's span, or leave it out.");
  }
  if (
    maxContentLength !== undefined &&
    (typeof maxContentLength !== "number" || !Number.isInteger(maxContentLength) || maxContentLength < MIN_CONTENT_LENGTH)
  ) {
    fail("maxContentLength", `must be an integer >= ${MIN_CONTENT_LENGTH}, got ${describeValue(maxContentLength)}`, `Use a character count such as ${DEFAULT_MAX_CONTENT_LENGTH}.`);
  }
  if (runTtlMs !== undefined && (typeof runTtlMs !== "number" || !Number.isFinite(runTtlMs) || runTtlMs <= 0)) {
    fail("runTtlMs", `must be a positive number of milliseconds, got ${describeValue(runTtlMs)}`, `Use e.g. ${DEFAULT_RUN_TTL_MS} (15 minutes).`);
  }
  if (flushTimeoutMs !== undefined && (typeof flushTimeoutMs !== "number" || !Number.isFinite(flushTimeoutMs) || flushTimeoutMs <= 0)) {
    fail("flushTimeoutMs", `must be a positive number of milliseconds, got ${String(flushTimeoutMs)}`, `Use e.g. ${DEFAULT_FLUSH_TIMEOUT_MS} (5 seconds).`);
  }
  if (
    contentConventions !== undefined &&
    (!Array.isArray(contentConventions) ||
      contentConventions.length === 0 ||
      new Set(contentConventions).size !== contentConventions.length ||
      !contentConventions.every((name) => CONTENT_CONVENTIONS.includes(name as ContentConvention)))
  ) {
    fail(
      "contentConventions",
      `must be a non-empty list of distinct "gen_ai" and "openinference", got ${describeValue(contentConventions)}`,
      'Use ["gen_ai"] for Jaeger and APM backends, ["openinference"] for Phoenix, or leave it out for both.',
    );
  }

  return {
    tracerProvider: tracerProvider as TracerProvider | undefined,
    meterProvider: meterProvider as MeterProvider | undefined,
    captureContent: (captureContent as boolean | undefined) ?? captureContentFromEnv(env),
    maxContentLength: (maxContentLength as number | undefined) ?? DEFAULT_MAX_CONTENT_LENGTH,
    runTtlMs: (runTtlMs as number | undefined) ?? DEFAULT_RUN_TTL_MS,
    flushTimeoutMs: (flushTimeoutMs as number | undefined) ?? DEFAULT_FLUSH_TIMEOUT_MS,
    annotateCallerSpan: (annotateCallerSpan as boolean | undefined) ?? false,
    contentConventions: contentConventions === undefined ? CONTENT_CONVENTIONS : [...(contentConventions as ContentConvention[])],
  };
}
