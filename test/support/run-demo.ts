/** `npm run demo` as a user runs it, for the tests that read its output. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface DemoRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo with a clean OTEL_* environment plus `env`. */
export function runDemo(env: Record<string, string>): Promise<DemoRun> {
  const inheritedEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("OTEL_")));
  return new Promise((resolveRun, reject) => {
    const child = spawn("npx", ["tsx", "demo/agent.ts"], { cwd: repoRoot, env: { ...inheritedEnv, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (exitCode) => resolveRun({ exitCode, stdout, stderr }));
  });
}
