import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
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
});
