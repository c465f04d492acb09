import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { OTLPTraceExporter as GrpcTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const built = existsSync(new URL("../dist/cjs/index.js", import.meta.url));

// `npm test` builds first; a bare `vitest run` on a fresh clone has no dist/ to check.
describe.skipIf(!built)("the published builds (run `npm run build` first)", () => {
  it("loads as CommonJS with the same API", () => {
    const cjs = require("langchain-otel") as typeof import("../src/index.js");
    expect(typeof cjs.OpenTelemetryCallbackHandler).toBe("function");
    expect(new cjs.OpenTelemetryCallbackHandler().openRunCount).toBe(0);
  });

  it("loads as an ES module, with type declarations beside both builds", async () => {
    const esm = (await import(new URL("../dist/esm/index.js", import.meta.url).href)) as typeof import("../src/index.js");
    expect(typeof esm.OpenTelemetryCallbackHandler).toBe("function");
    expect(existsSync(new URL("../dist/esm/index.d.ts", import.meta.url))).toBe(true);
    expect(existsSync(new URL("../dist/cjs/index.d.ts", import.meta.url))).toBe(true);
  });

  it("loads an optional exporter package on demand from both builds", async () => {
    type TraceExporterModule = typeof import("../src/trace-exporter.js");
    const cjs = require("../dist/cjs/trace-exporter.js") as TraceExporterModule;
    const esm = (await import(new URL("../dist/esm/trace-exporter.js", import.meta.url).href)) as TraceExporterModule;
    for (const build of [cjs, esm]) {
      const [exporter] = build.traceExportersFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" });
      expect(exporter).toBeInstanceOf(GrpcTraceExporter);
      await exporter?.shutdown();
    }
  });
});

describe.skipIf(!built)("the npm tarball", () => {
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }),
  ) as Array<{ files: Array<{ path: string }> }>;
  const files = new Set(packed[0]?.files.map((file) => file.path));

  it("holds the Apache-2.0 LICENSE that package.json names", () => {
    expect(files.has("LICENSE")).toBe(true);
    expect(readFileSync(join(repoRoot, "LICENSE"), "utf8")).toMatch(/Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/);
  });

  it("ships every source a source map or declaration map points at", () => {
    const maps = [...files].filter((path) => path.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(20);
    const missing = maps.flatMap((mapPath) => {
      const { sources } = JSON.parse(readFileSync(join(repoRoot, mapPath), "utf8")) as { sources: string[] };
      return sources.map((source) => posix.join(posix.dirname(mapPath), source)).filter((source) => !files.has(source));
    });
    expect(missing).toEqual([]);
  });
});

describe.skipIf(!built)("type declarations for TypeScript users", () => {
  // A consumer project whose node_modules/langchain-otel is this package, as npm would link it.
  function typecheckConsumer(moduleResolution: string, module: string): string {
    const project = mkdtempSync(join(tmpdir(), "langchain-otel-types-"));
    try {
      mkdirSync(join(project, "node_modules"));
      symlinkSync(repoRoot, join(project, "node_modules", "langchain-otel"), "dir");
      writeFileSync(
        join(project, "consumer.ts"),
        [
          'import { OpenTelemetryCallbackHandler } from "langchain-otel";',
          'import { setupTracing, type Tracing } from "langchain-otel/setup";',
          'const tracing: Tracing = setupTracing({ serviceName: "consumer" });',
          "export const handler = new OpenTelemetryCallbackHandler({ tracerProvider: tracing.tracerProvider });",
          "",
        ].join("\n"),
      );
      const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
      const args = ["--noEmit", "--strict", "--skipLibCheck", "--types", "node", "--typeRoots", join(repoRoot, "node_modules", "@types")];
      try {
        return execFileSync(process.execPath, [tsc, ...args, "--module", module, "--moduleResolution", moduleResolution, "consumer.ts"], {
          cwd: project,
          encoding: "utf8",
        });
      } catch (error) {
        return String((error as { stdout?: string }).stdout ?? error);
      }
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  }

  it.each([
    ["node10", "commonjs"],
    ["node16", "node16"],
    ["bundler", "esnext"],
  ])("resolve langchain-otel and langchain-otel/setup under moduleResolution %s", (moduleResolution, module) => {
    expect(typecheckConsumer(moduleResolution, module)).toBe("");
  }, 60_000);
});
