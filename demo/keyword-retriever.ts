/**
 * A retriever over a few in-memory documents, ranked by how many query words each contains.
 * Offline and deterministic, but a real `BaseRetriever`: it emits retriever runs like any other.
 */
import type { CallbackManagerForRetrieverRun } from "@langchain/core/callbacks/manager";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { BaseRetriever, type BaseRetrieverInput } from "@langchain/core/retrievers";

export interface KeywordRetrieverFields extends BaseRetrieverInput {
  documents: DocumentInterface[];
  /** How many documents to return at most. Default 2. */
  topK?: number;
}

export class KeywordRetriever extends BaseRetriever {
  override lc_namespace = ["langchain_otel", "demo", "retrievers"];
  readonly documents: DocumentInterface[];
  readonly topK: number;

  static override lc_name(): string {
    return "KeywordRetriever";
  }

  constructor(fields: KeywordRetrieverFields) {
    super(fields);
    this.documents = fields.documents;
    this.topK = fields.topK ?? 2;
  }

  override async _getRelevantDocuments(query: string, _runManager?: CallbackManagerForRetrieverRun): Promise<DocumentInterface[]> {
    const queryWords = new Set(words(query));
    return this.documents
      .map((document) => ({ document, score: words(document.pageContent).filter((word) => queryWords.has(word)).length }))
      .filter(({ score }) => score > 0)
      .sort((a, b) => b.score - a.score) // stable: ties keep document order
      .slice(0, this.topK)
      .map(({ document, score }) => new Document({ ...document, metadata: { ...document.metadata, score } }));
  }
}

const STOP_WORDS = new Set(["the", "and", "for", "per", "does", "what", "with", "our", "are", "how", "can", "you", "your"]);

function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((word) => word.length > 2 && !STOP_WORDS.has(word));
}
