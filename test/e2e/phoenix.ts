/**
 * Arize Phoenix for the e2e tests, as a consumer that parses what we send: `phoenix serve` from
 * the venv scripts/phoenix.sh installs (pinned, cached outside the repo), on free loopback ports
 * with a fresh working directory, always stopped again; and a client of its GraphQL API (the one
 * its UI reads), which returns what Phoenix made of our spans.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT } from "../stack-files.js";
import { freeLoopbackPorts, ServiceProcess } from "./stack.js";

const LOOPBACK = "127.0.0.1";

export interface PhoenixService {
  process: ServiceProcess;
  /** `http://127.0.0.1:<port>`: UI, GraphQL, and OTLP/HTTP at /v1/traces. */
  baseUrl: string;
  query: PhoenixQuery;
  stop(): Promise<void>;
}

/** Path of the `phoenix` script scripts/phoenix.sh installed; fails with its message when missing. */
export function locatePhoenix(): string {
  const result = spawnSync("bash", [join(REPO_ROOT, "scripts/phoenix.sh"), "--paths"], { encoding: "utf8" });
  const path = /^PHOENIX_BIN=(.+)$/m.exec(result.stdout)?.[1];
  if (result.status !== 0 || path === undefined) throw new Error(`scripts/phoenix.sh --paths failed: ${result.stderr.trim() || result.error?.message}`);
  return path;
}

export async function startPhoenix(): Promise<PhoenixService> {
  const binary = locatePhoenix();
  const [httpPort, grpcPort] = (await freeLoopbackPorts(2)) as [number, number];
  const workingDir = mkdtempSync(join(tmpdir(), "langchain-otel-phoenix-"));
  const phoenix = ServiceProcess.start("phoenix", binary, ["serve"], {
    PHOENIX_WORKING_DIR: workingDir,
    PHOENIX_HOST: LOOPBACK,
    PHOENIX_PORT: String(httpPort),
    PHOENIX_GRPC_PORT: String(grpcPort),
    PHOENIX_TELEMETRY_ENABLED: "false",
  });
  const baseUrl = `http://${LOOPBACK}:${httpPort}`;
  const stop = async () => {
    await phoenix.stop();
    rmSync(workingDir, { recursive: true, force: true });
  };
  try {
    // A cold start migrates its SQLite database first.
    await phoenix.waitHealthy(`${baseUrl}/healthz`, 120_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { process: phoenix, baseUrl, query: new PhoenixQuery(baseUrl), stop };
}

/** A span as Phoenix parsed it; `attributes` is Phoenix's nested form (`llm.input_messages` an array). */
export interface PhoenixSpan {
  /** Phoenix's GraphQL node id (the UI's `selectedSpanNodeId`). */
  id: string;
  name: string;
  spanKind: string;
  spanId: string;
  parentId: string | null;
  traceId: string;
  tokenCountPrompt: number | null;
  tokenCountCompletion: number | null;
  numDocuments: number | null;
  input: { value: string; mimeType: string } | null;
  output: { value: string; mimeType: string } | null;
  attributes: PhoenixAttributes;
}

export type PhoenixAttributes = Record<string, unknown> & {
  llm?: {
    input_messages?: PhoenixMessage[];
    output_messages?: PhoenixMessage[];
    tools?: Array<{ tool?: { json_schema?: string } }>;
    prompt_template?: { template?: string; variables?: unknown };
    token_count?: { prompt?: number; completion?: number; total?: number };
  };
  retrieval?: { documents?: Array<{ document?: { content?: string; id?: string } }> };
  tool?: { name?: string; description?: string; parameters?: string };
  session?: { id?: string };
};

export interface PhoenixMessage {
  message?: {
    role?: string;
    content?: string;
    tool_call_id?: string;
    tool_calls?: Array<{ tool_call?: { id?: string; function?: { name?: string; arguments?: string } } }>;
  };
}

export interface PhoenixSession {
  sessionId: string;
  numTraces: number;
  firstInput: { value: string } | null;
  lastOutput: { value: string } | null;
  tokenUsage: { prompt: number; completion: number; total: number };
}

interface RawSpan extends Omit<PhoenixSpan, "attributes" | "traceId"> {
  attributes: string;
  context: { traceId: string };
}

/** Client of Phoenix's GraphQL API (`/graphql`). */
export class PhoenixQuery {
  constructor(readonly baseUrl: string) {}

  async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(`${this.baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { data?: T; errors?: Array<{ message: string }> };
    if (!response.ok || body.errors || body.data === undefined) {
      throw new Error(`Phoenix GraphQL: HTTP ${response.status} ${JSON.stringify(body.errors ?? body)}`);
    }
    return body.data;
  }

  /** The GraphQL id of the project (`openinference.project.name`), or undefined before its first span. */
  async projectId(name: string): Promise<string | undefined> {
    const data = await this.graphql<{ projects: { edges: Array<{ node: { id: string; name: string } }> } }>(
      "{ projects(first: 100) { edges { node { id name } } } }",
    );
    return data.projects.edges.find((edge) => edge.node.name === name)?.node.id;
  }

  /** Every span of the project, once `isComplete` says they are all in (Phoenix ingests asynchronously). */
  async waitForSpans(projectName: string, isComplete: (spans: PhoenixSpan[]) => boolean, timeoutMs = 30_000): Promise<PhoenixSpan[]> {
    const deadline = Date.now() + timeoutMs;
    let spans: PhoenixSpan[] = [];
    while (Date.now() < deadline) {
      spans = await this.spans(projectName);
      if (isComplete(spans)) return spans;
      await sleep(250);
    }
    throw new Error(`Phoenix project "${projectName}": spans incomplete after ${timeoutMs} ms: ${spans.map((span) => span.name).join(", ")}`);
  }

  async spans(projectName: string): Promise<PhoenixSpan[]> {
    const id = await this.projectId(projectName);
    if (id === undefined) return [];
    const data = await this.graphql<{ node: { spans: { edges: Array<{ node: RawSpan }> } } }>(
      `query ($id: ID!) { node(id: $id) { ... on Project { spans(first: 1000) { edges { node {
        id name spanKind spanId parentId context { traceId } tokenCountPrompt tokenCountCompletion numDocuments
        input { value mimeType } output { value mimeType } attributes
      } } } } } }`,
      { id },
    );
    return data.node.spans.edges.map(({ node: { attributes, context, ...span } }) => ({
      ...span,
      traceId: context.traceId,
      attributes: JSON.parse(attributes) as PhoenixAttributes,
    }));
  }

  async sessions(projectName: string): Promise<PhoenixSession[]> {
    const id = await this.projectId(projectName);
    if (id === undefined) return [];
    const data = await this.graphql<{ node: { sessions: { edges: Array<{ node: PhoenixSession }> } } }>(
      `query ($id: ID!) { node(id: $id) { ... on Project { sessions(first: 100) { edges { node {
        sessionId numTraces firstInput { value } lastOutput { value } tokenUsage { prompt completion total }
      } } } } } }`,
      { id },
    );
    return data.node.sessions.edges.map((edge) => edge.node);
  }

  /** The UI page of one trace, with `span` selected in it (what the screenshot shows). */
  async traceUrl(projectName: string, traceId: string, span?: PhoenixSpan): Promise<string> {
    const id = await this.projectId(projectName);
    const selected = span === undefined ? "" : `?${new URLSearchParams({ selectedSpanNodeId: span.id })}`;
    return `${this.baseUrl}/projects/${id}/traces/${traceId}${selected}`;
  }
}
