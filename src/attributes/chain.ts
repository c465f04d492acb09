import type { Attributes } from "@opentelemetry/api";
import {
  GEN_AI_OPERATION_NAME,
  INPUT_MIME_TYPE,
  INPUT_VALUE,
  OPENINFERENCE_SPAN_KIND,
  OUTPUT_MIME_TYPE,
  OUTPUT_VALUE,
} from "../attribute-names.js";
import { asRecord, putValue } from "./content.js";

/** A compiled LangGraph graph serializes as ["langgraph", "pregel", "CompiledStateGraph"]. */
export function isGraph(serialized: unknown): boolean {
  const id = asRecord(serialized)?.["id"];
  return Array.isArray(id) && id[0] === "langgraph" && /^(Compiled\w*Graph|Pregel)$/.test(String(id[id.length - 1]));
}

/** Graphs are workflows (`invoke_workflow LangGraph`); other chains and graph nodes go by the run's name. */
export function chainSpanName(name: string, graph: boolean): string {
  return graph ? `invoke_workflow ${name}` : name;
}

export function chainStartAttributes(graph: boolean, inputs: unknown, captureContent: boolean, maxContentLength: number): Attributes {
  const attributes: Attributes = { [OPENINFERENCE_SPAN_KIND]: "CHAIN" };
  if (graph) attributes[GEN_AI_OPERATION_NAME] = "invoke_workflow";
  if (captureContent) putChainInput(attributes, inputs, maxContentLength);
  return attributes;
}

export function putChainInput(attributes: Attributes, inputs: unknown, maxContentLength: number): void {
  putValue(attributes, INPUT_VALUE, inputs, maxContentLength, INPUT_MIME_TYPE);
}

export function chainEndAttributes(outputs: unknown, captureContent: boolean, maxContentLength: number): Attributes {
  const attributes: Attributes = {};
  if (captureContent) putValue(attributes, OUTPUT_VALUE, outputs, maxContentLength, OUTPUT_MIME_TYPE);
  return attributes;
}
