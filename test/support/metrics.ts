/** A real OTel metrics SDK pipeline for tests: a MeterProvider and a reader the test collects from on demand. */
import type { Attributes } from "@opentelemetry/api";
import { DataPointType, MeterProvider, MetricReader, type Histogram } from "@opentelemetry/sdk-metrics";

/** Collects only when the test asks (`collect()`), like a pull exporter. */
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface HistogramPoint {
  attributes: Attributes;
  count: number;
  sum: number;
  min: number | undefined;
  max: number | undefined;
  boundaries: number[];
  counts: number[];
}

export interface TestMetrics {
  meterProvider: MeterProvider;
  /** The points of histogram `name` (one per attribute set), cumulative since the start. */
  histogram(name: string): Promise<HistogramPoint[]>;
}

export function createTestMetrics(): TestMetrics {
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    meterProvider,
    async histogram(name) {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new Error(`metric collection failed: ${errors.map(String).join("; ")}`);
      const metric = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name);
      if (metric === undefined) return [];
      if (metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${name} is not a histogram`);
      return metric.dataPoints.map(({ attributes, value }: { attributes: Attributes; value: Histogram }) => ({
        attributes,
        count: value.count,
        sum: value.sum ?? Number.NaN,
        min: value.min,
        max: value.max,
        boundaries: value.buckets.boundaries,
        counts: value.buckets.counts,
      }));
    },
  };
}

/** The single point whose attributes equal `attributes`; fails when there is not exactly one. */
export function pointWith(points: HistogramPoint[], attributes: Attributes): HistogramPoint {
  const matching = points.filter((point) => sameAttributes(point.attributes, attributes));
  if (matching.length !== 1) {
    throw new Error(`expected one point with ${JSON.stringify(attributes)}, found ${matching.length} among ${JSON.stringify(points.map((p) => p.attributes))}`);
  }
  return matching[0] as HistogramPoint;
}

function sameAttributes(a: Attributes, b: Attributes): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
