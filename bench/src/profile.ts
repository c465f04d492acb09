// CPU profile of one configuration on one workload (npm run profile):
//   npm --prefix bench run profile -- [configuration=ours] [workload=agent-chain] [invocations=20000]
// The V8 sampling profiler (the one behind `node --cpu-prof`) is started through
// node:inspector after a warm-up, so module loading and JIT warm-up stay out of the profile.
// Writes bench/profiles/<configuration>.<workload>.cpuprofile (+ .json with the invocation
// count); `npm --prefix bench run profile:summary -- FILES...` compares profiles per invocation.
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { prepareBenchEnvironment, selectPair } from "./bench-environment.js";
import { runInvocations } from "./measure.js";
import { BENCH_ROOT } from "./singletons.js";

async function profile(): Promise<void> {
  const [configurationId = "ours", workloadId = "agent-chain", invocationsText = "20000"] = process.argv.slice(2);
  const environment = await prepareBenchEnvironment(console.log);
  const { pipeline } = environment;
  const { configuration, workload } = selectPair(environment, configurationId, workloadId);
  const invocations = Number(invocationsText);
  const session = new Session();
  session.connect();
  configuration.attach();
  await runInvocations(workload, configuration.handlers, 2000, pipeline.exporter);
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  await session.post("Profiler.start");
  const started = performance.now();
  await runInvocations(workload, configuration.handlers, invocations, pipeline.exporter);
  const elapsedMs = performance.now() - started;
  const { profile: cpuProfile } = await session.post("Profiler.stop");
  configuration.detach();
  session.disconnect();
  const directory = join(BENCH_ROOT, "profiles");
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `${configurationId}.${workloadId}.cpuprofile`);
  writeFileSync(file, JSON.stringify(cpuProfile));
  writeFileSync(`${file}.json`, JSON.stringify({ configurationId, workloadId, invocations, elapsedMs }));
  console.log(`${configurationId} on ${workloadId}: ${invocations} invocations, ${((elapsedMs * 1000) / invocations).toFixed(1)} µs each (profiler on); wrote ${file}`);
}

profile().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
