export { OpenTelemetryCallbackHandler } from "./handler.js";
export type { OpenTelemetryCallbackHandlerOptions } from "./options.js";
