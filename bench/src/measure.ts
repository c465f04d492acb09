// The bench's measurements. Each takes the shared context and returns plain figures; the
// report turns them into tables.
import type { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { awaitAllCallbacks } from "@langchain/core/callbacks/promises";
import type { InMemorySpanExporter, ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { assertCallbackManagerPristine, type Configuration } from "./configurations.js";
import { durationMs, handlerSpans, startEpochMs, underRequestSpan, type TracingPipeline } from "./otel.js";
import {
  expectedRunTree,
  isCorrect,
  judgeTrace,
  runIdParentMismatches,
  summariseJudgements,
  type ExpectedRunTree,
  type TraceJudgement,
} from "./run-tree.js";
import { RunTreeRecorder } from "../../test/support/run-recorder.js";
import type { IsolatedSettings } from "./isolated.js";
import type { ScaleSettings } from "./scale.js";
import type { WireSettings } from "./wire.js";
import { rotate } from "./stats.js";
import { createSleepStep, SLEEP_STEP_NAME, type Handlers, type Workload } from "./workloads.js";

export interface BenchSettings {
  smoke: boolean;
  /** Interleaved rounds; each round runs every configuration once, starting from a different one. */
  rounds: number;
  warmupInvocations: number;
  /** Invocations per configuration, workload and round, by workload id. */
  invocationsPerRound: Record<string, number>;
  nestingInvocations: number;
  parallelInvocations: number;
  fidelityProbes: number;
  fidelityLoadInvocations: number;
  heapBlockInvocations: number;
  /** Workload for the timing-under-load and heap measurements. */
  loadWorkloadId: string;
  wire: WireSettings;
  scale: ScaleSettings;
  isolated: IsolatedSettings;
}

export interface BenchContext {
  pipeline: TracingPipeline;
  configurations: Configuration[];
  workloads: Workload[];
  settings: BenchSettings;
  log(message: string): void;
}

/** Span-making and not sampled down: every run of an invocation should have its span. */
function recordsEverySpan(configuration: Configuration): boolean {
  return configuration.makesSpans && configuration.sampler === undefined;
}

/** Key of a (configuration, workload) pair in result maps. */
export function pairKey(configurationId: string, workloadId: string): string {
  return `${configurationId}/${workloadId}`;
}

function forceGc(): void {
  if (globalThis.gc === undefined) throw new Error("run node with --expose-gc");
  globalThis.gc();
}

/** Waits until LangChain's background callback queue is empty (a no-op for awaited handlers). */
const drainCallbacks = (): Promise<void> => awaitAllCallbacks();

export async function withConfiguration<T>(configuration: Configuration, work: () => Promise<T>): Promise<T> {
  configuration.attach();
  try {
    return await work();
  } finally {
    configuration.detach();
    assertCallbackManagerPristine();
  }
}

/** A fresh array each call: one peer pushes its tracer into the array it is given. */
function handlersWith(configuration: Configuration, extra: BaseCallbackHandler): Handlers {
  return [...(configuration.handlers ?? []), extra];
}

export function workloadById(context: BenchContext, id: string): Workload {
  const workload = context.workloads.find((candidate) => candidate.id === id);
  if (workload === undefined) throw new Error(`no workload ${id}`);
  return workload;
}

/** Records each workload's run tree twice, with nothing else attached, and checks it is deterministic. */
export async function recordExpectedRunTrees(workloads: readonly Workload[]): Promise<Map<string, ExpectedRunTree>> {
  const trees = new Map<string, ExpectedRunTree>();
  for (const workload of workloads) {
    const [first, second] = [new RunTreeRecorder(), new RunTreeRecorder()];
    await workload.invoke([first]);
    await workload.invoke([second]);
    const tree = expectedRunTree(first.runs);
    if (tree.shape !== expectedRunTree(second.runs).shape) throw new Error(`workload ${workload.id} has a run tree that changes between invocations`);
    trees.set(workload.id, tree);
  }
  return trees;
}

export interface ThroughputResult {
  /** Wall-clock µs per invocation, one value per round. */
  wallUsPerInvocation: number[];
  /**
   * CPU µs (user + system, all threads of the process) per invocation, one value per round.
   * The workloads never wait on I/O or timers, so CPU time is their cost; unlike wall time it
   * does not count time the process waited for a core that other processes held.
   */
  cpuUsPerInvocation: number[];
  spansPerInvocation: number;
}

async function timeInvocations(configuration: Configuration, workload: Workload, count: number): Promise<{ wallUs: number; cpuUs: number }> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < count; i += 1) await workload.invoke(configuration.handlers);
  // Background handlers do their work later; the drain puts it inside the measured time.
  await drainCallbacks();
  const wallUs = ((performance.now() - started) * 1000) / count;
  const cpu = process.cpuUsage(cpuBefore);
  return { wallUs, cpuUs: (cpu.user + cpu.system) / count };
}

