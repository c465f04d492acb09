/**
 * No more island: with `LangChainContextManager`, the HTTP calls `ChatOpenAI`, `OpenAIEmbeddings`
 * and a tool make (seen by the real undici and http instrumentations) and the app's own spans
 * nest under the LangChain run that caused them, in their own request's trace, under load. The
 * app runs in a child process (test/support/island-app.cts) so the instrumentations are
 * registered before the modules they patch load, as in a real app.
 */
import { execFile } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const REQUESTS = 200;

interface AppSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  scope: string;
  attributes: Record<string, unknown>;
}

async function runApp(...args: string[]): Promise<AppSpan[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--require", "tsx/cjs", "-e", 'require("./test/support/island-app.cts")', "-", ...args],
    { cwd: repoRoot, maxBuffer: 256 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as AppSpan[];
}

/** Each span with its parent's name ("-" for a root); a parent in another trace fails the test. */
function describeParents(spans: AppSpan[]): Map<AppSpan, string> {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const parents = new Map<AppSpan, string>();
  for (const span of spans) {
    const parent = span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId);
    if (parent !== undefined) expect(parent.traceId, `${span.name} under a span of another trace`).toBe(span.traceId);
    parents.set(span, parent === undefined ? "-" : parent.name.replace(/^request \d+$/, "request"));
  }
  return parents;
}

/** LangChain's spans, each with its parent's name. */
function langChainTree(spans: AppSpan[]): string[] {
  const parents = describeParents(spans);
  return spans.filter((span) => span.scope === "langchain-otel").map((span) => `${span.name} <- ${parents.get(span)}`).sort();
}

/** What the app's own code and instrumentations made: "<span> <path> <- <parent span>". */
function appSpansOf(spans: AppSpan[], parents: Map<AppSpan, string>): string[] {
  return spans
    .filter((span) => span.scope !== "langchain-otel" && !span.name.startsWith("request "))
    .map((span) => `${span.name} ${urlPath(span)} <- ${parents.get(span)}`.replace("  ", " "))
    .sort();
}

function urlPath(span: AppSpan): string {
  const url = span.attributes["url.full"];
  return typeof url === "string" ? new URL(url).pathname : "";
}

/** One request's trace, as the app makes it with the bridge on. */
const NESTED = [
  "GET /inventory <- inventory.db.query",
  "GET /inventory <- execute_tool inventory",
  "GET /inventory <- request", // the caller's own call, once invoke has returned
  // Plain, streamed, tool call, final answer.
  "POST /v1/chat/completions <- chat gpt-4o-mini",
  "POST /v1/chat/completions <- chat gpt-4o-mini",
  "POST /v1/chat/completions <- chat gpt-4o-mini",
  "POST /v1/chat/completions <- chat gpt-4o-mini",
  "POST /v1/embeddings <- retrieval InventoryRetriever",
  "inventory.db.query <- execute_tool inventory",
].sort();

describe("the app's own spans nest under the LangChain run that caused them", () => {
  let underLoad: AppSpan[];
  let withOpenAIInstrumentation: AppSpan[];
  let withoutBridge: AppSpan[];

  beforeAll(async () => {
    [underLoad, withOpenAIInstrumentation, withoutBridge] = await Promise.all([
      runApp(String(REQUESTS)),
      runApp("1", "--openai-instrumentation"),
      runApp("1", "--no-bridge"),
    ]);
  }, 180_000);

  it(`${REQUESTS} concurrent requests: every HTTP and app span is in its own request's trace, under the run that made it`, () => {
    const parents = describeParents(underLoad);
    const requests = underLoad.filter((span) => span.name.startsWith("request "));
    expect(requests).toHaveLength(REQUESTS);
    for (const request of requests) {
      const trace = underLoad.filter((span) => span.traceId === request.traceId);
      expect(appSpansOf(trace, parents), request.name).toEqual(NESTED);
      // Each provider call under a chat span of its own.
      const chatParents = trace.filter((span) => urlPath(span) === "/v1/chat/completions").map((span) => span.parentSpanId);
      expect(new Set(chatParents).size).toBe(chatParents.length);
    }
  });

  it("instrumentation-openai's spans nest under ours (one provider span per chat and embeddings call)", () => {
    const parents = describeParents(withOpenAIInstrumentation);
    const openAISpans = withOpenAIInstrumentation.filter((span) => span.scope === "@opentelemetry/instrumentation-openai");
    expect(openAISpans.map((span) => `${span.name} <- ${parents.get(span)}`).sort()).toEqual([
      "chat gpt-4o-mini <- chat gpt-4o-mini",
      "chat gpt-4o-mini <- chat gpt-4o-mini",
      "chat gpt-4o-mini <- chat gpt-4o-mini",
      "chat gpt-4o-mini <- chat gpt-4o-mini",
      "embeddings text-embedding-3-small <- retrieval InventoryRetriever",
    ]);
  });

  it("without the context manager, everything is as before: the app's spans sit beside the LangChain tree", () => {
    const parents = describeParents(withoutBridge);
    expect(langChainTree(withoutBridge)).toEqual(langChainTree(withOpenAIInstrumentation)); // the same LangChain tree
    expect(appSpansOf(withoutBridge, parents)).toEqual(
      [
        "GET /inventory <- inventory.db.query",
        "GET /inventory <- request",
        "GET /inventory <- request",
        "POST /v1/chat/completions <- request",
        "POST /v1/chat/completions <- request",
        "POST /v1/chat/completions <- request",
        "POST /v1/chat/completions <- request",
        "POST /v1/embeddings <- request",
        "inventory.db.query <- request",
      ].sort(),
    );
  });
});
