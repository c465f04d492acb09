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
  | { reachable: true; httpStatus: number | undefined }
  | { reachable: false; reason: string };

/**
 * Posts an empty OTLP/JSON export (no spans) and reports whether anything listens there. Any
 * answer counts: a 401 still means "a backend is there, check the headers". So does no answer
 * within `timeoutMs`: a slow collector is a collector (the export's own result says the rest);
 * only a refused or unresolvable address means there is none.
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
    if (error instanceof Error && error.name === "TimeoutError") return { reachable: true, httpStatus: undefined };
    return { reachable: false, reason: describeFetchError(error) };
  }
}

function describeFetchError(error: unknown): string {
  // fetch wraps the socket error ("ECONNREFUSED", "ENOTFOUND", ...) as its cause.
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
