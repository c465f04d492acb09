/**
 * The GenAI client metrics of the OpenTelemetry semantic conventions (v1.41.1), recorded for
 * every model, tool and retriever run, whether its span is sampled or not.
 *
 * - `gen_ai.client.operation.duration` (s): chat, text_completion, execute_tool, retrieval runs,
 *   with `error.type` when the run failed or was cancelled.
 * - `gen_ai.client.token.usage` ({token}): chat and text_completion runs that report usage, one
 *   measurement per `gen_ai.token.type` (input, output).
 * - `gen_ai.client.operation.time_to_first_chunk` (s): streamed chat and text_completion runs only.
 *
 * Cardinality stays bounded: attributes come only from the run's operation, provider, models and
 * error class (never run IDs or content), each string is cut to `MAX_METRIC_VALUE_LENGTH`, and
 * each attribute keeps at most `MAX_DISTINCT_METRIC_VALUES` distinct values per handler; later new
 * values are recorded as `_OTHER`.
 */
import { createNoopMeter, diag, metrics, type Attributes, type AttributeValue, type Histogram, type MeterProvider } from "@opentelemetry/api";
import {
  ERROR_TYPE,
  GEN_AI_OPERATION_NAME,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_RESPONSE_MODEL,
  GEN_AI_TOKEN_TYPE,
  GEN_AI_USAGE_INPUT_TOKENS,
  GEN_AI_USAGE_OUTPUT_TOKENS,
} from "./attribute-names.js";
import { describeError } from "./payload.js";
import { LIBRARY_NAME, LIBRARY_VERSION } from "./version.js";

export const METRIC_OPERATION_DURATION = "gen_ai.client.operation.duration";
export const METRIC_TOKEN_USAGE = "gen_ai.client.token.usage";
export const METRIC_TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk";

/** The conventions' bucket boundaries: duration and time to first chunk share one set. */
export const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
export const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

export const MAX_METRIC_VALUE_LENGTH = 128;
export const MAX_DISTINCT_METRIC_VALUES = 100;
/** The conventions' fallback value, used here for values past the distinct-value cap. */
export const OTHER_METRIC_VALUE = "_OTHER";

/** Operations these metrics cover; the conventions define no client metric for workflows or plain chains. */
const MEASURED_OPERATIONS: ReadonlySet<AttributeValue> = new Set(["chat", "text_completion", "execute_tool", "retrieval"]);
const MODEL_OPERATIONS: ReadonlySet<AttributeValue> = new Set(["chat", "text_completion"]);
/** LangChain's run types whose operations these are: chains (and the agents and workflows among them) have none. */
const MEASURED_RUN_TYPES: ReadonlySet<string> = new Set(["llm", "tool", "retriever"]);
/** Span attributes known at a run's start that metrics carry too. */
const START_KEYS = [GEN_AI_OPERATION_NAME, GEN_AI_PROVIDER_NAME, GEN_AI_REQUEST_MODEL] as const;

/** What the metrics need of an open run: its start-time attributes and its clock readings (`performance.now()`). */
export interface MeasuredRun {
  metricAttributes: Attributes | undefined;
  startedAt: number;
  firstChunkAt: number | undefined;
}

export interface TokenUsage {
  input: number | undefined;
  output: number | undefined;
}

function cap(value: string): string {
  return value.length > MAX_METRIC_VALUE_LENGTH ? value.slice(0, MAX_METRIC_VALUE_LENGTH) : value;
}

/** The metric attributes of a run, from its span's start attributes; undefined for runs no GenAI metric covers. */
function startMetricAttributes(startAttributes: Attributes): Attributes | undefined {
  if (!MEASURED_OPERATIONS.has(startAttributes[GEN_AI_OPERATION_NAME] as AttributeValue)) return undefined;
  const attributes: Attributes = {};
  for (const key of START_KEYS) {
    const value = startAttributes[key];
    if (typeof value === "string") attributes[key] = cap(value);
  }
  return attributes;
}

/** Token counts from a model run's end attributes (`modelEndAttributes`). */
export function tokenUsage(endAttributes: Attributes): TokenUsage {
  const count = (key: string) => {
    const value = endAttributes[key];
    return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
  };
  return { input: count(GEN_AI_USAGE_INPUT_TOKENS), output: count(GEN_AI_USAGE_OUTPUT_TOKENS) };
}

/** Keeps at most `MAX_DISTINCT_METRIC_VALUES` values per attribute; newer ones become `_OTHER`. */
class DistinctValues {
  private readonly seen = new Map<string, Set<string>>();

  bound(key: string, value: string): string {
    let values = this.seen.get(key);
    if (values === undefined) this.seen.set(key, (values = new Set()));
    if (values.has(value)) return value;
    if (values.size >= MAX_DISTINCT_METRIC_VALUES) return OTHER_METRIC_VALUE;
    values.add(value);
    return value;
  }

