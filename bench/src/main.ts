// npm run bench [-- --smoke]   (or BENCH_SMOKE=1): see bench/README.md.
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { prepareBenchEnvironment } from "./bench-environment.js";
import {
  checkNesting,
  measureHeapGrowth,
  measureThroughput,
  measureTimingFidelity,
  recordExpectedRunTrees,
  type BenchContext,
  type BenchSettings,
} from "./measure.js";
import { measureInIsolation } from "./isolated.js";
import { oneConventionConfigurations } from "./configurations.js";
import { measureScale } from "./scale.js";
import { measureWireBytes } from "./wire.js";
import { createDemoWorkload } from "./workloads.js";
import { keyRatios, README_TABLE_END, README_TABLE_START, renderConsoleSummary, renderJson, renderMarkdown, renderReadmeTables, type BenchResults } from "./report.js";
import { BENCH_ROOT, REPO_ROOT } from "./singletons.js";

const FULL: BenchSettings = {
  smoke: false,
  rounds: 15,
  warmupInvocations: 300,
  invocationsPerRound: { chain: 800, "agent-chain": 400, "langgraph-agent": 100 },
  nestingInvocations: 20,
  parallelInvocations: 200,
  fidelityProbes: 10,
  fidelityLoadInvocations: 200,
  heapBlockInvocations: 10_000,
  loadWorkloadId: "agent-chain",
  wire: { invocations: { "agent-chain": 20, "langgraph-agent": 20, demo: 2 }, workloadIds: ["agent-chain", "langgraph-agent", "demo"] },
  scale: { workloadIds: ["agent-chain", "langgraph-agent"], concurrency: 8, seconds: 5, bursts: [64, 128, 256, 512] },
  isolated: {
    configurationIds: ["none", "floor", "ours", "ours-metrics", "ours-no-content"],
    workloadIds: ["agent-chain", "langgraph-agent"],
    repeats: 3,
    counts: {
      "agent-chain": { warmup: 2000, blockInvocations: 2000, blocks: 5 },
      "langgraph-agent": { warmup: 200, blockInvocations: 200, blocks: 5 },
    },
  },
};

const SMOKE: BenchSettings = {
  smoke: true,
  rounds: 2,
  warmupInvocations: 2,
  invocationsPerRound: { chain: 5, "agent-chain": 5, "langgraph-agent": 2 },
  nestingInvocations: 3,
  parallelInvocations: 10,
  fidelityProbes: 1,
  fidelityLoadInvocations: 20,
  heapBlockInvocations: 50,
  loadWorkloadId: "agent-chain",
  wire: { invocations: { "agent-chain": 2, "langgraph-agent": 2, demo: 1 }, workloadIds: ["agent-chain", "langgraph-agent", "demo"] },
  scale: { workloadIds: ["agent-chain", "langgraph-agent"], concurrency: 2, seconds: 0.3, bursts: [4] },
  isolated: {
    configurationIds: ["none", "floor", "ours", "ours-metrics", "ours-no-content"],
    workloadIds: ["agent-chain", "langgraph-agent"],
    repeats: 1,
    counts: {
      "agent-chain": { warmup: 10, blockInvocations: 10, blocks: 1 },
      "langgraph-agent": { warmup: 2, blockInvocations: 2, blocks: 1 },
    },
  },
};

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAverageAtStart = loadavg();
  const settings = process.argv.includes("--smoke") || process.env["BENCH_SMOKE"] === "1" ? SMOKE : FULL;
  const log = (message: string): void => console.log(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${message}`);
  const { pipeline, workloads, configurations } = await prepareBenchEnvironment(log);
  const expectedTrees = await recordExpectedRunTrees(workloads);
  const context: BenchContext = { pipeline, configurations, workloads, settings, log };
  log(`${settings.smoke ? "smoke" : "full"} run: ${configurations.length} configurations × ${workloads.length} workloads`);

  const nesting = await checkNesting(context, expectedTrees);
  const oneConvention = oneConventionConfigurations(pipeline.provider);
  const throughput = await measureThroughput({ ...context, configurations: [...configurations, ...oneConvention] });
  const fidelity = await measureTimingFidelity(context);
  const heap = await measureHeapGrowth(context);
  const wireContext = { ...context, configurations: [...configurations, ...oneConvention] };
  const wire = await measureWireBytes(wireContext, settings.wire, [createDemoWorkload()]);
  const runCounts = new Map([...expectedTrees].map(([workloadId, tree]) => [workloadId, tree.runCount]));
  const scale = await measureScale(workloads, runCounts, settings.scale, log);
  const isolated = await measureInIsolation(settings.isolated, log);

  const results: BenchResults = {
    settings,
    startedAt,
    elapsedSeconds: (Date.now() - startedAt.getTime()) / 1000,
    loadAverageAtStart,
    configurations,
    workloads,
    expectedTrees,
    throughput,
    nesting,
    fidelity,
    heap,
    wire,
    wireConfigurations: wireContext.configurations,
    scale,
    isolated,
  };
  const ratios = keyRatios(results);
  const output = join(BENCH_ROOT, settings.smoke ? "results-smoke" : "results");
  writeFileSync(`${output}.md`, renderMarkdown(results, ratios));
  // Every per-round figure, for anyone who wants to recompute the tables differently.
  writeFileSync(`${output}.json`, renderJson(results));
  log(`wrote ${output}.md and ${output}.json`);
  if (settings.smoke) {
    writeFileSync(`${output}.readme.md`, renderReadmeTables(results)); // what a full run would put in the README
  } else {
    // The README's tables come from this run only, never from a hand edit.
    const readmePath = join(REPO_ROOT, "README.md");
    const readme = readFileSync(readmePath, "utf8");
    const start = readme.indexOf(README_TABLE_START);
    const end = readme.indexOf(README_TABLE_END);
    if (start < 0 || end < start) throw new Error(`README.md has no ${README_TABLE_START} … ${README_TABLE_END} block`);
    writeFileSync(readmePath, readme.slice(0, start) + renderReadmeTables(results) + readme.slice(end + README_TABLE_END.length));
    log("wrote the README's benchmark tables");
  }
  console.log(renderConsoleSummary(ratios));
}

main().then(
  // Peers leave timers and hooks behind; the bench is done once its report is out.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
