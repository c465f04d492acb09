// The LangChain run tree, as LangChain reports it to a handler, and the check of a trace's
// span tree against it. Span names differ between handlers (run name, "chat model", the run
// type, ...), so trees are compared by shape: two trees match when some mapping of spans to
// runs gives every span the parent its run has. Spans that carry `langchain.run.id` (ours)
// are also checked run by run against the recorder that rode along in the same invocation.
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { parentSpanId } from "./otel.js";
import type { RecordedRun } from "../../test/support/run-recorder.js";

export const RUN_ID_ATTRIBUTE = "langchain.run.id";

/**
 * A canonical string for the shape of a forest: each node becomes "(children...)" with its
 * children's strings sorted, so equal strings mean isomorphic (unordered) trees.
 */
function canonicalShape<T>(nodes: readonly T[], idOf: (node: T) => string, parentOf: (node: T) => string | undefined): string {
  const ids = new Set(nodes.map(idOf));
  const children = new Map<string, T[]>();
  const roots: T[] = [];
  for (const node of nodes) {
    const parent = parentOf(node);
    if (parent === undefined || !ids.has(parent)) roots.push(node);
    else children.set(parent, [...(children.get(parent) ?? []), node]);
  }
  const shapeOf = (node: T): string => `(${(children.get(idOf(node)) ?? []).map(shapeOf).sort().join("")})`;
  return roots.map(shapeOf).sort().join("");
}

export interface ExpectedRunTree {
  runCount: number;
  /** Shape with every run. */
  shape: string;
  /** Shape with LangGraph's hidden runs left out (their children moved to the nearest visible ancestor). */
  visibleRunCount: number;
  visibleShape: string;
  /** One line per run, indented by depth, for the report. */
  outline: string[];
}

export function expectedRunTree(runs: readonly RecordedRun[]): ExpectedRunTree {
  const byId = new Map(runs.map((run) => [run.runId, run]));
  const visibleParent = (run: RecordedRun): string | undefined => {
    let parent = run.parentRunId === undefined ? undefined : byId.get(run.parentRunId);
    while (parent?.hidden) parent = parent.parentRunId === undefined ? undefined : byId.get(parent.parentRunId);
    return parent?.runId;
  };
  const visible = runs.filter((run) => !run.hidden);
  const depthOf = (run: RecordedRun): number => {
    const parent = run.parentRunId === undefined ? undefined : byId.get(run.parentRunId);
    return parent === undefined ? 0 : depthOf(parent) + 1;
  };
  return {
    runCount: runs.length,
    shape: canonicalShape(runs, (run) => run.runId, (run) => run.parentRunId),
    visibleRunCount: visible.length,
    visibleShape: canonicalShape(visible, (run) => run.runId, visibleParent),
    outline: runs.map((run) => `${"  ".repeat(depthOf(run))}${run.name} [${run.runType}${run.hidden ? ", hidden" : ""}]`),
  };
}

export type TraceJudgement = "nested" | "nested-visible" | "flat" | "wrong" | "missing";

/**
 * Judges the handler's spans of one trace (one invocation run under `requestSpanId`):
 * nested when they form one tree under the request span shaped like the run tree.
 */
export function judgeTrace(spans: readonly ReadableSpan[], requestSpanId: string, expected: ExpectedRunTree): TraceJudgement {
  if (spans.length === 0) return "missing";
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const roots = spans.filter((span) => !ids.has(parentSpanId(span) ?? ""));
  if (spans.length > 1 && roots.length === spans.length) return "flat";
  if (roots.length !== 1 || parentSpanId(roots[0]!) !== requestSpanId) return "wrong";
  const shape = canonicalShape(spans, (span) => span.spanContext().spanId, parentSpanId);
  if (shape === expected.shape) return "nested";
  if (shape === expected.visibleShape) return "nested-visible";
  return "wrong";
}

/**
 * For spans that carry the run ID: how many have a parent span other than their parent
 * run's span (the request span for the root run).
 */
export function runIdParentMismatches(spans: readonly ReadableSpan[], runs: readonly RecordedRun[], requestSpanId: string): number {
  const spanIdOfRun = new Map<string, string>();
  for (const span of spans) {
    const runId = span.attributes[RUN_ID_ATTRIBUTE];
    if (typeof runId === "string") spanIdOfRun.set(runId, span.spanContext().spanId);
  }
  const parentRunOf = new Map(runs.map((run) => [run.runId, run.parentRunId]));
  let mismatches = 0;
  for (const span of spans) {
    const runId = span.attributes[RUN_ID_ATTRIBUTE];
    if (typeof runId !== "string" || !parentRunOf.has(runId)) continue;
    const parentRunId = parentRunOf.get(runId);
    const expectedParent = parentRunId === undefined ? requestSpanId : spanIdOfRun.get(parentRunId);
    if (parentSpanId(span) !== expectedParent) mismatches += 1;
  }
  return mismatches;
}

/** Summary of many judgements, e.g. "nested", "flat", "wrong 3/20". */
export function summariseJudgements(judgements: readonly TraceJudgement[]): string {
  const count = (judgement: TraceJudgement): number => judgements.filter((j) => j === judgement).length;
  const total = judgements.length;
  if (total === 0) return "n/a";
  if (count("missing") === total) return "no spans";
  if (count("nested") === total) return "nested";
  if (count("nested") + count("nested-visible") === total) return "nested (hidden runs omitted)";
  if (count("flat") === total) return "flat";
  const parts = (["nested", "nested-visible", "flat", "wrong", "missing"] as const)
    .filter((judgement) => count(judgement) > 0)
    .map((judgement) => `${judgement} ${count(judgement)}/${total}`);
  return parts.join(", ");
}

export function isCorrect(judgement: TraceJudgement): boolean {
  return judgement === "nested" || judgement === "nested-visible";
}