/** µs per invocation of every configuration and workload, rounds interleaved. */
export async function measureThroughput(context: BenchContext): Promise<Map<string, ThroughputResult>> {
  const { configurations, workloads, settings, pipeline } = context;
  const results = new Map<string, ThroughputResult>();
  context.log(`warm-up: ${settings.warmupInvocations} invocations per configuration and workload`);
  for (const configuration of configurations) {
    await withConfiguration(configuration, async () => {
      for (const workload of workloads) await timeInvocations(configuration, workload, settings.warmupInvocations);
    });
    pipeline.exporter.reset();
  }
  for (let round = 0; round < settings.rounds; round += 1) {
    const started = performance.now();
    // Workload by workload, every configuration in turn: each configuration's block sits
    // close in time to the no-handler block it is compared with.
    for (const workload of workloads) {
      const count = settings.invocationsPerRound[workload.id] ?? 1;
      for (const configuration of rotate(configurations, round)) {
        await withConfiguration(configuration, async () => {
          pipeline.exporter.reset();
          forceGc();
          const { wallUs, cpuUs } = await timeInvocations(configuration, workload, count);
          const result = results.get(pairKey(configuration.id, workload.id)) ?? { wallUsPerInvocation: [], cpuUsPerInvocation: [], spansPerInvocation: 0 };
          result.wallUsPerInvocation.push(wallUs);
          result.cpuUsPerInvocation.push(cpuUs);
          result.spansPerInvocation = handlerSpans(pipeline.exporter).length / count;
          results.set(pairKey(configuration.id, workload.id), result);
        });
      }
    }
    pipeline.exporter.reset();
    context.log(`round ${round + 1}/${settings.rounds} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return results;
}

export interface NestingResult {
  /** Summary of the sequential invocations' traces ("nested", "flat", "wrong 3/20", ...). */
  sequential: string;
  sequentialCorrect: boolean;
  parallelCorrect: number;
  parallelTotal: number;
  parallel: string;
  /** Fewest runs a second handler attached alongside saw in one invocation (expected: all). */
  runsSeenByOtherHandlers: number;
  /** Spans carrying langchain.run.id whose parent is not their parent run's span. */
  runIdParentMismatches: number;
}

interface TracedInvocation {
  requestSpanId: string;
  traceId: string;
  recorder: RunTreeRecorder;
}

/**
 * Runs `count` invocations, each under its own request span, sequentially or all at once,
 * with a run-tree recorder riding along; judges each invocation's trace.
 */
async function traceInvocations(
  context: BenchContext,
  configuration: Configuration,
  workload: Workload,
  expected: ExpectedRunTree,
  count: number,
  concurrently: boolean,
): Promise<{ judgements: TraceJudgement[]; fewestRunsSeen: number; mismatches: number }> {
  const { pipeline } = context;
  pipeline.exporter.reset();
  const invoke = (index: number): Promise<TracedInvocation> => {
    const recorder = new RunTreeRecorder();
    return underRequestSpan(pipeline.provider, `request ${index}`, async (requestSpan) => {
      await workload.invoke(handlersWith(configuration, recorder));
      return { requestSpanId: requestSpan.spanContext().spanId, traceId: requestSpan.spanContext().traceId, recorder };
    });
  };
  const invocations: TracedInvocation[] = [];
  if (concurrently) invocations.push(...(await Promise.all(Array.from({ length: count }, (_, index) => invoke(index)))));
  else for (let index = 0; index < count; index += 1) invocations.push(await invoke(index));
  await drainCallbacks();
  const spansByTrace = new Map<string, ReadableSpan[]>();
  for (const span of handlerSpans(pipeline.exporter)) {
    const traceId = span.spanContext().traceId;
    spansByTrace.set(traceId, [...(spansByTrace.get(traceId) ?? []), span]);
  }
  let mismatches = 0;
  const judgements = invocations.map(({ requestSpanId, traceId, recorder }) => {
    const spans = spansByTrace.get(traceId) ?? [];
    mismatches += runIdParentMismatches(spans, recorder.runs, requestSpanId);
    return judgeTrace(spans, requestSpanId, expected);
  });
  const fewestRunsSeen = Math.min(...invocations.map(({ recorder }) => recorder.runs.length));
  pipeline.exporter.reset();
  return { judgements, fewestRunsSeen, mismatches };
}

/** Nesting of sequential invocations and correctness of concurrent ones, per span-making configuration and workload. */
export async function checkNesting(context: BenchContext, expectedTrees: Map<string, ExpectedRunTree>): Promise<Map<string, NestingResult>> {
  const { configurations, workloads, settings } = context;
  const results = new Map<string, NestingResult>();
  for (const configuration of configurations.filter(recordsEverySpan)) {
    await withConfiguration(configuration, async () => {
      for (const workload of workloads) {
        const expected = expectedTrees.get(workload.id)!;
        const sequential = await traceInvocations(context, configuration, workload, expected, settings.nestingInvocations, false);
        const parallel = await traceInvocations(context, configuration, workload, expected, settings.parallelInvocations, true);
        results.set(pairKey(configuration.id, workload.id), {
          sequential: summariseJudgements(sequential.judgements),
          sequentialCorrect: sequential.judgements.every(isCorrect),
          parallelCorrect: parallel.judgements.filter(isCorrect).length,
          parallelTotal: parallel.judgements.length,
          parallel: summariseJudgements(parallel.judgements),
          runsSeenByOtherHandlers: Math.min(sequential.fewestRunsSeen, parallel.fewestRunsSeen),
          runIdParentMismatches: sequential.mismatches + parallel.mismatches,
        });
      }
    });
    context.log(`nesting checked: ${configuration.id}`);
  }
  return results;
}

export interface FidelityResult {
  /** Recorded span duration minus the run's true duration, ms, one per probe. */
  aloneErrorMs: number[];
  loadErrorMs: number[];
  /** Span start minus the run's true start, ms. */
  aloneStartOffsetMs: number[];
  loadStartOffsetMs: number[];
  /** The run's true duration minus the step's own code duration: event-loop wait inside the run, ms. */
  loadRunMinusCodeMs: number[];
  missingProbes: number;
}

function findProbeSpan(spans: readonly ReadableSpan[]): ReadableSpan | undefined {
  return spans.find(
    (span) =>
      span.name.includes(SLEEP_STEP_NAME) ||
      Object.values(span.attributes).some((value) => typeof value === "string" && value.includes(SLEEP_STEP_NAME)),
  );
}

/**
 * Recorded duration of a 50 ms step against its true duration, alone and among concurrent
 * load. Truth is taken by an awaited RunTreeRecorder riding along: LangChain calls it the
 * moment the run starts and ends, so its timestamps are the run's boundaries (under load
 * they include event-loop waits inside the run, which the step's own code does not see).
 */
export async function measureTimingFidelity(context: BenchContext): Promise<Map<string, FidelityResult>> {
  const { configurations, settings, pipeline } = context;
  const sleepStep = createSleepStep();
  const loadWorkload = workloadById(context, settings.loadWorkloadId);
  const results = new Map<string, FidelityResult>();
  for (const configuration of configurations.filter(recordsEverySpan)) {
    const result: FidelityResult = {
      aloneErrorMs: [],
      loadErrorMs: [],
      aloneStartOffsetMs: [],
      loadStartOffsetMs: [],
      loadRunMinusCodeMs: [],
      missingProbes: 0,
    };
    await withConfiguration(configuration, async () => {
      for (const underLoad of [false, true]) {
        for (let probe = 0; probe < settings.fidelityProbes; probe += 1) {
          pipeline.exporter.reset();
          const load = underLoad
            ? Array.from({ length: settings.fidelityLoadInvocations }, (_, index) =>
                underRequestSpan(pipeline.provider, `load ${index}`, () => loadWorkload.invoke(configuration.handlers)),
              )
            : [];
          const truth = new RunTreeRecorder();
          const code = await underRequestSpan(pipeline.provider, "probe", () => sleepStep.invoke(handlersWith(configuration, truth)));
          await Promise.all(load);
          await drainCallbacks();
          const span = findProbeSpan(handlerSpans(pipeline.exporter));
          const run = truth.runs.find((candidate) => candidate.name === SLEEP_STEP_NAME);
          if (span === undefined || run === undefined) {
            result.missingProbes += 1;
            continue;
          }
          const trueDurationMs = run.endedAtMs - run.startedAtMs;
          (underLoad ? result.loadErrorMs : result.aloneErrorMs).push(durationMs(span) - trueDurationMs);
          (underLoad ? result.loadStartOffsetMs : result.aloneStartOffsetMs).push(startEpochMs(span) - run.startedAtMs);
          if (underLoad) result.loadRunMinusCodeMs.push(trueDurationMs - code.durationMs);
        }
      }
    });
    pipeline.exporter.reset();
    results.set(configuration.id, result);
    context.log(`timing fidelity measured: ${configuration.id}`);
  }
  return results;
}

/**
 * Long sequences of invocations (heap blocks, profiles, isolated runs): finished spans would
 * pile up in the in-memory exporter, so it is emptied every 1,000 invocations, as a real
 * exporter would empty its queue.
 */
export async function runInvocations(workload: Workload, handlers: Handlers, count: number, exporter: InMemorySpanExporter): Promise<void> {
  for (let i = 1; i <= count; i += 1) {
    await workload.invoke(handlers);
    if (i % 1000 === 0) {
      await drainCallbacks();
      exporter.reset();
    }
  }
  await drainCallbacks();
  exporter.reset();
}

export interface HeapResult {
  block1Bytes: number;
  block2Bytes: number;
  openRunsAfterDrain: number | undefined;
}

async function settledHeapUsed(): Promise<number> {
  for (let pass = 0; pass < 3; pass += 1) {
    forceGc();
    await nextMacrotask();
  }
  return process.memoryUsage().heapUsed;
}

/** Heap growth over two blocks of invocations after forced GC; the second block should not grow. */
export async function measureHeapGrowth(context: BenchContext): Promise<Map<string, HeapResult>> {
  const { configurations, settings, pipeline } = context;
  const workload = workloadById(context, settings.loadWorkloadId);
  const runBlock = (configuration: Configuration, count: number): Promise<void> =>
    runInvocations(workload, configuration.handlers, count, pipeline.exporter);
  const results = new Map<string, HeapResult>();
  for (const configuration of configurations) {
    await withConfiguration(configuration, async () => {
      // A short warm-up first, so one-time allocations (JIT, caches) fall outside both blocks.
      await runBlock(configuration, Math.ceil(settings.heapBlockInvocations / 10));
      const before = await settledHeapUsed();
      await runBlock(configuration, settings.heapBlockInvocations);
      const afterFirst = await settledHeapUsed();
      await runBlock(configuration, settings.heapBlockInvocations);
      const afterSecond = await settledHeapUsed();
      results.set(configuration.id, {
        block1Bytes: afterFirst - before,
        block2Bytes: afterSecond - afterFirst,
        openRunsAfterDrain: configuration.openRunCount(),
      });
    });
    context.log(`heap measured: ${configuration.id}`);
  }
  return results;
}
