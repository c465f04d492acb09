/**
 * End to end, metrics: the demo's support agent -> OpenTelemetryCallbackHandler (GenAI metrics)
 * -> OTel metrics SDK (OTLP/HTTP) -> the real collector on collector-config.yaml -> the real
 * Prometheus on prometheus.yml; and its spans -> the collector's spanmetrics connector ->
 * Prometheus -> the real Jaeger's Monitor tab API on jaeger-config.yaml. Every expected value
 * comes from LangChain's own report of the runs (run tree, usage_metadata of each model result).
 */
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { HumanMessage, type UsageMetadata } from "@langchain/core/messages";
import type { ChatGeneration, LLMResult } from "@langchain/core/outputs";
import { expect, it } from "vitest";
import { createSupportAgent, SUPPORT_MODEL_NAME, SUPPORT_QUESTION } from "../../demo/support-agent.js";
import { RunTreeRecorder, type RecordedRun } from "../support/run-recorder.js";
import { describeE2E, stackForSuite, type PrometheusSample } from "./stack.js";

const SERVICE_NAME = "langchain-otel-e2e-metrics";

/** Sums the token usage LangChain reports in each model run's result. */
class UsageTally extends BaseCallbackHandler {
  name = "UsageTally";
  input = 0;
  output = 0;

  constructor() {
    super({ _awaitHandler: true });
  }

  override handleLLMEnd(output: LLMResult): void {
    for (const generation of output.generations.flat() as ChatGeneration[]) {
      const usage = (generation.message as { usage_metadata?: UsageMetadata }).usage_metadata;
      this.input += usage?.input_tokens ?? 0;
      this.output += usage?.output_tokens ?? 0;
    }
  }
}

/** Per-operation counts of the runs the recorder saw, as the metrics should count them. */
function expectedOperationCounts(runs: RecordedRun[]): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const run of runs) {
    const operation = run.runType === "llm" ? "chat" : run.runType === "tool" ? "execute_tool" : run.runType === "retriever" ? "retrieval" : undefined;
    if (operation === undefined) continue;
    add(run.failed ? `${operation} UpstreamTimeoutError` : operation);
  }
  return counts;
}

function byLabels(samples: PrometheusSample[], ...labels: string[]): Map<string, number> {
  return new Map(samples.map((sample) => [labels.map((label) => sample.labels[label]).filter(Boolean).join(" "), sample.value]));
}

describeE2E("the demo's metrics in Prometheus and in Jaeger's Monitor tab", () => {
  const suite = stackForSuite(SERVICE_NAME);
  const recorder = new RunTreeRecorder();
  const usage = new UsageTally();

  /** One run of the demo agent, streamed as `npm run demo` does, then exported. */
  async function runDemo(): Promise<void> {
    const agent = createSupportAgent({ firstChunkDelayMs: 5, chunkDelayMs: 0 });
    const stream = await agent.stream({ messages: [new HumanMessage(SUPPORT_QUESTION)] }, { streamMode: "messages", callbacks: [suite.app.handler, recorder, usage] });
    for await (const _chunk of stream) void _chunk;
    await suite.app.flush();
  }

  it("Prometheus has the GenAI metrics: token usage by model and type, operation counts by operation and error", async () => {
    await runDemo();
    await runDemo();
    const job = `job="${SERVICE_NAME}"`;
    const llmRuns = recorder.runs.filter((run) => run.runType === "llm").length;
    expect(llmRuns).toBeGreaterThanOrEqual(6);
    expect(usage.input).toBeGreaterThan(0);

    const tokens = await suite.stack.prometheus.query.waitFor(
      `sum by (gen_ai_request_model, gen_ai_token_type) (gen_ai_client_token_usage_sum{${job}})`,
      (samples) => byLabels(samples, "gen_ai_token_type").get("input") === usage.input,
    );
    expect(byLabels(tokens, "gen_ai_request_model", "gen_ai_token_type")).toEqual(
      new Map([
        [`${SUPPORT_MODEL_NAME} input`, usage.input],
        [`${SUPPORT_MODEL_NAME} output`, usage.output],
      ]),
    );
    const tokenCounts = await suite.stack.prometheus.query.query(`sum by (gen_ai_token_type) (gen_ai_client_token_usage_count{${job}})`);
    expect(byLabels(tokenCounts, "gen_ai_token_type")).toEqual(new Map([["input", llmRuns], ["output", llmRuns]]));

    const expected = expectedOperationCounts(recorder.runs);
    expect(expected.get("execute_tool UpstreamTimeoutError")).toBe(2); // once per demo run
    const durations = await suite.stack.prometheus.query.waitFor(
      `sum by (gen_ai_operation_name, error_type) (gen_ai_client_operation_duration_seconds_count{${job}})`,
      (samples) => byLabels(samples, "gen_ai_operation_name", "error_type").get("chat") === llmRuns,
    );
    expect(byLabels(durations, "gen_ai_operation_name", "error_type")).toEqual(expected);
    // The demo streams: every model call has a time to first chunk; the spec's buckets are there.
    const firstChunk = await suite.stack.prometheus.query.query(`sum(gen_ai_client_operation_time_to_first_chunk_seconds_count{${job}})`);
    expect(firstChunk[0]?.value).toBe(llmRuns);
    const buckets = await suite.stack.prometheus.query.query(`gen_ai_client_operation_duration_seconds_bucket{${job}, gen_ai_operation_name="chat"}`);
    expect(buckets.map((sample) => sample.labels["le"]).sort()).toContain("81.92");
  });

  it("Jaeger's Monitor tab shows call rate, error rate and latency per operation of the demo's service", async () => {
    // Rates need the counters to grow between two scrapes: wait for the first samples, then run again.
    await suite.stack.prometheus.query.waitFor(`traces_span_metrics_calls_total{service_name="${SERVICE_NAME}"}`, (samples) => samples.length > 0);
    await runDemo();

    const chat = `chat ${SUPPORT_MODEL_NAME}`;
    const deadline = Date.now() + 30_000;
    let client = new Map<string, number>();
    while (Date.now() < deadline && !((client.get(chat) ?? 0) > 0)) {
      client = await suite.stack.jaeger.query.operationMetrics("calls", SERVICE_NAME, "client");
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(client.get(chat), `client calls: ${JSON.stringify([...client])}`).toBeGreaterThan(0);
    expect(client.get("retrieval KeywordRetriever")).toBeGreaterThan(0);

    const internal = await suite.stack.jaeger.query.operationMetrics("calls", SERVICE_NAME, "internal");
    expect(internal.get("execute_tool get_exchange_rate")).toBeGreaterThan(0);
    expect(internal.get("invoke_agent support_agent")).toBeGreaterThan(0);

    // get_exchange_rate fails once per demo run: an error rate above zero; the calculator never fails.
    const errors = await suite.stack.jaeger.query.operationMetrics("errors", SERVICE_NAME, "internal");
    expect(errors.get("execute_tool get_exchange_rate")).toBeGreaterThan(0);
    expect(errors.get("execute_tool calculator") ?? 0).not.toBeGreaterThan(0);

    const latencies = await suite.stack.jaeger.query.operationMetrics("latencies", SERVICE_NAME, "client");
    expect(latencies.get(chat)).toBeGreaterThan(0);
  });
});
