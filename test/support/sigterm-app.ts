/**
 * A tiny app that follows README's setup snippet to the letter, for the test that sends it
 * SIGTERM while its trace backend is down: it must exit 0, promptly, with no unhandled rejection.
 */
import { RunnableLambda } from "@langchain/core/runnables";
import { OpenTelemetryCallbackHandler } from "../../src/index.js";
import { setupTracing } from "../../src/setup.js";

const tracing = setupTracing({ serviceName: "sigterm-app" }); // once, at start-up
const handler = new OpenTelemetryCallbackHandler();
await RunnableLambda.from((x: number) => x + 1).invoke(1, { callbacks: [handler] });
process.on("SIGTERM", async () => {
  await tracing.shutdown(); // sends the last batch, waiting at most 5 s; never rejects
  process.exit(0);
});
console.log("ready");
setInterval(() => {}, 1000); // a server would keep the process alive like this
