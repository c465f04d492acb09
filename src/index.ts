export { OpenTelemetryCallbackHandler } from "./handler.js";
export type { OpenTelemetryCallbackHandlerOptions } from "./options.js";
export { LangChainContextManager } from "./context-manager.js";
export { getRunContext, getRunSpan, type RunReference } from "./run-context.js";
