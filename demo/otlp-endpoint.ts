/** Where the OTLP exporter will send traces, whether anything answers there, and what became of the export. */
import { connect } from "node:net";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { otlpProtocolFromEnv, type OtlpProtocol } from "../src/trace-exporter.js";

/**
 * The URL the `OTLPTraceExporter` of `protocol` sends to, resolved from the same variables in the
 * same order (the exporters do not expose the URL they resolved, so the demo mirrors their rules).
 */
export function otlpTracesUrlFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  protocol: OtlpProtocol = otlpProtocolFromEnv(env).protocol,
): string {
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (tracesEndpoint) return tracesEndpoint;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  // gRPC has no per-signal path: the endpoint is used as is.
  if (protocol === "grpc") return endpoint || "http://localhost:4317";
  if (endpoint) return `${endpoint.replace(/\/+$/, "")}/v1/traces`;
  return "http://localhost:4318/v1/traces";
}

export type EndpointProbe = { reachable: true } | { reachable: false; reason: string };

/**
 * Whether anything listens at the URL: only a refused or unresolvable address means there is
 * none. No answer within `timeoutMs` counts as reachable (a slow network is not a missing
 * collector); what the backend thinks of our requests (headers, encoding) only the export
 * result tells.
 */
export async function probeOtlpEndpoint(tracesUrl: string, timeoutMs = 800): Promise<EndpointProbe> {
  let url: URL;
  try {
    url = new URL(tracesUrl);
  } catch {
    return { reachable: false, reason: "not a URL" };
  }
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ""), port });
    const finish = (probe: EndpointProbe) => {
      socket.destroy();
      resolve(probe);
    };
    socket.setTimeout(timeoutMs, () => finish({ reachable: true }));
    socket.once("connect", () => finish({ reachable: true }));
    socket.once("error", (error: NodeJS.ErrnoException) => finish({ reachable: false, reason: error.code ?? error.message }));
  });
}

/** Passes spans on to `exporter` and keeps what came back, so the demo reports the truth. */
export class ExportOutcomeRecorder implements SpanExporter {
  exportedSpanCount = 0;
  readonly failures: unknown[] = [];

  constructor(private readonly exporter: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: Parameters<SpanExporter["export"]>[1]): void {
    this.exporter.export(spans, (result) => {
      // 0 is ExportResultCode.SUCCESS (@opentelemetry/core).
      if (result.code === 0) this.exportedSpanCount += spans.length;
      else this.failures.push(result.error ?? new Error("export failed"));
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.exporter.forceFlush?.() ?? Promise.resolve();
  }
}

/** What an export failure means for the user, with the fix. The OTLP exporters put the HTTP status in `code`. */
export function describeExportFailure(error: unknown, protocol: OtlpProtocol): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const detail = typeof message === "string" && message !== "" ? message : String(error);
  if (code === 415) {
    return protocol === "http/protobuf"
      ? `HTTP 415 (${detail}): this backend does not take OTLP/protobuf; try OTEL_EXPORTER_OTLP_PROTOCOL=http/json.`
      : `HTTP 415 (${detail}): this backend wants http/protobuf; unset OTEL_EXPORTER_OTLP_PROTOCOL or set it to http/protobuf.`;
  }
  if (code === 401 || code === 403) return `HTTP ${code} (${detail}): check OTEL_EXPORTER_OTLP_HEADERS (the backend's API key).`;
  if (code === 404) return `HTTP 404 (${detail}): check the endpoint path (OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces appended).`;
  return typeof code === "number" ? `HTTP ${code}: ${detail}` : detail;
}
