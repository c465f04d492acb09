/**
 * A tiny OTLP/HTTP receiver for tests: listens on a free loopback port and decodes the OTLP/JSON
 * (`@opentelemetry/exporter-trace-otlp-http`) and OTLP/protobuf (`-proto`) bodies it gets.
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
  /** The decoded body of an OTLP/JSON request (metrics requests are checked through it). */
  json: unknown;
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

export interface OtlpReceiverOptions {
  /** Answer 415 to the other encoding, as Phoenix does to OTLP/JSON. Default: take both. */
  onlyAccepts?: "json" | "protobuf";
}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const isProtobuf = request.headers["content-type"] === "application/x-protobuf";
      if (options.onlyAccepts && options.onlyAccepts !== (isProtobuf ? "protobuf" : "json")) {
        response.writeHead(415, { "content-type": "text/plain" }).end("Unsupported Media Type");
        return;
      }
      requests.push({
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        bodyBytes: body.length,
        // Metrics exports (…/metrics) carry no spans.
        spans: body.length === 0 || request.url?.endsWith("metrics") ? [] : isProtobuf ? spansFromProtobuf(body) : spansFromExportRequest(JSON.parse(body.toString("utf8")) as OtlpJsonExportRequest),
        json: body.length === 0 || isProtobuf ? undefined : (JSON.parse(body.toString("utf8")) as unknown),
      });
      response.writeHead(200, { "content-type": request.headers["content-type"] ?? "application/json" }).end(isProtobuf ? "" : "{}");
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

// OTLP/protobuf, read with a minimal wire-format reader: only the fields spansFromExportRequest reads.
type ProtoField = { number: number; varint?: bigint; fixed64?: Buffer; bytes?: Buffer };

function protoFields(buffer: Buffer): ProtoField[] {
  const fields: ProtoField[] = [];
  let offset = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[offset++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  while (offset < buffer.length) {
    const key = Number(readVarint());
    const number = key >> 3;
    switch (key & 7) {
      case 0:
        fields.push({ number, varint: readVarint() });
        break;
      case 1:
        fields.push({ number, fixed64: buffer.subarray(offset, (offset += 8)) });
        break;
      case 2: {
        const length = Number(readVarint());
        fields.push({ number, bytes: buffer.subarray(offset, (offset += length)) });
        break;
      }
      case 5:
        offset += 4;
        break;
      default:
        throw new Error(`OTLP receiver: unsupported protobuf wire type in field ${number}`);
    }
  }
  return fields;
}

const messagesIn = (buffer: Buffer, number: number) =>
  protoFields(buffer).flatMap((field) => (field.number === number && field.bytes ? [field.bytes] : []));

function protoAnyValue(buffer: Buffer): OtlpJsonAnyValue {
  const [field] = protoFields(buffer);
  if (!field) return {};
  if (field.number === 1) return { stringValue: field.bytes?.toString("utf8") ?? "" };
  if (field.number === 2) return { boolValue: field.varint === 1n };
  if (field.number === 3) return { intValue: BigInt.asIntN(64, field.varint ?? 0n).toString() };
  if (field.number === 4) return { doubleValue: field.fixed64?.readDoubleLE() ?? 0 };
  if (field.number === 5) return { arrayValue: { values: messagesIn(field.bytes ?? Buffer.alloc(0), 1).map(protoAnyValue) } };
  return {};
}

function protoKeyValues(buffer: Buffer, number: number): OtlpJsonKeyValue[] {
  return messagesIn(buffer, number).map((keyValue) => ({
    key: messagesIn(keyValue, 1)[0]?.toString("utf8") ?? "",
    value: protoAnyValue(messagesIn(keyValue, 2)[0] ?? Buffer.alloc(0)),
  }));
}

function spansFromProtobuf(body: Buffer): ReceivedSpan[] {
  const hex = (bytes: Buffer | undefined) => bytes?.toString("hex") ?? "";
  const request: OtlpJsonExportRequest = {
    resourceSpans: messagesIn(body, 1).map((resourceSpans) => ({
      resource: { attributes: protoKeyValues(messagesIn(resourceSpans, 1)[0] ?? Buffer.alloc(0), 1) },
      scopeSpans: messagesIn(resourceSpans, 2).map((scopeSpans) => ({
        spans: messagesIn(scopeSpans, 2).map((span) => ({
          traceId: hex(messagesIn(span, 1)[0]),
          spanId: hex(messagesIn(span, 2)[0]),
          parentSpanId: hex(messagesIn(span, 4)[0]),
          name: messagesIn(span, 5)[0]?.toString("utf8") ?? "",
          attributes: protoKeyValues(span, 9),
        })),
      })),
    })),
  };
  return spansFromExportRequest(request);
}
