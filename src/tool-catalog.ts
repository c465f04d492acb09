/**
 * The tools offered to models, by trace: LangChain serializes `tool()` and
 * `DynamicStructuredTool` without their description, so a tool span takes it from the
 * definitions a model was offered earlier in the same trace. Bounded: the oldest traces go.
 */
export class ToolCatalog {
  private readonly byTrace = new Map<string, Array<ReadonlyMap<string, string>>>();

  constructor(private readonly maxTraces = 1024) {}

  remember(traceId: string | undefined, descriptions: ReadonlyMap<string, string>): void {
    if (traceId === undefined || descriptions.size === 0) return;
    const known = this.byTrace.get(traceId);
    if (known !== undefined) {
      // A bound model sends the same definitions on every call: they are kept once.
      if (!known.includes(descriptions)) known.unshift(descriptions);
      return;
    }
    if (this.byTrace.size >= this.maxTraces) this.byTrace.delete(this.byTrace.keys().next().value as string);
    this.byTrace.set(traceId, [descriptions]);
  }

  /** The description from the latest definitions that name the tool. */
  description(traceId: string | undefined, toolName: string): string | undefined {
    if (traceId === undefined) return undefined;
    for (const descriptions of this.byTrace.get(traceId) ?? []) {
      const description = descriptions.get(toolName);
      if (description !== undefined) return description;
    }
    return undefined;
  }
}
