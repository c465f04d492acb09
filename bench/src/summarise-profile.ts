// Compares CPU profiles written by src/profile.ts, per invocation: self time by where the
// code lives (our src/, the OTel SDK, LangChain, ...), the time inside the handler's callbacks
// by what it is spent on (structure, payloads, messages, the SDK's span work, ...), and the top
// self-time functions of the first profile.
//   npm --prefix bench run profile:summary -- profiles/ours.agent-chain.cpuprofile profiles/floor.agent-chain.cpuprofile ...
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { BENCH_ROOT, REPO_ROOT } from "./singletons.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}
interface ProfileMeta {
  invocations: number;
}

/** Where a function's code lives, for grouping. */
function areaOf(url: string): string {
  const path = url.replace(/^file:\/\//, "");
  if (path === "") return "V8 (GC, native)";
  if (path.startsWith("node:")) return "Node internals (async_hooks, crypto, ...)";
  if (path.startsWith(join(REPO_ROOT, "dist"))) return "ours (dist/)";
  if (path.startsWith(join(BENCH_ROOT, "src"))) return "bench code";
  const segments = (path.split("/node_modules/").at(-1) ?? path).split("/");
  const name = segments[0]?.startsWith("@") ? `${segments[0]}/${segments[1]}` : (segments[0] ?? path);
  if (name.startsWith("@opentelemetry/")) return "OTel (api + SDK)";
  if (name === "@langchain/core") return "LangChain core";
  if (name.startsWith("@langchain/")) return "LangGraph";
  return `other: ${name}`;
}

/**
 * What the handler's callbacks spend their time on: a sample inside them counts for the
 * outermost function on its stack that names a part (so the metadata's JSON is "metadata", not
 * "payloads"); none named, it is the handler's own code. The profiler folds some small functions
 * into their callers, so a part can lose a little to its caller's. `where`: a path part of the file.
 */
const HANDLER_PARTS: Array<{ part: string; where: string; functions: readonly string[] }> = [
  { part: "metadata JSON", where: "/dist/", functions: ["putRunMetadata"] },
  { part: "chat messages: read from LangChain's", where: "/dist/", functions: ["toGenAiMessage", "withFinishReason"] },
  { part: "chat messages: gen_ai.*.messages JSON", where: "/dist/", functions: ["messagesPayload"] },
  { part: "chat messages: flattened llm.*_messages.*", where: "/dist/", functions: ["putFlattenedMessages"] },
  { part: "tool definitions", where: "/dist/", functions: ["putToolDefinitions", "offeredToolDescriptions"] },
  { part: "prompt template", where: "/dist/", functions: ["promptTemplateContent"] },
  { part: "payloads: input/output.value, tool arguments and results, documents", where: "/dist/", functions: ["toPayload", "textPayload", "cleanText"] },
  {
    part: "structure: what the sampler sees",
    where: "/dist/",
    functions: ["putRunAttributes", "openInferenceContext", "chainStartAttributes", "modelStartAttributes", "toolStartAttributes", "retrieverStartAttributes", "chainKind", "chainSpanName", "modelName", "toolName", "lastIdSegment"],
  },
  { part: "run registry and contexts", where: "/dist/esm/run-", functions: ["add", "removeAndEndChildren", "has", "get", "touch", "runContext", "callerContext", "parentContextOf"] },
  { part: "SDK: span start (sampler, ids, attributes)", where: "@opentelemetry/sdk-trace", functions: ["startSpan"] },
  { part: "SDK: setAttributes", where: "@opentelemetry/sdk-trace", functions: ["setAttributes", "setAttribute"] },
  { part: "SDK: span end and export", where: "@opentelemetry/sdk-trace", functions: ["end"] },
];
const HANDLER_OWN_CODE = "the handler's own code (callbacks, bounds, lifecycle)";

interface Summary {
  label: string;
  /** µs of self time per invocation, by area and by function. */
  byArea: Map<string, number>;
  byFunction: Map<string, number>;
  /** µs per invocation inside the handler's callbacks, by part (empty for a profile without them). */
  byHandlerPart: Map<string, number>;
  total: number;
}

function handlerPartOf(node: ProfileNode): string | undefined {
  const { functionName, url } = node.callFrame;
  return HANDLER_PARTS.find(({ where, functions }) => url.includes(where) && functions.includes(functionName))?.part;
}

/** Each sampled node's part, when the sample is inside the handler's callbacks (entered from outside dist/). */
function handlerParts(profile: CpuProfile): Map<number, string> {
  const parentOf = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
  const ours = (node: ProfileNode): boolean => node.callFrame.url.replace(/^file:\/\//, "").startsWith(join(REPO_ROOT, "dist"));
  const parts = new Map<number, string>();
  for (const node of profile.nodes) {
    let part: string | undefined;
    let insideOurs = false;
    for (let frame: ProfileNode | undefined = node; frame !== undefined; frame = parentOf.get(frame.id)) {
      insideOurs ||= ours(frame);
      part = handlerPartOf(frame) ?? part; // the outermost one wins
    }
    if (insideOurs) parts.set(node.id, part ?? HANDLER_OWN_CODE);
  }
  return parts;
}

function summarise(file: string): Summary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const { invocations } = JSON.parse(readFileSync(`${file}.json`, "utf8")) as ProfileMeta;
  const nodesById = new Map(profile.nodes.map((node) => [node.id, node]));
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const byHandlerPart = new Map<string, number>();
  const partOfNode = handlerParts(profile);
  let total = 0;
  profile.samples.forEach((nodeId, index) => {
    const { functionName, url, lineNumber, columnNumber } = nodesById.get(nodeId)!.callFrame;
    if (functionName === "(idle)") return;
    const micros = (profile.timeDeltas[index] ?? 0) / invocations;
    const area = areaOf(url);
    const where = url === "" ? "" : ` ${url.replace(/^file:\/\//, "").replace(`${REPO_ROOT}/`, "")}:${lineNumber + 1}:${columnNumber + 1}`;
    const key = `${functionName || "(anonymous)"}${where}`;
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    const part = partOfNode.get(nodeId);
    if (part !== undefined) byHandlerPart.set(part, (byHandlerPart.get(part) ?? 0) + micros);
    total += micros;
  });
  return { label: basename(file, ".cpuprofile"), byArea, byFunction, byHandlerPart, total };
}

const files = process.argv.slice(2);
if (files.length === 0) throw new Error("usage: summarise-profile FILE.cpuprofile [MORE.cpuprofile ...]");
const summaries = files.map(summarise);
const areas = [...new Set(summaries.flatMap((summary) => [...summary.byArea.keys()]))].sort(
  (a, b) => (summaries[0]!.byArea.get(b) ?? 0) - (summaries[0]!.byArea.get(a) ?? 0),
);
const cell = (micros: number | undefined): string => (micros ?? 0).toFixed(1).padStart(12);
console.log(`self time, µs per invocation (profiler on)\n${"area".padEnd(44)}${summaries.map((summary) => summary.label.padStart(28)).join("")}`);
for (const area of areas) console.log(`${area.padEnd(44)}${summaries.map((summary) => cell(summary.byArea.get(area)).padStart(28)).join("")}`);
console.log(`${"total".padEnd(44)}${summaries.map((summary) => cell(summary.total).padStart(28)).join("")}`);
const withHandler = summaries.filter((summary) => summary.byHandlerPart.size > 0);
if (withHandler.length > 0) {
  const parts = [...HANDLER_PARTS.map(({ part }) => part), HANDLER_OWN_CODE];
  const partTotal = (summary: Summary): number => [...summary.byHandlerPart.values()].reduce((sum, micros) => sum + micros, 0);
  console.log(`\ninside the handler's callbacks, µs per invocation by part\n${"part".padEnd(72)}${withHandler.map((summary) => summary.label.padStart(28)).join("")}`);
  for (const part of parts) console.log(`${part.padEnd(72)}${withHandler.map((summary) => cell(summary.byHandlerPart.get(part)).padStart(28)).join("")}`);
  console.log(`${"total".padEnd(72)}${withHandler.map((summary) => cell(partTotal(summary)).padStart(28)).join("")}`);
}
const [first, second] = summaries;
console.log(`\ntop self-time functions of ${first!.label}, µs per invocation:`);
for (const [key, micros] of [...first!.byFunction].sort((a, b) => b[1] - a[1]).slice(0, 35)) console.log(`${cell(micros)}  ${key}`);
if (second !== undefined) {
  // Where the first profile spends more than the second: e.g. ours against the floor.
  const keys = new Set([...first!.byFunction.keys(), ...second.byFunction.keys()]);
  const differences = [...keys].map((key): [string, number] => [key, (first!.byFunction.get(key) ?? 0) - (second.byFunction.get(key) ?? 0)]);
  console.log(`\nlargest differences, ${first!.label} − ${second.label}, µs per invocation:`);
  for (const [key, micros] of differences.sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${cell(micros)}  ${key}`);
}
