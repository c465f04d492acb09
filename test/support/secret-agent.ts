/**
 * Planted secrets for the canary sweeps of the tests and the benchmark's fault figures: an agent
 * that passes credentials to a tool, gets tokens back as JSON text, and hits an error that
 * quotes keys, URLs with passwords and an environment dump.
 */
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { ScriptedChatModel } from "../../demo/scripted-chat-model.js";
import { buildToolCallingAgent } from "../../demo/tool-calling-agent.js";

/** Credential-shaped canaries: none may appear in any span, with content on or off. */
export const CANARIES = {
  password: "canary-password-1",
  apiKey: "canary-api-key-2",
  sessionToken: "canary-session-token-3",
  token: "canary-token-4",
  providerKey: "sk-proj-canary0000000000005",
  urlKey: "canary-url-key-6",
  envKey: "canary-env-key-7",
  urlPassword: "canary-db-password-8",
};

/** An agent that calls a login tool with credentials, gets tokens back, and hits a provider error that quotes keys. */
export function secretAgent() {
  const login = tool(async () => JSON.stringify({ ok: true, session_token: CANARIES.sessionToken, token: CANARIES.token }), {
    name: "login",
    description: "Log in.",
    schema: z.object({ username: z.string(), password: z.string(), api_key: z.string() }),
  });
  const fetchPage = tool(
    async () => {
      throw new Error(
        `401 Incorrect API key provided: ${CANARIES.providerKey}. GET https://api.example.com/v1?q=x&api_key=${CANARIES.urlKey} ` +
          `(env OPENAI_API_KEY=${CANARIES.envKey}) via postgres://app:${CANARIES.urlPassword}@db:5432`,
      );
    },
    { name: "fetch_page", description: "Fetch.", schema: z.object({ url: z.string() }) },
  );
  const model = new ScriptedChatModel({
    modelName: "m",
    script: (messages) =>
      messages.some((m) => m.type === "tool")
        ? { text: "done" }
        : {
            toolCalls: [
              { id: "c1", name: "login", args: { username: "ada", password: CANARIES.password, api_key: CANARIES.apiKey } },
              { id: "c2", name: "fetch_page", args: { url: "https://example.com" } },
            ],
          },
  });
  return buildToolCallingAgent({ model, tools: [login, fetchPage] });
}
