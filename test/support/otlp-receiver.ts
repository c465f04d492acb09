/**
 * A tiny OTLP/HTTP receiver for tests: listens on a free loopback port and decodes the OTLP/JSON
 * bodies that `@opentelemetry/exporter-trace-otlp-http` sends (that exporter never sends protobuf).
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  /** Resource attributes of the batch the span came in, flattened to plain values. */
  resource: Record<string, unknown>;
  attributes: Record<string, unknown>;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Size of the request body as sent (before any decompression). */
  bodyBytes: number;
  spans: ReceivedSpan[];
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`, to use as OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly baseUrl: string;
  readonly requests: ReceivedRequest[];
  readonly spans: ReceivedSpan[];
  /** Resolves once at least `count` spans arrived; rejects after `timeoutMs`. */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString("utf8");
      requests.push({
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        bodyBytes: raw.length,
        spans: body ? spansFromExportRequest(JSON.parse(body) as OtlpJsonExportRequest) : [],
      });
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const allSpans = () => requests.flatMap((request) => request.spans);

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    get spans() {
      return allSpans();
    },
    async waitForSpans(count, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (allSpans().length < count) {
        if (Date.now() > deadline) {
          throw new Error(`OTLP receiver: expected ${count} spans within ${timeoutMs} ms, got ${allSpans().length}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return allSpans();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

// The subset of the OTLP/JSON trace export request that the tests look at.
interface OtlpJsonKeyValue {
  key: string;
  value: OtlpJsonAnyValue;
}
interface OtlpJsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpJsonAnyValue[] };
}
interface OtlpJsonExportRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpJsonKeyValue[] };
    scopeSpans?: Array<{
      spans?: Array<{
        name: string;
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        attributes?: OtlpJsonKeyValue[];
      }>;
    }>;
  }>;
}

function spansFromExportRequest(request: OtlpJsonExportRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributesToRecord(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span) => ({
        name: span.name,
        traceId: span.traceId,
        spanId: span.spanId,
        // An empty string means "no parent" in OTLP/JSON.
        parentSpanId: span.parentSpanId || undefined,
        resource,
        attributes: attributesToRecord(span.attributes),
      })),
    );
  });
}

function attributesToRecord(keyValues: OtlpJsonKeyValue[] = []): Record<string, unknown> {
  return Object.fromEntries(keyValues.map(({ key, value }) => [key, anyValueToPlain(value)]));
}

function anyValueToPlain(value: OtlpJsonAnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(anyValueToPlain);
  return undefined;
}
