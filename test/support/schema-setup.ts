/** Fails any test whose spans carried GenAI JSON that does not validate (see genai-schemas.ts). */
import { afterEach } from "vitest";
import { takeSchemaViolations } from "./genai-schemas.js";

afterEach(() => {
  const violations = takeSchemaViolations();
  if (violations.length > 0) throw new Error(`GenAI JSON attributes fail the semantic-conventions schemas:\n${violations.join("\n")}`);
});
