import { AsyncLocalStorage } from "node:async_hooks";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import type { Context, ContextManager } from "@opentelemetry/api";
import { currentRunId, isWithinRun, openRunContext, RUN_ID_KEY } from "./run-context.js";

/**
 * An OpenTelemetry context manager that makes a LangChain run's span the active one inside that
 * run's body, so the spans the app's own code starts there (HTTP, database, `startActiveSpan`)
 * nest under it. It wraps the context manager you would use anyway and changes nothing outside
 * LangChain runs:
 *
 * ```ts
 * new NodeSDK({ contextManager: new LangChainContextManager(new AsyncLocalStorageContextManager()) });
 * ```
 *
 * `active()` is the base manager's context, unless the code runs inside an open run's body and
 * that context was not set more specifically inside the run (a span the user made active there
 * wins, and nests under the run). Runs come from every `OpenTelemetryCallbackHandler`; a run
 * that ended or was swept is never returned.
 */
export class LangChainContextManager implements ContextManager {
  constructor(private readonly base: ContextManager) {
    if (typeof base?.active !== "function" || typeof base.with !== "function") {
      throw new TypeError(
        "LangChainContextManager: pass the context manager to wrap, e.g. new LangChainContextManager(new AsyncLocalStorageContextManager()).",
      );
    }
    // LangChain keeps the current run's config in this storage, but creates it only when
    // @langchain/langgraph or @langchain/core/context is loaded; theirs would be the same kind.
    AsyncLocalStorageProviderSingleton.initializeGlobalInstance(new AsyncLocalStorage());
  }

  active(): Context {
    const baseContext = this.base.active();
    const runId = currentRunId(baseContext);
    if (runId === undefined) return baseContext;
    const setWithinRun = baseContext.getValue(RUN_ID_KEY);
    if (typeof setWithinRun === "string" && isWithinRun(setWithinRun, runId)) return baseContext;
    return openRunContext(runId) ?? baseContext;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.base.with(context, fn, thisArg, ...args);
  }

  bind<T>(context: Context, target: T): T {
    return this.base.bind(context, target);
  }

  enable(): this {
    this.base.enable();
    return this;
  }

  disable(): this {
    this.base.disable();
    return this;
  }
}
