/** Where the OTLP/HTTP exporter will send traces, and whether anything answers there. */

/**
 * The URL `OTLPTraceExporter` posts to, resolved from the same variables in the same order
 * (the exporter does not expose the URL it resolved, so the demo mirrors its three rules).
 */
export function otlpTracesUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (tracesEndpoint) return tracesEndpoint;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (endpoint) return `${endpoint.replace(/\/+$/, "")}/v1/traces`;
  return "http://localhost:4318/v1/traces";
}

export type EndpointProbe =
  | { reachable: true; httpStatus: number }
  | { reachable: false; reason: string };

/**
 * Posts an empty OTLP/JSON export (no spans) and reports whether an HTTP answer came back within
 * `timeoutMs`. Any answer counts: a 401 still means "a backend is there, check the headers".
 */
export async function probeOtlpEndpoint(tracesUrl: string, timeoutMs = 800): Promise<EndpointProbe> {
  try {
    const response = await fetch(tracesUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ resourceSpans: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return { reachable: true, httpStatus: response.status };
  } catch (error) {
    return { reachable: false, reason: describeFetchError(error, timeoutMs) };
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  // fetch wraps the socket error ("ECONNREFUSED", "ENOTFOUND", ...) as its cause.
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
