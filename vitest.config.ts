import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/schema-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 120_000,
  },
});
