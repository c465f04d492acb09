// What every bench entry point (the bench itself and the profiler) sets up first.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { assertCallbackManagerPristine, createConfigurations, type Configuration } from "./configurations.js";
import { installTracingPipeline, type TracingPipeline } from "./otel.js";
import { assertSingleCopies, REPO_ROOT } from "./singletons.js";
import { createWorkloads, type Workload } from "./workloads.js";

/**
 * Variables that would change what is measured: LangChain's callback mode, LangSmith
 * tracing (it would add a network tracer to every configuration), and the content switches
 * ours and the peers read.
 */
const IGNORED_ENVIRONMENT = [
  "LANGCHAIN_CALLBACKS_BACKGROUND",
  "LANGSMITH_TRACING",
  "LANGSMITH_TRACING_V2",
  "LANGCHAIN_TRACING",
  "LANGCHAIN_TRACING_V2",
  "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
  "TRACELOOP_TRACE_CONTENT",
];

export interface BenchEnvironment {
  pipeline: TracingPipeline;
  workloads: Workload[];
  configurations: Configuration[];
}

export async function prepareBenchEnvironment(log: (message: string) => void): Promise<BenchEnvironment> {
  for (const name of IGNORED_ENVIRONMENT) {
    if (process.env[name] !== undefined) {
      log(`unsetting ${name}=${process.env[name]} for the bench`);
      delete process.env[name];
    }
  }
  if (globalThis.gc === undefined) throw new Error("run node with --expose-gc (npm run bench does)");
  assertSingleCopies();
  assertBuildIsCurrent();
  const pipeline = installTracingPipeline();
  const workloads = createWorkloads();
  const configurations = await createConfigurations(pipeline);
  assertCallbackManagerPristine();
  return { pipeline, workloads, configurations };
}

/** The configuration and workload named on a command line; throws with the valid names otherwise. */
export function selectPair(environment: BenchEnvironment, configurationId: string, workloadId: string): { configuration: Configuration; workload: Workload } {
  const configuration = environment.configurations.find((candidate) => candidate.id === configurationId);
  const workload = environment.workloads.find((candidate) => candidate.id === workloadId);
  if (configuration === undefined || workload === undefined) {
    const configurationIds = environment.configurations.map((candidate) => candidate.id).join(", ");
    const workloadIds = environment.workloads.map((candidate) => candidate.id).join(", ");
    throw new Error(`unknown configuration or workload; configurations: ${configurationIds}; workloads: ${workloadIds}`);
  }
  return { configuration, workload };
}

/** The bench measures dist/ (see configurations.ts): a build older than any source file would measure old code. */
function assertBuildIsCurrent(): void {
  const built = join(REPO_ROOT, "dist", "esm", "index.js");
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : -Infinity;
  const newer = readdirSync(join(REPO_ROOT, "src"), { recursive: true, encoding: "utf8" }).filter(
    (file) => file.endsWith(".ts") && statSync(join(REPO_ROOT, "src", file)).mtimeMs > builtAt,
  );
  if (newer.length > 0) throw new Error(`dist/ is older than src/ (${newer.slice(0, 3).join(", ")}): run \`npm run build\` first (npm run bench does)`);
}
