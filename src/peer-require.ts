import { createRequire } from "node:module";

/**
 * `require` resolving from this package, for optional peers loaded only when the environment asks
 * for them. Synchronous, so `setupTracing` can throw a clear error at start-up.
 * The CommonJS build has no `import.meta`: scripts/mark-cjs.mjs replaces this file there with
 * `exports.peerRequire = require`.
 */
// @ts-ignore TS1343 in the CommonJS compile only; that output is replaced (see above).
export const peerRequire: NodeJS.Require = createRequire(import.meta.url);
