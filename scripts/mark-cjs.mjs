// dist/cjs sits under a "type": "module" package: this marker makes Node read its .js files as CommonJS.
import { rmSync, writeFileSync } from "node:fs";
writeFileSync(new URL("../dist/cjs/package.json", import.meta.url), JSON.stringify({ type: "commonjs" }) + "\n");
// import.meta does not exist in CommonJS: there, the module's own require resolves from the same place.
writeFileSync(
  new URL("../dist/cjs/peer-require.js", import.meta.url),
  '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.peerRequire = require;\n',
);
rmSync(new URL("../dist/cjs/peer-require.js.map", import.meta.url), { force: true });
