// Runs after `npm install` in bench/. Some peers list @langchain/core or @opentelemetry/api
// as plain dependencies (not peers), so npm puts copies of them in bench/node_modules. Two
// copies break the singletons the bench depends on (LangChain's AsyncLocalStorage and
// callback classes, OTel's global registry), so every copy here is removed and Node
// resolves them from the top-level node_modules instead. src/singletons.ts checks at start.
import { readdirSync, rmSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** Packages that must exist once, at the top level. zod only arrives as @langchain/core's dependency. */
const TOP_LEVEL_ONLY = ["@langchain/core", "@opentelemetry/api", "zod"];

const benchRoot = fileURLToPath(new URL("..", import.meta.url));

/** Every node_modules directory under `dir` (bench/node_modules and nested ones). */
function* nodeModulesDirs(dir) {
  if (!existsSync(dir)) return;
  yield dir;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const pkgDirs = entry.name.startsWith("@")
      ? readdirSync(join(dir, entry.name), { withFileTypes: true })
          .filter((scoped) => scoped.isDirectory())
          .map((scoped) => join(dir, entry.name, scoped.name))
      : [join(dir, entry.name)];
    for (const pkgDir of pkgDirs) yield* nodeModulesDirs(join(pkgDir, "node_modules"));
  }
}

let removed = 0;
for (const dir of nodeModulesDirs(join(benchRoot, "node_modules"))) {
  for (const name of TOP_LEVEL_ONLY) {
    const copy = join(dir, name);
    if (existsSync(copy)) {
      rmSync(copy, { recursive: true, force: true });
      console.log(`bench: removed duplicate ${relative(benchRoot, copy)} (resolved from ../node_modules)`);
      removed += 1;
    }
  }
}
if (removed === 0) console.log("bench: no duplicate singleton packages to remove");
