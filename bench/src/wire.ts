// Bytes on the wire: what each configuration's spans weigh as the OTLP/protobuf exporter sends
// them (`ProtobufTraceSerializer`, the serializer behind @opentelemetry/exporter-trace-otlp-proto),
// for the same work. Many APM backends bill by ingested bytes.
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { AttributeValue } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import type { Configuration } from "./configurations.js";
import { pairKey, withConfiguration, type BenchContext } from "./measure.js";
import { handlerSpans } from "./otel.js";
import type { Workload } from "./workloads.js";

export interface WireSettings {
  /** Invocations serialized together (one export request), by workload id. */
  invocations: Record<string, number>;
  workloadIds: string[];
}

export interface WireResult {
  invocations: number;
  spans: number;
  /** Bytes of one OTLP/protobuf export request holding every span of the invocations. */
  bytes: number;
  /** Ours only: ≈ bytes per invocation by attribute family (key + value), largest first. */
  families?: Array<{ family: string; attributesPerInvocation: number; bytesPerInvocation: number }>;
}

/** `llm.input_messages.3.message.role` → `llm.input_messages.*`: indexed keys are one family. */
function familyOf(key: string): string {
  const indexed = /^(.*?)\.\d+(\.|$)/.exec(key);
  return indexed === null ? key : `${indexed[1]}.*`;
}

const encoder = new TextEncoder();

/** ≈ protobuf bytes of one attribute: key, value, and a few bytes of framing. */
function attributeBytes(key: string, value: AttributeValue | undefined): number {
  const valueBytes = (item: unknown): number => (typeof item === "string" ? encoder.encode(item).length + 2 : 9);
  const values = Array.isArray(value) ? value.reduce((sum: number, item) => sum + valueBytes(item) + 2, 2) : valueBytes(value);
  return encoder.encode(key).length + values + 4;
}

function attributeFamilies(spans: readonly ReadableSpan[], invocations: number): WireResult["families"] {
  const families = new Map<string, { count: number; bytes: number }>();
  for (const span of spans) {
    for (const [key, value] of Object.entries(span.attributes)) {
      const family = families.get(familyOf(key)) ?? { count: 0, bytes: 0 };
      family.count += 1;
      family.bytes += attributeBytes(key, value);
      families.set(familyOf(key), family);
    }
  }
  return [...families]
    .map(([family, { count, bytes }]) => ({ family, attributesPerInvocation: count / invocations, bytesPerInvocation: bytes / invocations }))
    .sort((a, b) => b.bytesPerInvocation - a.bytesPerInvocation);
}

/** Configurations whose bytes are compared: every span-making one that records all its runs (one floor is enough). */
function weighed(configuration: Configuration): boolean {
  return configuration.makesSpans && configuration.sampler === undefined && configuration.id !== "floor-bg";
}

export async function measureWireBytes(context: BenchContext, settings: WireSettings, extraWorkloads: readonly Workload[]): Promise<Map<string, WireResult>> {
  const { configurations, pipeline } = context;
  const workloads = [...context.workloads, ...extraWorkloads].filter((workload) => settings.workloadIds.includes(workload.id));
  const results = new Map<string, WireResult>();
  for (const configuration of configurations.filter(weighed)) {
    await withConfiguration(configuration, async () => {
      for (const workload of workloads) {
        const invocations = settings.invocations[workload.id] ?? 1;
        pipeline.exporter.reset();
        for (let i = 0; i < invocations; i += 1) await workload.invoke(configuration.handlers);
        await awaitAllCallbacks();
        const spans = handlerSpans(pipeline.exporter);
        const request = ProtobufTraceSerializer.serializeRequest(spans);
        if (request === undefined) throw new Error(`the OTLP serializer refused ${configuration.id}'s spans`);
        results.set(pairKey(configuration.id, workload.id), {
          invocations,
          spans: spans.length,
          bytes: request.length,
          ...(configuration.role === "ours" ? { families: attributeFamilies(spans, invocations) } : {}),
        });
        pipeline.exporter.reset();
      }
    });
    context.log(`bytes on the wire measured: ${configuration.id}`);
  }
  return results;
}
