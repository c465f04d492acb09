import type { Exception } from "@opentelemetry/api";
import { ERROR_TYPE_CANCELLED } from "../attribute-names.js";
import { cleanText, describeError } from "../payload.js";
import { identityText } from "./limits.js";

/**
 * What aborts reject with: an AbortError or TimeoutError (DOMException), LangChain's
 * `Error("Aborted")` for a signal without a reason, LangGraph's `Error("Abort")` on the graph.
 */
export function isCancellation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  try {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return name === "AbortError" || name === "TimeoutError" || message === "Aborted" || message === "Abort" || message === "AbortError";
  } catch {
    return false;
  }
}

/** Low-cardinality `error.type`: the exception's class name (short), or `cancelled`. */
export function errorType(error: unknown, cancelled: boolean): string {
  if (cancelled) return ERROR_TYPE_CANCELLED;
  try {
    if (error instanceof Error) return identityText(error.name && error.name !== "Error" ? error.name : error.constructor?.name || "Error");
    return typeof error === "object" && error !== null ? identityText(error.constructor?.name || "Object") : typeof error;
  } catch {
    return "unknown";
  }
}

/** What a span records of a failure: every text capped and scrubbed of credentials, no reference to the error kept. */
export interface FailureRecord {
  type: string;
  /** `Name: message`; for a cancellation, what the abort was given as its reason when the error carries it (`cause`). */
  reason: string;
  exception: Exception;
}

/** The span status message of a failure. */
export function statusMessage(reason: string, cancelled: boolean): string {
  return cancelled ? `cancelled: ${reason}` : reason;
}

/** V8 stacks repeat the message before the frames: it is cut on its own so that frames survive a huge message. */
const FRAMES_START = /\n\s+at /;

export function failureRecord(error: unknown, cancelled: boolean, maxLength: number): FailureRecord {
  const type = errorType(error, cancelled);
  const described = cleanText(describeError(error), maxLength).text;
  const exception: Exception = { name: type, message: described };
  let reason = described;
  try {
    if (error instanceof Error) {
      exception.name = errorType(error, false);
      exception.message = cleanText(String(error.message), maxLength).text;
      if (typeof error.stack === "string") exception.stack = stackText(error.stack, maxLength);
      // Node's AbortError keeps the abort's reason as its cause.
      if (cancelled && error.cause !== undefined) reason = cleanText(describeError(error.cause), maxLength).text;
    }
  } catch {
    // a throwing getter on the error: the status message stands for it
  }
  return { type, reason, exception };
}

function stackText(stack: string, maxLength: number): string {
  const framesAt = stack.search(FRAMES_START);
  if (framesAt < 0) return cleanText(stack, maxLength).text;
  const header = cleanText(stack.slice(0, framesAt), maxLength).text;
  return header + cleanText(stack.slice(framesAt), maxLength).text;
}
