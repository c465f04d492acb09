/**
 * Renders finished spans as a terminal tree, one block per trace:
 *
 *   trace 5b8e…  (3 spans)
 *   demo request                   812.4 ms
 *   └─ chat some-model             790.1 ms  tokens 120 in / 25 out  first chunk 95.0 ms
 *      └─ execute_tool calculator    1.2 ms  call call_1_1  ERROR RangeError: division by zero
 *
 * A pure function of the spans: the demo prints it, tests compare it.
 */
import { SpanStatusCode, type HrTime } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";

interface TreeNode {
  span: ReadableSpan;
  children: TreeNode[];
}

export function renderTraceTree(spans: readonly ReadableSpan[]): string {
  const nodesBySpanId = new Map<string, TreeNode>(spans.map((span) => [span.spanContext().spanId, { span, children: [] }]));
  const rootsByTraceId = new Map<string, TreeNode[]>();
  for (const node of nodesBySpanId.values()) {
    const parentId = node.span.parentSpanContext?.spanId;
    const parent = parentId === undefined ? undefined : nodesBySpanId.get(parentId);
    if (parent) {
      parent.children.push(node);
    } else {
      // A root, or a span whose parent was not exported with it: show it at the top level.
      const traceId = node.span.spanContext().traceId;
      rootsByTraceId.set(traceId, [...(rootsByTraceId.get(traceId) ?? []), node]);
    }
  }

  const traces = [...rootsByTraceId.entries()].map(([traceId, roots]) => ({ traceId, roots: sortByStart(roots) }));
  traces.sort((a, b) => compareHrTime(firstStart(a.roots), firstStart(b.roots)));
  return traces.map(({ traceId, roots }) => renderTrace(traceId, roots)).join("\n\n");
}

function renderTrace(traceId: string, roots: TreeNode[]): string {
  const rows: Array<{ label: string; duration: string; details: string }> = [];
  const visit = (node: TreeNode, prefixOfLabel: string, prefixOfChildren: string) => {
    rows.push({ label: prefixOfLabel + node.span.name, duration: formatMilliseconds(node.span.duration), details: details(node.span) });
    const children = sortByStart(node.children);
    children.forEach((child, index) => {
      const isLast = index === children.length - 1;
      visit(child, prefixOfChildren + (isLast ? "└─ " : "├─ "), prefixOfChildren + (isLast ? "   " : "│  "));
    });
  };
  for (const root of roots) visit(root, "", "");

  // Durations line up in one column, right-aligned, after the widest label.
  const labelWidth = Math.max(...rows.map((row) => row.label.length));
  const durationWidth = Math.max(...rows.map((row) => row.duration.length));
  const lines = rows.map(({ label, duration, details: text }) =>
    `${label.padEnd(labelWidth)}  ${duration.padStart(durationWidth)}${text ? `  ${text}` : ""}`.trimEnd(),
  );
  return [`trace ${traceId}  (${rows.length} span${rows.length === 1 ? "" : "s"})`, ...lines].join("\n");
}

/** What a reader looks for on each kind of span: tokens, streaming, tool call IDs, errors, unfinished runs. */
function details(span: ReadableSpan): string {
  const attributes = span.attributes;
  const parts: string[] = [];
  const inputTokens = attributes["gen_ai.usage.input_tokens"];
  const outputTokens = attributes["gen_ai.usage.output_tokens"];
  if (inputTokens !== undefined || outputTokens !== undefined) {
    parts.push(`tokens ${String(inputTokens ?? "?")} in / ${String(outputTokens ?? "?")} out`);
  }
  const timeToFirstChunkSeconds = attributes["gen_ai.response.time_to_first_chunk"];
  if (typeof timeToFirstChunkSeconds === "number") parts.push(`first chunk ${(timeToFirstChunkSeconds * 1e3).toFixed(1)} ms`);
  const toolCallId = attributes["gen_ai.tool.call.id"];
  if (toolCallId !== undefined) parts.push(`call ${String(toolCallId)}`);
  if (span.status.code === SpanStatusCode.ERROR) {
    const errorType = attributes["error.type"] === undefined ? "" : String(attributes["error.type"]);
    const message = span.status.message ?? "";
    // Status messages often start with the type already ("TypeError: ..."): do not say it twice.
    const typePrefix = errorType && !message.startsWith(errorType) ? `${errorType}${message ? ": " : ""}` : "";
    parts.push(`ERROR ${typePrefix}${message}`.trimEnd());
  }
  const unfinished = attributes["langchain.run.unfinished"];
  if (unfinished !== undefined) parts.push(`unfinished (${String(unfinished)})`);
  return parts.join("  ");
}

function formatMilliseconds(duration: HrTime): string {
  return `${(duration[0] * 1e3 + duration[1] / 1e6).toFixed(1)} ms`;
}

function sortByStart(nodes: TreeNode[]): TreeNode[] {
  return [...nodes].sort((a, b) => compareHrTime(a.span.startTime, b.span.startTime));
}

function firstStart(nodes: TreeNode[]): HrTime {
  return nodes[0]?.span.startTime ?? [0, 0];
}

function compareHrTime(a: HrTime, b: HrTime): number {
  return a[0] - b[0] || a[1] - b[1];
}
