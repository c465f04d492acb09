// Fails the bench loudly when a package that must be a singleton is resolved from two places.
// Two copies of @langchain/core mean two callback-manager classes and two AsyncLocalStorages
// (a peer would patch one while the workloads use the other); two copies of
// @opentelemetry/api mean two global registries (spans would lose their parents).
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const REPO_ROOT = dirname(BENCH_ROOT.replace(/[/\\]$/, ""));

const SINGLETONS = ["@langchain/core", "@opentelemetry/api"] as const;

/** Packages installed in bench/ whose own resolution of the singletons is checked. */
export const PEER_PACKAGES = [
  "@arizeai/openinference-instrumentation-langchain",
  "@langfuse/langchain",
  "@langfuse/tracing",
  "@traceloop/instrumentation-langchain",
] as const;

/** The package root (…/node_modules/<name>) of `name` as seen from the directory `fromDir`. */
export function packageRootFrom(fromDir: string, name: string): string {
  const entry = realpathSync(createRequire(join(fromDir, "noop.js")).resolve(name));
  const marker = `${sep}node_modules${sep}${name.split("/").join(sep)}${sep}`;
  const at = entry.lastIndexOf(marker);
  if (at < 0) throw new Error(`cannot find the package root of ${name} in ${entry}`);
  return entry.slice(0, at + marker.length - 1);
}

/** Directories of every package named `name` anywhere under bench/node_modules. */
function copiesUnder(nodeModules: string, name: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const found = existsSync(join(nodeModules, name, "package.json")) ? [join(nodeModules, name)] : [];
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const pkgDirs = entry.name.startsWith("@")
      ? readdirSync(join(nodeModules, entry.name)).map((scoped) => join(nodeModules, entry.name, scoped))
      : [join(nodeModules, entry.name)];
    for (const pkgDir of pkgDirs) found.push(...copiesUnder(join(pkgDir, "node_modules"), name));
  }
  return found;
}

/** Throws unless @langchain/core and @opentelemetry/api resolve to one top-level copy from everywhere the bench loads code. */
export function assertSingleCopies(): void {
  const problems: string[] = [];
  for (const name of SINGLETONS) {
    const expected = packageRootFrom(REPO_ROOT, name);
    const extraCopies = copiesUnder(join(BENCH_ROOT, "node_modules"), name);
    if (extraCopies.length > 0) problems.push(`${name}: extra copies ${extraCopies.join(", ")}`);
    const lookups = [BENCH_ROOT, join(REPO_ROOT, "dist"), ...PEER_PACKAGES.map((peer) => packageRootFrom(BENCH_ROOT, peer))];
    for (const fromDir of lookups) {
      const resolved = packageRootFrom(fromDir, name);
      if (resolved !== expected) problems.push(`${name}: ${fromDir} resolves ${resolved}, expected ${expected}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `duplicate singleton packages (run \`npm --prefix bench install\`, whose postinstall removes them):\n  ${problems.join("\n  ")}`,
    );
  }
}
