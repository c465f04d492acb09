import type { Span } from "@opentelemetry/api";
import { agentAttributes } from "./attributes/chain.js";
import { identityText } from "./attributes/limits.js";

/**
 * LangGraph graphs that turn out to be agents. `createReactAgent` and hand-built tool-calling
 * graphs look like any other graph when they start; the first model call in them that is
 * offered tools shows what they are, and their span (still open) is renamed
 * `invoke_agent {name}` and labelled as an agent. Weakly held: ended spans are not kept.
 */
export class GraphAgents {
  private readonly graphs = new WeakMap<Span, { name: string; agent: boolean }>();

  graphStarted(span: Span, name: string, agent: boolean): void {
    this.graphs.set(span, { name: identityText(name), agent });
  }

  /**
   * A model was offered tools inside these runs (nearest first): the nearest graph is an
   * agent. Returns its span when this call made it one.
   */
  modelOfferedTools(ancestors: Iterable<Span>): Span | undefined {
    for (const span of ancestors) {
      const graph = this.graphs.get(span);
      if (graph === undefined) continue;
      if (graph.agent) return undefined;
      graph.agent = true;
      span.updateName(`invoke_agent ${graph.name}`);
      span.setAttributes(agentAttributes(graph.name, undefined));
      return span;
    }
    return undefined;
  }
}
