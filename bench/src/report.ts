// Turns the measurements into bench/results.md and the closing console summary.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import type { Configuration } from "./configurations.js";
import { pairKey, type BenchSettings, type FidelityResult, type HeapResult, type NestingResult, type ThroughputResult } from "./measure.js";
import type { IsolatedResult } from "./isolated.js";
import type { ScaleResult } from "./scale.js";
import type { WireResult } from "./wire.js";
import type { ExpectedRunTree } from "./run-tree.js";
import { BENCH_ROOT, packageRootFrom, PEER_PACKAGES, REPO_ROOT } from "./singletons.js";
import { fixed, max, median, medianRange, ratio } from "./stats.js";
import type { Workload } from "./workloads.js";

/** Targets the project quotes; the report marks each figure against them. */
export const TARGETS = {
  oursOverFloor: 1.3,
  oursWithoutContentOverFloor: 1.1,
  /** A run no sampler records costs about what LangChain's callback machinery costs anyway. */
  neverSampledOverNoop: 1.2,
  /** At a 10% ratio, ours costs at most a quarter of what it costs recording everything. */
  ratioSampledOverOurs: 0.25,
  oursOverCheapestNestingPeer: 0.5,
  durationErrorUnderLoadMs: 2,
  /** "No growth" in the second heap block: below this, growth is GC noise (about 50 B per invocation at 10,000). */
  secondBlockGrowthBytes: 512 * 1024,
  /** No more bytes per trace than OpenInference writes for the same work, carrying both conventions. */
  oursBytesOverOpenInference: 1,
} as const;

export interface BenchResults {
  settings: BenchSettings;
  startedAt: Date;
  elapsedSeconds: number;
  loadAverageAtStart: number[];
  configurations: Configuration[];
  workloads: Workload[];
  expectedTrees: Map<string, ExpectedRunTree>;
  throughput: Map<string, ThroughputResult>;
  nesting: Map<string, NestingResult>;
  fidelity: Map<string, FidelityResult>;
  heap: Map<string, HeapResult>;
  /** OTLP/protobuf bytes, by configuration/workload (the one-convention configurations included). */
  wire: Map<string, WireResult>;
  wireConfigurations: Configuration[];
  scale: Map<string, ScaleResult>;
  isolated: Map<string, IsolatedResult>;
}

interface KeyRatio {
  label: string;
  value: string;
  verdict: "pass" | "FAIL" | "info";
}

