// Cross-check of the in-process figures. In one process every configuration's code runs
// through the same LangChain and OTel call sites, which V8 then optimises for all of them
// at once (polymorphic inline caches) and one shared heap; in an application only one
// handler runs. Here the key configurations each run alone in a fresh process, processes
// interleaved configuration by configuration, repeated.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { pairKey } from "./measure.js";
import { BENCH_ROOT } from "./singletons.js";
import { median } from "./stats.js";

const run = promisify(execFile);

export interface IsolatedSettings {
  configurationIds: string[];
  workloadIds: string[];
  repeats: number;
  /** Per workload: warm-up invocations, invocations per timed block, and blocks. */
  counts: Record<string, { warmup: number; blockInvocations: number; blocks: number }>;
}

export interface IsolatedResult {
  /** Per repeat: the median over that process's blocks of wall µs per invocation. */
  wallUsPerInvocation: number[];
}

async function runChild(configurationId: string, workloadId: string, settings: IsolatedSettings): Promise<number> {
  const counts = settings.counts[workloadId];
  if (counts === undefined) throw new Error(`no isolated counts for ${workloadId}`);
  const args = [...process.execArgv, join(BENCH_ROOT, "src", "isolated-child.ts"), configurationId, workloadId, String(counts.warmup), String(counts.blockInvocations), String(counts.blocks)];
  const { stdout } = await run(process.execPath, args, { cwd: BENCH_ROOT, maxBuffer: 1 << 20 });
  const lastLine = stdout.trim().split("\n").at(-1) ?? "";
  return median((JSON.parse(lastLine) as { wallUsPerInvocation: number[] }).wallUsPerInvocation);
}

/** Results keyed like the in-process ones: "configuration/workload". */
export async function measureInIsolation(settings: IsolatedSettings, log: (message: string) => void): Promise<Map<string, IsolatedResult>> {
  const results = new Map<string, IsolatedResult>();
  for (let repeat = 0; repeat < settings.repeats; repeat += 1) {
    for (const workloadId of settings.workloadIds) {
      for (const configurationId of settings.configurationIds) {
        const key = pairKey(configurationId, workloadId);
        const result = results.get(key) ?? { wallUsPerInvocation: [] };
        result.wallUsPerInvocation.push(await runChild(configurationId, workloadId, settings));
        results.set(key, result);
      }
    }
    log(`isolated processes: repeat ${repeat + 1}/${settings.repeats} done`);
  }
  return results;
}
