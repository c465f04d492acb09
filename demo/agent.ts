/**
 * `npm run demo`: runs a LangGraph support agent offline (scripted model, in-memory help center,
 * no API key), traced with OpenTelemetryCallbackHandler, and prints the trace as a tree. Its
 * model calls go over HTTP to a loopback stand-in for a provider (the undici instrumentation
 * traces them; `setupTracing`'s context manager puts them under their `chat` spans).
 * When an OTLP endpoint answers (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, default localhost:4318),
 * the trace and the handler's GenAI metrics are also exported there (OTEL_EXPORTER_OTLP_PROTOCOL,
 * default http/protobuf, for the traces) and, once the backend accepted them, the Jaeger link is printed.
 */
import { AIMessageChunk, HumanMessage } from "@langchain/core/messages";
import { SpanStatusCode, trace } from "@opentelemetry/api";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { OpenTelemetryCallbackHandler } from "../src/index.js";
import { setupTracing } from "../src/setup.js";
import { otlpProtocolFromEnv, traceExportersFromEnv } from "../src/trace-exporter.js";
import { startModelEndpoint } from "./model-endpoint.js";
import { describeExportFailure, ExportOutcomeRecorder, otlpTracesUrlFromEnv, probeOtlpEndpoint } from "./otlp-endpoint.js";
import { createSupportAgent, SUPPORT_QUESTION } from "./support-agent.js";
import { renderTraceTree } from "./trace-tree.js";

const SERVICE_NAME = "langchain-otel-demo";
const JAEGER_UI_URL = (process.env.JAEGER_UI_URL || "http://localhost:16686").replace(/\/+$/, "");

async function main(): Promise<void> {
  const { protocol } = otlpProtocolFromEnv();
  const tracesUrl = otlpTracesUrlFromEnv(process.env, protocol);
  const probe = await probeOtlpEndpoint(tracesUrl);

  // The in-memory copy feeds the tree below; the environment's exporters (what setupTracing would
  // build) are added only when someone listens, each behind a recorder of what the backend said.
  const spansInMemory = new InMemorySpanExporter();
  const exports = probe.reachable ? traceExportersFromEnv().map((exporter) => new ExportOutcomeRecorder(exporter)) : [];
  const tracing = setupTracing({
    serviceName: SERVICE_NAME,
    spanProcessors: [new SimpleSpanProcessor(spansInMemory), ...exports.map((exporter) => new BatchSpanProcessor(exporter))],
    traceExporter: null,
    ...(probe.reachable ? {} : { metricExporter: null }),
  });
  // After the probe: its own fetch is not part of the demo's trace.
  const unregisterInstrumentations = registerInstrumentations({ instrumentations: [new UndiciInstrumentation()] });
  const modelEndpoint = await startModelEndpoint();
  // Phoenix reads a trace's kind, input and output (and a session turn's) from its root span:
  // here that is "demo request", so the agent's are copied onto it.
  const handler = new OpenTelemetryCallbackHandler({ annotateCallerSpan: true });
  const agent = createSupportAgent({ modelEndpoint: modelEndpoint.url });

  console.log(`Question: ${SUPPORT_QUESTION}\n`);
  process.stdout.write("Answer (streamed): ");
  const traceId = await trace.getTracer(SERVICE_NAME).startActiveSpan("demo request", async (rootSpan) => {
    try {
      const stream = await agent.stream(
        { messages: [new HumanMessage(SUPPORT_QUESTION)] },
        { streamMode: "messages", callbacks: [handler], metadata: { session_id: "support-demo", user_id: "demo-user" } },
      );
      for await (const [message, metadata] of stream) {
        const isAgentText = metadata.langgraph_node === "agent" && AIMessageChunk.isInstance(message) && message.text !== "";
        if (isAgentText) process.stdout.write(message.text);
      }
      process.stdout.write("\n\n");
    } catch (error) {
      rootSpan.recordException(error instanceof Error ? error : String(error));
      rootSpan.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      throw error;
    } finally {
      rootSpan.end();
    }
    return rootSpan.spanContext().traceId;
  });

  await handler.shutdown(); // ends any run left open, so the tree is complete
  await modelEndpoint.close();
  unregisterInstrumentations();
  console.log(renderTraceTree(spansInMemory.getFinishedSpans()));
  console.log();

  if (probe.reachable) {
    // The export results, not the flush, say whether the backend took the spans.
    await tracing.forceFlush({ timeoutMillis: 5_000 }).catch(() => undefined);
    const failures = exports.flatMap((exporter) => exporter.failures);
    const exportedSpanCount = exports.reduce((sum, exporter) => sum + exporter.exportedSpanCount, 0);
    if (failures.length > 0) {
      console.log(`Export to ${tracesUrl} (${protocol}) failed: ${describeExportFailure(failures[0], protocol)}`);
    } else if (exportedSpanCount === 0) {
      console.log(`Export to ${tracesUrl} (${protocol}) did not complete within 5 s (or OTEL_TRACES_EXPORTER=none).`);
    } else {
      console.log(`Exported ${exportedSpanCount} spans to ${tracesUrl} (${protocol}).`);
      console.log(`Open in Jaeger: ${JAEGER_UI_URL}/trace/${traceId}`);
    }
  } else {
    console.log(`No OTLP endpoint at ${tracesUrl} (${probe.reason}): the trace above was kept in memory only.`);
    console.log("Start Jaeger with `docker compose up -d` (or set OTEL_EXPORTER_OTLP_ENDPOINT) and run again to export it.");
  }
  await tracing.shutdown();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
