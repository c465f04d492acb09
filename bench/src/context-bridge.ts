// npm --prefix bench run bridge [-- --smoke]: what LangChainContextManager costs, as ratios in one run.
//
// 1. `context.active()` per call, with the plain AsyncLocalStorageContextManager registered and
//    with LangChainContextManager wrapping it: with no run open in the process, outside any run
//    while another request's run is open (what instrumented code elsewhere in a busy app pays),
//    and inside a run's body (where the bridge looks the run up).
// 2. The handler's overhead per run over no handler, on the agent-like chain, with either
//    manager registered.
// Blocks of each kind interleave round by round; each figure is the median over rounds.
import { RunnableLambda } from "@langchain/core/runnables";
import { context, type ContextManager } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { LangChainContextManager, OpenTelemetryCallbackHandler } from "../../dist/esm/index.js";
import { fixed, median, ratio } from "./stats.js";
import { createWorkloads } from "./workloads.js";

const smoke = process.argv.includes("--smoke") || process.env["BENCH_SMOKE"] === "1";
const ROUNDS = smoke ? 2 : 9;
const ACTIVE_CALLS = smoke ? 1_000 : 200_000;
const INVOCATIONS = smoke ? 5 : 400;
const WARMUP_INVOCATIONS = smoke ? 2 : 200;

type ManagerKind = "plain" | "bridge";

function useManager(kind: ManagerKind): void {
  context.disable();
  const base = new AsyncLocalStorageContextManager();
  const manager: ContextManager = kind === "bridge" ? new LangChainContextManager(base) : base;
  if (!context.setGlobalContextManager(manager.enable())) throw new Error("could not register the context manager");
}

/** ns per `context.active()` call, `ACTIVE_CALLS` in a row. */
function timeActive(): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ACTIVE_CALLS; i++) context.active();
  return Number(process.hrtime.bigint() - start) / ACTIVE_CALLS;
}

/** Invokes a lambda whose body waits until `release()`: its run stays open meanwhile. */
async function holdRunOpen(handler: OpenTelemetryCallbackHandler): Promise<{ held: Promise<unknown>; release: () => void }> {
  let release = () => {};
  let started = () => {};
  const bodyStarted = new Promise<void>((resolve) => (started = resolve));
  const body = () =>
    new Promise<void>((resolve) => {
      release = resolve;
      started();
    });
  const held = RunnableLambda.from(body).invoke(undefined, { callbacks: [handler] });
  await bodyStarted;
  return { held, release };
}

async function main(): Promise<void> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const handler = new OpenTelemetryCallbackHandler({ tracerProvider: provider });
  const workload = createWorkloads().find((candidate) => candidate.id === "agent-chain")!;
  const runsPerInvocation = 8;
  const insideRun = RunnableLambda.from(async () => timeActive());

  const activeNs: Record<string, number[]> = {};
  const perInvocationUs: Record<string, number[]> = {};
  const record = (table: Record<string, number[]>, key: string, value: number) => (table[key] ??= []).push(value);

  const timeInvocations = async (withHandler: boolean): Promise<number> => {
    const handlers = withHandler ? [handler] : undefined;
    for (let i = 0; i < WARMUP_INVOCATIONS; i++) await workload.invoke(handlers);
    exporter.reset();
    const start = process.hrtime.bigint();
    for (let i = 0; i < INVOCATIONS; i++) await workload.invoke(handlers);
    const us = Number(process.hrtime.bigint() - start) / 1e3 / INVOCATIONS;
    exporter.reset();
    return us;
  };

  for (let round = 0; round < ROUNDS; round++) {
    const kinds: ManagerKind[] = round % 2 === 0 ? ["plain", "bridge"] : ["bridge", "plain"];
    for (const kind of kinds) {
      useManager(kind);
      record(activeNs, `${kind} idle`, timeActive());
      const { held, release } = await holdRunOpen(handler);
      record(activeNs, `${kind} outside`, timeActive());
      release();
      await held;
      record(activeNs, `${kind} inside`, await insideRun.invoke(undefined, { callbacks: [handler] }));
      record(perInvocationUs, `${kind} none`, await timeInvocations(false));
      record(perInvocationUs, `${kind} ours`, await timeInvocations(true));
    }
    console.log(`[bridge] round ${round + 1}/${ROUNDS} done`);
  }

  const m = (table: Record<string, number[]>, key: string) => median(table[key] ?? []);
  const overheadPerRun = (kind: ManagerKind) => (m(perInvocationUs, `${kind} ours`) - m(perInvocationUs, `${kind} none`)) / runsPerInvocation;
  const lines = [
    `context.active(), ns per call (median of ${ROUNDS} rounds × ${ACTIVE_CALLS} calls):`,
    `  no run open:      plain ${fixed(m(activeNs, "plain idle"))}  bridge ${fixed(m(activeNs, "bridge idle"))}  ratio ${fixed(ratio(m(activeNs, "bridge idle"), m(activeNs, "plain idle")), 2)}`,
    `  outside any run:  plain ${fixed(m(activeNs, "plain outside"))}  bridge ${fixed(m(activeNs, "bridge outside"))}  ratio ${fixed(ratio(m(activeNs, "bridge outside"), m(activeNs, "plain outside")), 2)}`,
    `  inside a run:     plain ${fixed(m(activeNs, "plain inside"))}  bridge ${fixed(m(activeNs, "bridge inside"))}  ratio ${fixed(ratio(m(activeNs, "bridge inside"), m(activeNs, "plain inside")), 2)}`,
    `agent-like chain (${runsPerInvocation} runs), µs per invocation (median of ${ROUNDS} rounds × ${INVOCATIONS}):`,
    `  no handler:       plain ${fixed(m(perInvocationUs, "plain none"))}  bridge ${fixed(m(perInvocationUs, "bridge none"))}  ratio ${fixed(ratio(m(perInvocationUs, "bridge none"), m(perInvocationUs, "plain none")), 2)}`,
    `  handler, per run: plain ${fixed(overheadPerRun("plain"))}  bridge ${fixed(overheadPerRun("bridge"))}  ratio ${fixed(ratio(overheadPerRun("bridge"), overheadPerRun("plain")), 2)}`,
  ];
  console.log(lines.join("\n"));
  if (handler.openRunCount !== 0) throw new Error(`${handler.openRunCount} runs left open`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
