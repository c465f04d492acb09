/**
 * A stand-in for a model provider's HTTP API, on a loopback port: the demo's scripted model
 * sends each call's request here, so the trace shows the HTTP call a real integration makes
 * (under its `chat` span, with `LangChainContextManager`). The script, not this server, decides
 * the reply: the demo stays offline.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ModelEndpoint {
  /** Where the scripted model POSTs its requests. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startModelEndpoint(): Promise<ModelEndpoint> {
  const server = createServer((request, response) => {
    request.resume().on("end", () => response.setHeader("content-type", "application/json").end('{"accepted":true}'));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
