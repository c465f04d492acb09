/**
 * Which span exporters `setupTracing` builds when the code gives none, read from the same
 * environment variables as `@opentelemetry/sdk-node`:
 * - `OTEL_SDK_DISABLED=true`: no tracing at all.
 * - `OTEL_TRACES_EXPORTER`: comma-separated `otlp` (default), `console`, `none`.
 * - `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`: `http/protobuf`
 *   (default, as the OTel spec and the Node SDK say), `http/json` or `grpc`.
 * Each protocol has its own exporter package, an optional peer loaded only when asked for.
 */
import { diag } from "@opentelemetry/api";
import { ConsoleSpanExporter, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { peerRequire } from "./peer-require.js";

type Env = Record<string, string | undefined>;

/** OTLP protocols and the package whose `OTLPTraceExporter` speaks each. */
export const OTLP_EXPORTER_PACKAGES = {
  "http/protobuf": "@opentelemetry/exporter-trace-otlp-proto",
  "http/json": "@opentelemetry/exporter-trace-otlp-http",
  grpc: "@opentelemetry/exporter-trace-otlp-grpc",
} as const;
export type OtlpProtocol = keyof typeof OTLP_EXPORTER_PACKAGES;
export const DEFAULT_OTLP_PROTOCOL: OtlpProtocol = "http/protobuf";

const TRACES_EXPORTER_NAMES = ["otlp", "console", "none"] as const;

/** OTel's rule for boolean variables: only "true" (any case) is true. */
export function sdkDisabledFromEnv(env: Env = process.env): boolean {
  const raw = env.OTEL_SDK_DISABLED?.trim().toLowerCase();
  if (raw && raw !== "true" && raw !== "false") {
    diag.warn(`langchain-otel: OTEL_SDK_DISABLED="${env.OTEL_SDK_DISABLED}" is not "true" or "false"; tracing stays on.`);
  }
  return raw === "true";
}

/**
 * The OTLP protocol the environment asks for a signal (`OTEL_EXPORTER_OTLP_{signal}_PROTOCOL`,
 * else `OTEL_EXPORTER_OTLP_PROTOCOL`), and the variable that asked (for error messages).
 *
 * @throws TypeError naming the variable, for a value that is no OTLP protocol.
 */
export function otlpProtocolFromEnv(env: Env = process.env, signal: "TRACES" | "METRICS" = "TRACES"): { protocol: OtlpProtocol; setBy: string | undefined } {
  for (const variable of [`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`, "OTEL_EXPORTER_OTLP_PROTOCOL"]) {
    const raw = env[variable]?.trim();
    if (!raw) continue;
    if (!Object.hasOwn(OTLP_EXPORTER_PACKAGES, raw)) {
      throw new TypeError(
        `setupTracing: ${variable}="${raw}" is not an OTLP protocol; use ${Object.keys(OTLP_EXPORTER_PACKAGES).join(", ")} (default ${DEFAULT_OTLP_PROTOCOL}).`,
      );
    }
    return { protocol: raw as OtlpProtocol, setBy: variable };
  }
  return { protocol: DEFAULT_OTLP_PROTOCOL, setBy: undefined };
}

/**
 * The exporters `OTEL_TRACES_EXPORTER` names (none for `none`), each configured by its own
 * `OTEL_EXPORTER_OTLP_*` variables.
 *
 * @throws TypeError naming the variable, for an unknown exporter or protocol, and naming the
 *   package to install when the protocol's exporter package is missing.
 */
export function traceExportersFromEnv(env: Env = process.env, requirePeer: NodeJS.Require = peerRequire): SpanExporter[] {
  const names = (env.OTEL_TRACES_EXPORTER ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
  for (const name of names) {
    if (!(TRACES_EXPORTER_NAMES as readonly string[]).includes(name)) {
      throw new TypeError(
        `setupTracing: OTEL_TRACES_EXPORTER names "${name}"; this set-up knows ${TRACES_EXPORTER_NAMES.join(", ")}. ` +
          "For another exporter, pass it in code: setupTracing({ traceExporter }).",
      );
    }
  }
  if (names.includes("none")) return [];
  const wanted = names.length === 0 ? ["otlp"] : [...new Set(names)];
  return wanted.map((name) => (name === "console" ? new ConsoleSpanExporter() : otlpTraceExporter(env, requirePeer)));
}

function otlpTraceExporter(env: Env, requirePeer: NodeJS.Require): SpanExporter {
  const { protocol, setBy } = otlpProtocolFromEnv(env);
  const packageName = OTLP_EXPORTER_PACKAGES[protocol];
  let exporterModule: { OTLPTraceExporter: new () => SpanExporter };
  try {
    exporterModule = requirePeer(packageName) as typeof exporterModule;
  } catch (error) {
    if (!isMissing(error, packageName)) throw error;
    const reason = setBy ? `${setBy} is "${protocol}"` : `OTLP over ${protocol} is the default protocol`;
    const otherChoices = Object.keys(OTLP_EXPORTER_PACKAGES).filter((other) => other !== protocol);
    throw new Error(
      `setupTracing: ${reason}, which needs the optional peer dependency ${packageName}: ` +
        `run \`npm install ${packageName}\`, or set OTEL_EXPORTER_OTLP_PROTOCOL to ${otherChoices.join(" or ")} ` +
        "with its package installed.",
      { cause: error },
    );
  }
  return new exporterModule.OTLPTraceExporter();
}

/** The package itself is not installed (not: it is there but one of its own imports fails). */
function isMissing(error: unknown, packageName: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === "MODULE_NOT_FOUND" && typeof message === "string" && message.includes(`'${packageName}'`);
}
