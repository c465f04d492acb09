import { ERROR_TYPE_CANCELLED } from "../attribute-names.js";
import { describeError } from "../payload.js";

/** AbortSignal aborts reject with an AbortError (or LangChain's `Error("Aborted")`), timeouts with a TimeoutError. */
export function isCancellation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { name, message } = error as { name?: unknown; message?: unknown };
  return name === "AbortError" || name === "TimeoutError" || message === "Aborted" || message === "AbortError";
}

/** Low-cardinality `error.type`: the exception's class name, or `cancelled`. */
export function errorType(error: unknown): string {
  if (isCancellation(error)) return ERROR_TYPE_CANCELLED;
  if (error instanceof Error) return error.name && error.name !== "Error" ? error.name : error.constructor?.name || "Error";
  return typeof error === "object" && error !== null ? error.constructor?.name || "Object" : typeof error;
}

/** A real Error to hand to `span.recordException`, whatever was thrown. */
export function asException(error: unknown): Error | string {
  return error instanceof Error ? error : describeError(error);
}