  boundAll(attributes: Attributes): Attributes {
    for (const [key, value] of Object.entries(attributes)) {
      if (typeof value === "string") attributes[key] = this.bound(key, value);
    }
    return attributes;
  }
}

interface Instruments {
  provider: MeterProvider;
  /** False for the API's no-op provider (no SDK registered): nothing recorded would reach anyone. */
  recording: boolean;
  duration: Histogram;
  tokens: Histogram;
  timeToFirstChunk: Histogram;
}

function createInstruments(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(LIBRARY_NAME, LIBRARY_VERSION);
  return {
    provider,
    recording: meter !== createNoopMeter(),
    duration: meter.createHistogram(METRIC_OPERATION_DURATION, {
      description: "GenAI operation duration.",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    tokens: meter.createHistogram(METRIC_TOKEN_USAGE, {
      description: "Number of input and output tokens used.",
      unit: "{token}",
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    }),
    timeToFirstChunk: meter.createHistogram(METRIC_TIME_TO_FIRST_CHUNK, {
      description: "Time to receive the first chunk of a streamed response.",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
  };
}

/**
 * The handler's instruments, created once. With no provider given they follow the global one: the
 * API has no proxy meter provider, so an SDK registered after the handler was built is picked up
 * from the next run's start (one global read per measured start and record). With none
 * registered, runs carry no metric attributes and cost the metrics nothing more.
 */
export class GenAiMetrics {
  private instruments: Instruments | undefined;
  private readonly distinct = new DistinctValues();

  constructor(private readonly meterProvider: MeterProvider | undefined) {}

  /**
   * Whether a run of this LangChain type is measured: a model, tool or retriever run, while an SDK
   * (given or registered globally) records metrics. Only such a run needs `startAttributes`.
   */
  measures(runType: string): boolean {
    try {
      return MEASURED_RUN_TYPES.has(runType) && this.current().recording;
    } catch {
      return false;
    }
  }

  /** Metric attributes to keep on an open run that is measured (see `startMetricAttributes`), their values bounded. */
  startAttributes(startAttributes: Attributes): Attributes | undefined {
    try {
      const attributes = startMetricAttributes(startAttributes);
      return attributes === undefined ? undefined : this.distinct.boundAll(attributes);
    } catch (error) {
      diag.warn(`langchain-otel: metric attributes skipped: ${describeError(error)}`);
      return undefined;
    }
  }

  /** A run ended: its duration, and for models its token usage and time to first chunk. */
  recordEnd(run: MeasuredRun, endAttributes: Attributes): void {
    if (run.metricAttributes === undefined) return;
    const now = performance.now();
    try {
      const attributes = { ...run.metricAttributes };
      const responseModel = endAttributes[GEN_AI_RESPONSE_MODEL];
      if (typeof responseModel === "string") attributes[GEN_AI_RESPONSE_MODEL] = this.distinct.bound(GEN_AI_RESPONSE_MODEL, cap(responseModel));
      const instruments = this.current();
      instruments.duration.record((now - run.startedAt) / 1000, attributes);
      if (!MODEL_OPERATIONS.has(attributes[GEN_AI_OPERATION_NAME] as AttributeValue)) return;
      this.recordFirstChunk(instruments, run, attributes);
      const usage = tokenUsage(endAttributes);
      if (usage.input !== undefined) instruments.tokens.record(usage.input, { ...attributes, [GEN_AI_TOKEN_TYPE]: "input" });
      if (usage.output !== undefined) instruments.tokens.record(usage.output, { ...attributes, [GEN_AI_TOKEN_TYPE]: "output" });
    } catch (error) {
      diag.warn(`langchain-otel: metrics of an ended run skipped: ${describeError(error)}`);
    }
  }

  /** A run failed or was cancelled: its duration with `error.type`, and its time to first chunk if it streamed. */
  recordError(run: MeasuredRun, errorType: string): void {
    if (run.metricAttributes === undefined) return;
    const now = performance.now();
    try {
      const instruments = this.current();
      const attributes = run.metricAttributes;
      instruments.duration.record((now - run.startedAt) / 1000, { ...attributes, [ERROR_TYPE]: this.distinct.bound(ERROR_TYPE, cap(errorType)) });
      if (MODEL_OPERATIONS.has(attributes[GEN_AI_OPERATION_NAME] as AttributeValue)) this.recordFirstChunk(instruments, run, attributes);
    } catch (error) {
      diag.warn(`langchain-otel: metrics of a failed run skipped: ${describeError(error)}`);
    }
  }

  private recordFirstChunk(instruments: Instruments, run: MeasuredRun, attributes: Attributes): void {
    if (run.firstChunkAt !== undefined) instruments.timeToFirstChunk.record((run.firstChunkAt - run.startedAt) / 1000, attributes);
  }

  private current(): Instruments {
    const provider = this.meterProvider ?? metrics.getMeterProvider();
    if (this.instruments?.provider !== provider) this.instruments = createInstruments(provider);
    return this.instruments;
  }
}
