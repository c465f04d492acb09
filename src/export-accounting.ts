/**
 * Counts what `langchain-otel/setup` hands its exporter and what arrives, so that loss is never
 * silent: one warning when the backend starts failing, one when it answers again (with what was
 * dropped meanwhile), and counters the app can read at any time.
 */
import { diag, TraceFlags } from "@opentelemetry/api";
import type { ReadableSpan, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { describeError } from "./payload.js";

/** The counters since setup, in spans. */
export interface ExportCounts {
  /** Sampled spans that ended (and so were handed to the span processors). */
  ended: number;
  /** Spans the backend accepted. */
  exported: number;
  /** Spans whose export failed (backend down, refused, timed out, rejected). */
  failed: number;
}

interface Outage {
  since: number;
  reason: string;
  spans: number;
  batches: number;
}

/** The SDK's `ExportResultCode.SUCCESS` (0), without a dependency on @opentelemetry/core. */
const EXPORT_SUCCESS = 0;

export class ExportAccounting {
  private readonly counts: ExportCounts = { ended: 0, exported: 0, failed: 0 };
  private outage: Outage | undefined;

  snapshot(): ExportCounts {
    return { ...this.counts };
  }

  /** Spans ended but neither exported nor failed yet: queued or in flight. */
  get pending(): number {
    return Math.max(0, this.counts.ended - this.counts.exported - this.counts.failed);
  }

  /** A processor placed before the batch processor: it only counts ended, sampled spans. */
  readonly counter: SpanProcessor = {
    onStart: () => {},
    onEnd: (span: ReadableSpan) => {
      if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) this.counts.ended++;
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };

  /**
   * The exporter, counting each batch's outcome. A failed batch is reported to the batch
   * processor as done: the processor would only log it, once per batch; it is logged here
   * once per outage instead, and counted.
   */
  wrap(exporter: SpanExporter): SpanExporter {
    return {
      export: (spans, resultCallback) => {
        exporter.export(spans, (result) => {
          if (result.code === EXPORT_SUCCESS) this.exported(spans.length);
          else this.failed(spans.length, result.error);
          resultCallback({ code: EXPORT_SUCCESS });
        });
      },
      shutdown: () => exporter.shutdown(),
      forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
    };
  }

  private exported(spans: number): void {
    this.counts.exported += spans;
    const outage = this.outage;
    if (outage === undefined) return;
    this.outage = undefined;
    const seconds = ((performance.now() - outage.since) / 1000).toFixed(1);
    diag.warn(
      `langchain-otel: the trace backend accepts spans again after ${seconds} s; ${outage.spans} spans in ${outage.batches} batches were dropped meanwhile (${outage.reason}).`,
    );
  }

  private failed(spans: number, error: unknown): void {
    this.counts.failed += spans;
    if (this.outage !== undefined) {
      this.outage.spans += spans;
      this.outage.batches++;
      return;
    }
    const reason = error === undefined ? "export failed" : describeError(error);
    this.outage = { since: performance.now(), reason, spans, batches: 1 };
    diag.warn(`langchain-otel: exporting spans failed (${reason}); spans are dropped until the backend answers again.`);
  }
}