function packageVersion(name: string, fromDir: string): string {
  try {
    return (JSON.parse(readFileSync(join(packageRootFrom(fromDir, name), "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
}

function gitDescription(): string {
  const git = (...args: string[]): string => execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  let commit: string;
  try {
    commit = git("rev-parse", "--short", "HEAD");
  } catch {
    commit = "no commit yet";
  }
  let dirty = "";
  try {
    dirty = git("status", "--porcelain", "--", "src") === "" ? "" : ", src/ has uncommitted changes";
  } catch {
    dirty = "";
  }
  return `${commit}${dirty}`;
}

type Clock = "wall" | "cpu";

/**
 * Per-round overhead per run over a baseline configuration, "no handler" unless told
 * (rounds are interleaved, so each round is paired with the baseline's same round).
 */
function overheadPerRun(results: BenchResults, configurationId: string, workloadId: string, baselineId = "none", clock: Clock = "wall"): number[] {
  const runs = results.expectedTrees.get(workloadId)?.runCount ?? Number.NaN;
  const perInvocation = (id: string): number[] => {
    const throughput = results.throughput.get(pairKey(id, workloadId));
    return (clock === "wall" ? throughput?.wallUsPerInvocation : throughput?.cpuUsPerInvocation) ?? [];
  };
  return pairedOverheadPerRun(perInvocation(configurationId), perInvocation(baselineId), runs);
}

/** (measured − baseline of the same round or repeat) ÷ runs, round by round. */
function pairedOverheadPerRun(measured: readonly number[], baseline: readonly number[], runs: number): number[] {
  return measured.map((us, index) => (us - (baseline[index] ?? Number.NaN)) / runs);
}

/** Overhead per run, repeat by repeat, of a configuration run alone in its own process. */
function isolatedOverheadPerRun(results: BenchResults, configurationId: string, workloadId: string): number[] {
  const runs = results.expectedTrees.get(workloadId)?.runCount ?? Number.NaN;
  const series = (id: string): number[] => results.isolated.get(pairKey(id, workloadId))?.wallUsPerInvocation ?? [];
  return pairedOverheadPerRun(series(configurationId), series("none"), runs);
}

function medianOverhead(results: BenchResults, configurationId: string, workloadId: string, clock: Clock = "wall"): number {
  return median(overheadPerRun(results, configurationId, workloadId, "none", clock));
}

/** The correctly nesting peer with the lowest overhead on a workload, if any. */
function cheapestNestingPeer(results: BenchResults, workloadId: string): { configuration: Configuration; overhead: number } | undefined {
  return results.configurations
    .filter((configuration) => configuration.role === "peer" && results.nesting.get(pairKey(configuration.id, workloadId))?.sequentialCorrect)
    .map((configuration) => ({ configuration, overhead: medianOverhead(results, configuration.id, workloadId) }))
    .sort((a, b) => a.overhead - b.overhead)[0];
}

export function keyRatios(results: BenchResults): KeyRatio[] {
  // Smoke counts are too small for figures to mean anything: nothing is judged.
  const targetVerdict = (pass: boolean): KeyRatio["verdict"] => (results.settings.smoke ? "info" : pass ? "pass" : "FAIL");
  const ratios: KeyRatio[] = [];
  for (const workload of results.workloads) {
    const ours = medianOverhead(results, "ours", workload.id);
    const floor = medianOverhead(results, "floor", workload.id);
    const floorBackground = medianOverhead(results, "floor-bg", workload.id);
    const oursOverFloor = ratio(ours, floor);
    const primary = workload.id === results.settings.loadWorkloadId || workload.id === "langgraph-agent";
    ratios.push({
      label: `${workload.id}: ours ÷ floor (awaited), overhead per run (${fixed(ours)} ÷ ${fixed(floor)} µs)`,
      value: `${fixed(oursOverFloor, 2)}×`,
      verdict: primary ? targetVerdict(oursOverFloor <= TARGETS.oursOverFloor) : "info",
    });
    const oursCpu = medianOverhead(results, "ours", workload.id, "cpu");
    const floorCpu = medianOverhead(results, "floor", workload.id, "cpu");
    ratios.push({
      label: `${workload.id}: the same in CPU time, cross-check (${fixed(oursCpu)} ÷ ${fixed(floorCpu)} CPU µs)`,
      value: `${fixed(ratio(oursCpu, floorCpu), 2)}×`,
      verdict: "info",
    });
    ratios.push({
      label: `${workload.id}: ours ÷ floor (background) (${fixed(ours)} ÷ ${fixed(floorBackground)} µs)`,
      value: `${fixed(ratio(ours, floorBackground), 2)}×`,
      verdict: "info",
    });
    const oursWithMetrics = medianOverhead(results, "ours-metrics", workload.id);
    ratios.push({
      label: `${workload.id}: ours with metrics on ÷ ours (metrics off) (${fixed(oursWithMetrics)} ÷ ${fixed(ours)} µs)`,
      value: `${fixed(ratio(oursWithMetrics, ours), 2)}×`,
      verdict: "info",
    });
    const oursWithoutContent = medianOverhead(results, "ours-no-content", workload.id);
    ratios.push({
      label: `${workload.id}: ours (captureContent: false) ÷ floor (awaited) (${fixed(oursWithoutContent)} ÷ ${fixed(floor)} µs)`,
      value: `${fixed(ratio(oursWithoutContent, floor), 2)}×`,
      verdict: primary ? targetVerdict(ratio(oursWithoutContent, floor) <= TARGETS.oursWithoutContentOverFloor) : "info",
    });
    // What writing each thing once would save: the same content in one convention only.
    for (const convention of primary ? (["gen_ai", "openinference"] as const) : []) {
      const oneConvention = medianOverhead(results, `ours-${convention}-only`, workload.id);
      ratios.push({
        label: `${workload.id}: ours with ${convention} content only (contentConventions) ÷ floor (awaited) (${fixed(oneConvention)} ÷ ${fixed(floor)} µs)`,
        value: `${fixed(ratio(oneConvention, floor), 2)}×`,
        verdict: "info",
      });
    }
    const noop = medianOverhead(results, "noop", workload.id);
    const neverSampled = medianOverhead(results, "ours-always-off", workload.id);
    ratios.push({
      label: `${workload.id}: ours, AlwaysOffSampler ÷ no-op awaited handler (${fixed(neverSampled)} ÷ ${fixed(noop)} µs)`,
      value: `${fixed(ratio(neverSampled, noop), 2)}×`,
      verdict: primary ? targetVerdict(ratio(neverSampled, noop) <= TARGETS.neverSampledOverNoop) : "info",
    });
    const ratioSampled = medianOverhead(results, "ours-ratio", workload.id);
    const handlerOwn = (id: string): number => median(overheadPerRun(results, id, workload.id, "noop"));
    ratios.push({
      label: `${workload.id}: ours, ParentBased(TraceIdRatioBased(0.1)) ÷ ours recording all, handler's own cost over no-op (${fixed(handlerOwn("ours-ratio"))} ÷ ${fixed(handlerOwn("ours"))} µs; over no handler ${fixed(ratioSampled)} ÷ ${fixed(ours)} µs)`,
      value: `${fixed(ratio(handlerOwn("ours-ratio"), handlerOwn("ours")), 2)}×`,
      verdict: primary ? targetVerdict(ratio(handlerOwn("ours-ratio"), handlerOwn("ours")) <= TARGETS.ratioSampledOverOurs) : "info",
    });
    const peer = cheapestNestingPeer(results, workload.id);
    const oursOverPeer = peer === undefined ? Number.NaN : ratio(ours, peer.overhead);
    ratios.push({
      label:
        peer === undefined
          ? `${workload.id}: ours ÷ cheapest correctly nesting peer (none nests correctly)`
          : `${workload.id}: ours ÷ cheapest correctly nesting peer, ${peer.configuration.id} (${fixed(ours)} ÷ ${fixed(peer.overhead)} µs)`,
      value: peer === undefined ? "n/a" : `${fixed(oursOverPeer, 2)}×`,
      verdict: peer === undefined || !primary ? "info" : targetVerdict(oursOverPeer <= TARGETS.oursOverCheapestNestingPeer),
    });
  }
  for (const workloadId of results.settings.isolated.workloadIds) {
    const ours = median(isolatedOverheadPerRun(results, "ours", workloadId));
    const floor = median(isolatedOverheadPerRun(results, "floor", workloadId));
    ratios.push({
      label: `${workloadId}, each alone in its own process (cross-check): ours ÷ floor (${fixed(ours)} ÷ ${fixed(floor)} µs)`,
      value: `${fixed(ratio(ours, floor), 2)}×`,
      verdict: targetVerdict(ratio(ours, floor) <= TARGETS.oursOverFloor),
    });
  }
  for (const workloadId of results.settings.wire.workloadIds) {
    const ours = results.wire.get(pairKey("ours", workloadId));
    const openInference = results.wire.get(pairKey("openinference", workloadId));
    if (ours === undefined || openInference === undefined) continue;
    const bytesRatio = ratio(ours.bytes / ours.invocations, openInference.bytes / openInference.invocations);
    ratios.push({
      label: `${workloadId}: ours ÷ OpenInference, OTLP/protobuf bytes per trace (${fixed(ours.bytes / ours.invocations, 0)} ÷ ${fixed(openInference.bytes / openInference.invocations, 0)} B)`,
      value: `${fixed(bytesRatio, 2)}×`,
      verdict: targetVerdict(bytesRatio <= TARGETS.oursBytesOverOpenInference),
    });
  }
  const fidelity = results.fidelity.get("ours");
  if (fidelity !== undefined) {
    const worstUnderLoad = max(fidelity.loadErrorMs.map(Math.abs));
    const found = fidelity.missingProbes === 0;
    ratios.push({
      label: `ours: worst |recorded − true| of the 50 ms step under load (${results.settings.fidelityLoadInvocations} concurrent invocations)`,
      value: found ? `${fixed(worstUnderLoad, 2)} ms` : `${fidelity.missingProbes} probe span(s) missing`,
      verdict: targetVerdict(found && worstUnderLoad <= TARGETS.durationErrorUnderLoadMs),
    });
  }
  const heap = results.heap.get("ours");
  if (heap !== undefined) {
    ratios.push({
      label: `ours: heap growth in the second block of ${results.settings.heapBlockInvocations} invocations (open runs after drain: ${heap.openRunsAfterDrain ?? "n/a"})`,
      value: `${fixed(heap.block2Bytes / 1024)} KiB`,
      verdict: targetVerdict(heap.block2Bytes <= TARGETS.secondBlockGrowthBytes && heap.openRunsAfterDrain === 0),
    });
  }
  const nesting = results.workloads.map((workload) => results.nesting.get(pairKey("ours", workload.id)));
  ratios.push({
    label: `ours: nesting on every workload; ${results.settings.parallelInvocations} parallel requests give correct traces`,
    value: nesting.map((result) => `${result?.sequential ?? "n/a"}, ${result?.parallelCorrect ?? 0}/${result?.parallelTotal ?? 0}`).join("; "),
    verdict: targetVerdict(nesting.every((result) => result?.sequentialCorrect && result.parallelCorrect === result.parallelTotal)),
  });
  return ratios;
}

function machineLines(results: BenchResults): string[] {
  const cpuList = cpus();
  const loadAtEnd = loadavg();
  const version = (name: string, fromDir = REPO_ROOT): string => `${name} ${packageVersion(name, fromDir)}`;
  return [
    `- Date: ${results.startedAt.toISOString()} (${results.settings.smoke ? "SMOKE run: tiny counts, figures meaningless" : "full run"}, ${fixed(results.elapsedSeconds, 0)} s)`,
    `- Machine: ${cpuList[0]?.model ?? "unknown CPU"}, ${cpuList.length} cores, ${fixed(totalmem() / 2 ** 30, 0)} GiB; load average (1/5/15 min) at start ${results.loadAverageAtStart.map((load) => fixed(load, 2)).join("/")}, at end ${loadAtEnd.map((load) => fixed(load, 2)).join("/")}`,
    `- Node ${process.version}; ${[
      "@langchain/core",
      "@langchain/langgraph",
      "@opentelemetry/api",
      "@opentelemetry/sdk-trace-base",
      "@opentelemetry/context-async-hooks",
    ]
      .map((name) => version(name))
      .join(", ")}`,
    `- Peers: ${PEER_PACKAGES.map((name) => version(name, BENCH_ROOT)).join(", ")}`,
    `- langchain-otel ${readOwnVersion()} as built (dist/esm by npm run build), git ${gitDescription()}`,
  ];
}

function readOwnVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

function methodLines(results: BenchResults): string[] {
  const { settings } = results;
  const counts = results.workloads.map((workload) => `${workload.id} ${settings.invocationsPerRound[workload.id]}`).join(", ");
  return [
    `- One process; ${settings.rounds} interleaved rounds; in each, workload by workload, every configuration runs once (the starting configuration rotates each round): ${counts} sequential invocations after a forced GC, then draining LangChain's background callback queue inside the timed span (so work a background handler defers is counted). Warm-up: ${settings.warmupInvocations} invocations per pair first.`,
    "- µs per invocation is wall-clock time (the workloads never wait on I/O or timers); median (min–max) over rounds. Overhead per run, and every ratio, uses it: per round, (µs − µs of no handler in the same round) ÷ runs per invocation; median (min–max). CPU µs per invocation (`process.cpuUsage()`, all threads: it includes V8's concurrent GC and compiler threads, so it runs above wall time) is shown as a cross-check that is less sensitive to other processes holding the cores.",
    "- Every span-making configuration exports through one `BasicTracerProvider` → `SimpleSpanProcessor` → `InMemorySpanExporter` (cleared between rounds). Simple, not Batch: export cost stays inside the measured invocation, and no span is dropped when 200 invocations run at once. Context: `AsyncLocalStorageContextManager` registered globally.",
    "- Floor: `SpanPerRunReferenceHandler` (bench/src/reference-handler.ts), a `Map<runId, Span>` handler (parent = parent run's span via `trace.setSpan`, root = `context.active()`, no attributes), measured awaited (`_awaitHandler: true`, as ours) and in LangChain's default background mode. No-op: a `BaseCallbackHandler` with no methods, awaited.",
    "- Peers: Langfuse passed in `callbacks`, its OTel tracer provider set to the shared one (`setLangfuseTracerProvider`), nothing sent over the network. OpenInference: `manuallyInstrument(CallbackManagerModule)` before its rounds, its `unpatch` after. OpenLLMetry patches `CallbackManager._configureSync` in its constructor and has no unpatch: the bench keeps its patched function and swaps it in before and out after its rounds. After every configuration the bench checks `_configureSync` is LangChain's own again, so patching peers never leak into other rounds.",
    `- Nesting: ${settings.nestingInvocations} sequential invocations, each under its own active request span, and ${settings.parallelInvocations} concurrent ones. A trace is right when the handler's spans form one tree under its own request span with the shape of the LangChain run tree (recorded by a run-tree recorder; names are not compared, as each tracer names spans differently). "flat": every span has no handler parent. "nested (hidden runs omitted)": right once LangGraph's \`langsmith:hidden\` runs are left out. Spans with \`langchain.run.id\` are also checked one by one against the recorded parent run.`,
    `- Timing fidelity: a RunnableLambda run that sleeps 50 ms, ${settings.fidelityProbes} probes alone and ${settings.fidelityProbes} among ${settings.fidelityLoadInvocations} concurrent ${settings.loadWorkloadId} invocations traced by the same configuration (each under its own request span).`,
    `- Heap: ${settings.loadWorkloadId} workload, a warm-up block of ${Math.ceil(settings.heapBlockInvocations / 10)}, then two blocks of ${settings.heapBlockInvocations}; \`heapUsed\` after three forced GCs before and after each block; the exporter is emptied every 1,000 invocations.`,
  ];
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((row) => `| ${row.join(" | ")} |`)];
}

function throughputTable(results: BenchResults, workload: Workload): string[] {
  const floor = medianOverhead(results, "floor", workload.id);
  const ours = medianOverhead(results, "ours", workload.id);
  const tree = results.expectedTrees.get(workload.id)!;
  const rows = results.configurations.map((configuration) => {
    const throughput = results.throughput.get(pairKey(configuration.id, workload.id));
    const nesting = results.nesting.get(pairKey(configuration.id, workload.id));
    const overhead = overheadPerRun(results, configuration.id, workload.id);
    const isBaseline = configuration.id === "none";
    return [
      configuration.label,
      configuration.callbackMode,
      medianRange(throughput?.wallUsPerInvocation ?? []),
      medianRange(throughput?.cpuUsPerInvocation ?? []),
      isBaseline ? "—" : medianRange(overhead),
      configuration.makesSpans ? medianRange(overheadPerRun(results, configuration.id, workload.id, "noop")) : "—",
      configuration.makesSpans ? `${fixed(ratio(median(overhead), floor), 2)}×` : "—",
      configuration.makesSpans && configuration.id !== "ours" ? `${fixed(ratio(ours, median(overhead)), 2)}×` : "—",
      configuration.makesSpans ? fixed(throughput?.spansPerInvocation ?? Number.NaN, 1) : "—",
      nesting === undefined ? "—" : nesting.sequential,
      nesting === undefined ? "—" : `${nesting.parallelCorrect}/${nesting.parallelTotal}${nesting.parallelCorrect === nesting.parallelTotal ? "" : ` (${nesting.parallel})`}`,
      nesting === undefined ? "—" : `${nesting.runsSeenByOtherHandlers}/${tree.runCount}`,
    ];
  });
  return [
    `### ${workload.label} (\`${workload.id}\`, ${tree.runCount} runs per invocation${tree.visibleRunCount === tree.runCount ? "" : `, ${tree.visibleRunCount} not hidden`})`,
    "",
    ...table(
      [
        "configuration",
        "callbacks",
        "µs / invocation",
        "CPU µs / invocation",
        "overhead µs / run",
        "handler's own µs / run (over no-op)",
        "× floor",
        "ours ÷ this",
        "spans / invocation",
        "nesting (sequential)",
        "parallel: correct traces",
        "runs other handlers still see",
      ],
      rows,
    ),
    "",
  ];
}

function fidelityTable(results: BenchResults): string[] {
  const describe = (errors: number[], offsets: number[]): string[] =>
    errors.length === 0
      ? ["n/a", "n/a"]
      : [`${fixed(median(errors), 2)} (worst ${fixed(max(errors.map(Math.abs)), 2)})`, `${fixed(median(offsets), 2)} (worst ${fixed(max(offsets.map(Math.abs)), 2)})`];
  const rows = results.configurations
    .filter((configuration) => results.fidelity.has(configuration.id))
    .map((configuration) => {
      const fidelity = results.fidelity.get(configuration.id)!;
      return [
        configuration.label,
        ...describe(fidelity.aloneErrorMs, fidelity.aloneStartOffsetMs),
        ...describe(fidelity.loadErrorMs, fidelity.loadStartOffsetMs),
        fidelity.loadRunMinusCodeMs.length === 0 ? "n/a" : `${fixed(median(fidelity.loadRunMinusCodeMs), 2)} (worst ${fixed(max(fidelity.loadRunMinusCodeMs), 2)})`,
        String(fidelity.missingProbes),
      ];
    });
  return table(
    [
      "configuration",
      "alone: duration error ms",
      "alone: start offset ms",
      "under load: duration error ms",
      "under load: start offset ms",
      "under load: run − step code ms",
      "probe spans missing",
    ],
    rows,
  );
}

function heapTable(results: BenchResults): string[] {
  const rows = results.configurations.map((configuration) => {
    const heap = results.heap.get(configuration.id);
    if (heap === undefined) return [configuration.label, "n/a", "n/a", "n/a", "n/a"];
    return [
      configuration.label,
      fixed(heap.block1Bytes / 1024),
      fixed(heap.block2Bytes / 1024),
      fixed(heap.block2Bytes / results.settings.heapBlockInvocations, 1),
      heap.openRunsAfterDrain === undefined ? "not exposed" : String(heap.openRunsAfterDrain),
    ];
  });
  return table(["configuration", "block 1 growth KiB", "block 2 growth KiB", "block 2 B / invocation", "open runs after drain"], rows);
}

function isolatedTables(results: BenchResults): string[] {
  const { isolated } = results.settings;
  return isolated.workloadIds.flatMap((workloadId) => {
    const floor = median(isolatedOverheadPerRun(results, "floor", workloadId));
    const counts = isolated.counts[workloadId];
    const rows = isolated.configurationIds.map((configurationId) => {
      const label = results.configurations.find((configuration) => configuration.id === configurationId)?.label ?? configurationId;
      const overhead = isolatedOverheadPerRun(results, configurationId, workloadId);
      return [
        label,
        medianRange(results.isolated.get(pairKey(configurationId, workloadId))?.wallUsPerInvocation ?? []),
        configurationId === "none" ? "—" : medianRange(overhead),
        configurationId === "none" ? "—" : `${fixed(ratio(median(overhead), floor), 2)}×`,
      ];
    });
    return [
      `### ${workloadId} (${counts?.blocks ?? 0} blocks of ${counts?.blockInvocations ?? 0} after ${counts?.warmup ?? 0} warm-up, per process)`,
      "",
      ...table(["configuration, alone in its process", "µs / invocation", "overhead µs / run", "× floor"], rows),
      "",
    ];
  });
}

function wireTables(results: BenchResults): string[] {
  return results.settings.wire.workloadIds.flatMap((workloadId) => {
    const openInference = results.wire.get(pairKey("openinference", workloadId));
    const perTrace = (wire: WireResult): number => wire.bytes / wire.invocations;
    const rows = results.wireConfigurations
      .filter((configuration) => results.wire.has(pairKey(configuration.id, workloadId)))
      .map((configuration) => {
        const wire = results.wire.get(pairKey(configuration.id, workloadId))!;
        return [
          configuration.label,
          fixed(wire.spans / wire.invocations, 1),
          fixed(perTrace(wire), 0),
          fixed(wire.bytes / wire.spans, 0),
          openInference === undefined ? "n/a" : `${fixed(ratio(perTrace(wire), perTrace(openInference)), 2)}×`,
        ];
      });
    const families = (id: string): string[] => {
      const wire = results.wire.get(pairKey(id, workloadId));
      return (wire?.families ?? []).slice(0, 16).map((family) => `${family.family} ${fixed(family.bytesPerInvocation, 0)} B (${fixed(family.attributesPerInvocation, 1)})`);
    };
    const invocations = results.wire.get(pairKey("ours", workloadId))?.invocations ?? 0;
    return [
      `### ${workloadId} (${invocations} invocations in one export request)`,
      "",
      ...table(["configuration", "spans / trace", "bytes / trace", "bytes / span", "÷ OpenInference"], rows),
      "",
      `Ours, by attribute family, ≈ bytes per trace (attributes per trace): ${families("ours").join("; ")}.`,
      "",
      `Ours with \`captureContent: false\`: ${families("ours-no-content").join("; ")}.`,
      "",
    ];
  });
}

function scaleTable(results: BenchResults): string[] {
  const rows = [...results.scale].map(([workloadId, scale]) => {
    const lastWhole = scale.bursts.filter((burst) => burst.dropped === 0).at(-1);
    const firstDropping = scale.bursts.find((burst) => burst.dropped > 0);
    return [
      workloadId,
      fixed(scale.cpuUsPerRunWithout, 1),
      fixed(scale.cpuUsPerRunWithOurs, 1),
      fixed(scale.recordedRunsPerCoreSecond, 0),
      fixed(scale.runsPerSecondWithOurs, 0),
      `${scale.spansDroppedAtFullSpeed} of ${scale.spansEndedAtFullSpeed}`,
      scale.bursts.map((burst) => `${burst.invocations} (${burst.spans} spans): ${burst.dropped} dropped`).join("; "),
      `${lastWhole === undefined ? "none whole" : `whole up to ${lastWhole.spans} spans`}${firstDropping === undefined ? "" : `, drops from ${firstDropping.spans}`}`,
    ];
  });
  return table(
    [
      "workload",
      "CPU µs / run, no handler",
      "CPU µs / run, ours exporting",
      "runs / s one core can record (1 ÷ difference)",
      "runs / s the process completed",
      "spans dropped at full speed",
      "bursts: invocations started at once",
      "queue (2048)",
    ],
    rows,
  );
}

function treeOutlines(results: BenchResults): string[] {
  return results.workloads.flatMap((workload) => [
    `<details><summary>${workload.id}: run tree as LangChain reports it</summary>`,
    "",
    "```",
    ...(results.expectedTrees.get(workload.id)?.outline ?? []),
    "```",
    "",
    "</details>",
    "",
  ]);
}

export function renderMarkdown(results: BenchResults, ratios: KeyRatio[]): string {
  return [
    "# langchain-otel benchmark results",
    "",
    "Written by `npm run bench` (bench/src/main.ts); see bench/README.md.",
    "",
    ...machineLines(results),
    "",
    "## Key ratios",
    "",
    `Targets: ours ≤ ${TARGETS.oursOverFloor}× the floor's overhead per run and ≤ ${TARGETS.oursOverCheapestNestingPeer}× the cheapest correctly nesting peer's on the agent workloads; recorded durations within ${TARGETS.durationErrorUnderLoadMs} ms of truth under load; no heap growth (≤ ${TARGETS.secondBlockGrowthBytes / 1024} KiB) in the second block.`,
    "",
    ...table(
      ["figure", "value", "target"],
      ratios.map((entry) => [entry.label, entry.value, entry.verdict]),
    ),
    "",
    "## Cost and correctness per workload",
    "",
    "Overhead per run is over no handler (what a user pays); the handler's own cost is over the no-op handler (LangChain's callback machinery taken out). Nesting: see Method. In the parallel column, \"missing\" is a request whose trace got none of the handler's spans (its root went under another request's span) and \"wrong\" one that got the wrong set. \"Runs other handlers still see\": the fewest runs a second handler attached alongside was told about in one invocation.",
    "",
    ...results.workloads.flatMap((workload) => throughputTable(results, workload)),
    "## Timing fidelity of a 50 ms step",
    "",
    "Truth is the run's own boundaries: an awaited recorder rides along and takes `performance.now()` when LangChain reports the run's start and end. Duration error = recorded span duration − true duration (negative: recorded too short, i.e. started late). Start offset = span start − true start; the SDK takes span start times from `Date.now()`, so offsets are good to about 1 ms, durations to microseconds. \"Run − step code\" is how much longer the run lasted than the step's own 50 ms of code: the event-loop wait under load, which belongs to the run. Median (worst absolute value) over probes.",
    "",
    ...fidelityTable(results),
    "",
    "## Heap",
    "",
    "`heapUsed` after three forced GCs moves by a few hundred KiB from block to block with no trend (GC noise); a leak shows as growth in every block, and in the open-run count.",
    "",
    ...heapTable(results),
    "",
    "## Bytes on the wire",
    "",
    "What each configuration's spans weigh as the OTLP/protobuf exporter sends them (`ProtobufTraceSerializer` of `@opentelemetry/otlp-transformer`, the serializer behind `@opentelemetry/exporter-trace-otlp-proto`), for the same invocations, serialized together as one export request (resource and scope once, as a batch sends them). Uncompressed; the request spans of the bench are not included. Per attribute family: key + value bytes and a few bytes of framing per attribute, an estimate.",
    "",
    ...wireTables(results),
    "## Throughput of one process, exporting for real",
    "",
    `Ours with the SDK's \`BatchSpanProcessor\` at its defaults (queue 2048 spans, batches of 512, 5 s delay) and \`OTLPTraceExporter\` (OTLP/HTTP JSON, what \`setupTracing()\` builds) to a loopback receiver in a child process that only counts spans. Full speed: ${results.settings.scale.concurrency} invocations in flight for ${results.settings.scale.seconds} s, each followed by one macrotask turn (a real invocation waits on its model call; the fakes never wait, which would starve the exporter of event-loop turns), then the same without a handler. CPU time is this process's (user + system, all threads). Bursts: that many invocations started at once, then a flush; dropped = ended − received.`,
    "",
    ...scaleTable(results),
    "",
    "## Cross-check: each configuration alone in its own process",
    "",
    `In the one-process run all nine configurations' code goes through the same LangChain and OTel call sites, which V8 then optimises for all of them at once (polymorphic inline caches), and shares one heap; an application runs one handler. Here the key configurations run alone, one fresh process each (same flags), processes interleaved configuration by configuration, ${results.settings.isolated.repeats} repeats; each process reports the median of its blocks. Median (min–max) over repeats; overhead per run paired with the no-handler process of the same repeat.`,
    "",
    ...isolatedTables(results),
    "## Method",
    "",
    ...methodLines(results),
    "",
    ...treeOutlines(results),
  ].join("\n");
}

/** Where the full run writes its summary into the top-level README (never edited by hand). */
export const README_TABLE_START = "<!-- bench:table:start (written by npm run bench) -->";
export const README_TABLE_END = "<!-- bench:table:end -->";

/** The README's benchmark tables: cost, nesting and timing on the agent-like chain; bytes per trace. */
export function renderReadmeTables(results: BenchResults): string {
  const workloadId = results.settings.loadWorkloadId;
  const runs = results.expectedTrees.get(workloadId)?.runCount ?? 0;
  const floor = medianOverhead(results, "floor", workloadId);
  const rows = ["floor", "ours", "ours-no-content", "ours-always-off", "ours-ratio", "langfuse", "openinference", "openllmetry"].flatMap((id) => {
    const configuration = results.configurations.find((candidate) => candidate.id === id);
    if (configuration === undefined) return [];
    const overhead = medianOverhead(results, id, workloadId);
    const nesting = results.nesting.get(pairKey(id, workloadId));
    const fidelity = results.fidelity.get(id);
    const loadError = fidelity === undefined || fidelity.loadErrorMs.length === 0 ? "—" : `${median(fidelity.loadErrorMs) >= 0 ? "+" : "−"}${fixed(Math.abs(median(fidelity.loadErrorMs)), 2)} ms`;
    return [[configuration.role === "ours" && id === "ours" ? `**${configuration.label}**` : configuration.label, `${fixed(overhead)} µs`, `${fixed(ratio(overhead, floor), 2)}×`, nesting?.sequential ?? "—", nesting === undefined ? "—" : `${nesting.parallelCorrect}/${nesting.parallelTotal}`, loadError]];
  });
  const bytesRows = results.wireConfigurations.flatMap((configuration) => {
    const cells = results.settings.wire.workloadIds.map((id) => {
      const wire = results.wire.get(pairKey(configuration.id, id));
      return wire === undefined ? "—" : `${fixed(wire.bytes / wire.invocations / 1024, 1)} KiB`;
    });
    return cells.every((cell) => cell === "—") ? [] : [[configuration.label, ...cells]];
  });
  return [
    README_TABLE_START,
    ...table([`${workloadId}, ${runs} runs (${results.startedAt.toISOString().slice(0, 10)})`, "overhead per run", "÷ floor", "nesting", `${results.settings.parallelInvocations} parallel requests`, "50 ms step under load"], rows),
    "",
    ...table(["OTLP/protobuf bytes per trace", ...results.settings.wire.workloadIds], bytesRows),
    README_TABLE_END,
  ].join("\n");
}

export function renderConsoleSummary(ratios: KeyRatio[]): string {
  const width = Math.max(...ratios.map((entry) => entry.label.length));
  return ["", "Key ratios:", ...ratios.map((entry) => `  ${entry.label.padEnd(width)}  ${entry.value.padStart(9)}  ${entry.verdict}`)].join("\n");
}

/** Every per-round figure as JSON (maps become objects; configurations and workloads by id and label). */
export function renderJson(results: BenchResults): string {
  const plain = {
    ...results,
    configurations: results.configurations.map(({ id, label, role, callbackMode, makesSpans }) => ({ id, label, role, callbackMode, makesSpans })),
    workloads: results.workloads.map(({ id, label }) => ({ id, label })),
  };
  return `${JSON.stringify(plain, (_key, value: unknown) => (value instanceof Map ? Object.fromEntries(value) : value), 2)}\n`;
}
