import { trace, type Attributes, type Context, type Span } from "@opentelemetry/api";
import {
  GEN_AI_CONVERSATION_ID,
  INPUT_MIME_TYPE,
  INPUT_VALUE,
  OPENINFERENCE_SPAN_KIND,
  OUTPUT_MIME_TYPE,
  OUTPUT_VALUE,
  SESSION_ID,
  USER_ID,
} from "./attribute-names.js";

const AT_START = [OPENINFERENCE_SPAN_KIND, INPUT_VALUE, INPUT_MIME_TYPE, SESSION_ID, USER_ID, GEN_AI_CONVERSATION_ID];
const AT_END = [OUTPUT_VALUE, OUTPUT_MIME_TYPE, INPUT_VALUE, INPUT_MIME_TYPE, OPENINFERENCE_SPAN_KIND];

/**
 * The `annotateCallerSpan` option. Phoenix takes a trace's kind, input and output, and a
 * session turn's, from the trace's root span; under an app's request span that span is the
 * app's, and shows none. This copies a root run's kind, input, output and session onto the
 * span that was active where the run was invoked (the last root run under it wins).
 */
export class CallerSpans {
  private readonly callerOf = new WeakMap<Span, Span>();

  rootStarted(runSpan: Span, parentContext: Context, attributes: Attributes): void {
    const caller = trace.getSpan(parentContext);
    if (caller === undefined || !caller.isRecording()) return;
    this.callerOf.set(runSpan, caller);
    caller.setAttributes(pick(attributes, AT_START));
  }

  /** What the run learnt later: its output, a late input, a new kind (a graph found to be an agent). */
  update(runSpan: Span, attributes: Attributes): void {
    this.callerOf.get(runSpan)?.setAttributes(pick(attributes, AT_END));
  }
}

/** A value's mime type, which the run writes for JSON only. */
const MIME_TYPE_OF_VALUE = [
  [INPUT_VALUE, INPUT_MIME_TYPE],
  [OUTPUT_VALUE, OUTPUT_MIME_TYPE],
] as const;

function pick(attributes: Attributes, names: readonly string[]): Attributes {
  const picked: Attributes = {};
  for (const name of names) if (attributes[name] !== undefined) picked[name] = attributes[name];
  // The caller's span may hold an earlier root run's JSON mime type: a text value says so.
  for (const [value, mimeType] of MIME_TYPE_OF_VALUE) if (picked[value] !== undefined && picked[mimeType] === undefined) picked[mimeType] = "text/plain";
  return picked;
}
