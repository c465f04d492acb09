import type { Attributes } from "@opentelemetry/api";
import {
  GEN_AI_DATA_SOURCE_ID,
  GEN_AI_OPERATION_NAME,
  INPUT_MIME_TYPE,
  INPUT_VALUE,
  OPENINFERENCE_SPAN_KIND,
  OUTPUT_MIME_TYPE,
  OUTPUT_VALUE,
  RETRIEVAL_DOCUMENTS,
} from "../attribute-names.js";
import { cleanText, textPayload } from "../payload.js";
import { asNumber, asRecord, asString, putPayload, putValue } from "./content.js";

/** Flattened documents cost four attributes each; spans hold 128 by default. */
export const MAX_FLATTENED_DOCUMENTS = 16;

export interface RetrieverStart {
  name: string;
  query: unknown;
}

export function retrieverStartAttributes(start: RetrieverStart): Attributes {
  return {
    [GEN_AI_OPERATION_NAME]: "retrieval",
    [OPENINFERENCE_SPAN_KIND]: "RETRIEVER",
    [GEN_AI_DATA_SOURCE_ID]: start.name,
  };
}

/** A recorded retrieval's query. */
export function retrieverStartContent(start: RetrieverStart, maxContentLength: number): Attributes {
  const attributes: Attributes = {};
  if (typeof start.query === "string") putPayload(attributes, INPUT_VALUE, textPayload(start.query, maxContentLength), INPUT_MIME_TYPE);
  return attributes;
}

/** Documents as OpenInference `retrieval.documents.{i}.document.*`. */
export function retrieverEndAttributes(documents: unknown, captureContent: boolean, maxContentLength: number): Attributes {
  const attributes: Attributes = {};
  if (!captureContent || !Array.isArray(documents)) return attributes;
  // Phoenix shows a span's output from `output.value`; the documents are its output.
  putValue(attributes, OUTPUT_VALUE, documents, maxContentLength, OUTPUT_MIME_TYPE);
  documents.slice(0, MAX_FLATTENED_DOCUMENTS).forEach((document, index) => {
    const fields = asRecord(document);
    const base = `${RETRIEVAL_DOCUMENTS}.${index}.document`;
    const content = asString(fields?.["pageContent"]) ?? "";
    attributes[`${base}.content`] = cleanText(content, maxContentLength).text;
    const id = asString(fields?.["id"]);
    if (id !== undefined) attributes[`${base}.id`] = id;
    const metadata = asRecord(fields?.["metadata"]);
    if (metadata !== undefined && Object.keys(metadata).length > 0) {
      putValue(attributes, `${base}.metadata`, metadata, maxContentLength);
      const score = asNumber(metadata["score"] ?? metadata["relevance_score"]);
      if (score !== undefined) attributes[`${base}.score`] = score;
    }
  });
  return attributes;
}
