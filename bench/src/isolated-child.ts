// One configuration on one workload, alone in its process (spawned by src/isolated.ts):
//   node --expose-gc --import tsx src/isolated-child.ts CONFIGURATION WORKLOAD WARMUP BLOCK_INVOCATIONS BLOCKS
// Prints one JSON line: wall µs per invocation of each timed block.
import { prepareBenchEnvironment, selectPair } from "./bench-environment.js";
import { runInvocations } from "./measure.js";

async function runAlone(): Promise<void> {
  const [configurationId = "", workloadId = "", warmup = "0", blockInvocations = "0", blocks = "0"] = process.argv.slice(2);
  const environment = await prepareBenchEnvironment(() => {});
  const { configuration, workload } = selectPair(environment, configurationId, workloadId);
  const { exporter } = environment.pipeline;
  configuration.attach();
  await runInvocations(workload, configuration.handlers, Number(warmup), exporter);
  const wallUsPerInvocation: number[] = [];
  for (let block = 0; block < Number(blocks); block += 1) {
    globalThis.gc?.();
    const started = performance.now();
    await runInvocations(workload, configuration.handlers, Number(blockInvocations), exporter);
    wallUsPerInvocation.push(((performance.now() - started) * 1000) / Number(blockInvocations));
  }
  configuration.detach();
  console.log(JSON.stringify({ wallUsPerInvocation }));
}

runAlone().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
