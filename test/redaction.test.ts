import { describe, expect, it } from "vitest";
import { isSecretKey, REDACTED, scrubSecrets } from "../src/redaction.js";
import { toPayload } from "../src/payload.js";

/** Names that hold credentials, in the spellings apps, SDKs, env dumps and HTTP headers use. */
const SECRET_NAMES = [
  "apiKey", "api_key", "API_KEY", "api-key", "x-api-key", "X-API-KEY", "openAIApiKey", "anthropicApiKey", "OPENAI_API_KEY",
  "apikey", "dd-api-key", "x-goog-api-key", "token", "Token", "api_token", "apiToken", "github_token", "GITHUB_TOKEN",
  "hf_token", "HF_TOKEN", "id_token", "idToken", "access_token", "accessToken", "refresh_token", "refreshToken",
  "session_token", "sessionToken", "auth_token", "bearer_token", "x-amz-security-token", "x-auth-token", "csrf_token",
  "password", "Password", "PASSWORD", "db_password", "dbPassword", "passwd", "pwd", "passphrase", "keyPassphrase",
  "secret", "client_secret", "clientSecret", "secretAccessKey", "aws_secret_access_key", "AWS_SECRET_ACCESS_KEY",
  "secret_key", "secretKey", "webhook_secret", "private_key", "privateKey", "PRIVATE_KEY", "access_key", "accessKey",
  "license_key", "NEW_RELIC_LICENSE_KEY", "licenseKey", "subscription_key", "ocp-apim-subscription-key",
  "Ocp-Apim-Subscription-Key", "signing_key", "encryption_key", "master_key", "account_key", "AccountKey",
  "SharedAccessKey", "authorization", "Authorization", "proxy-authorization", "auth", "basic_auth", "x-honeycomb-team",
  "x-functions-key", "cookie", "Cookie", "set-cookie", "Set-Cookie", "cookies", "credentials", "credential",
  "google_application_credentials", "signature", "x-amz-signature", "sessionid", "JSESSIONID",
];

/** Names that look close but hold counts, ids or content: they must stay readable. */
const PLAIN_NAMES = [
  "max_tokens", "maxTokens", "max_completion_tokens", "input_tokens", "output_tokens", "total_tokens", "token_count",
  "tokenCount", "tokens", "prompt_tokens", "tokenizer", "token_usage", "tokenUsage", "keywords", "keyword", "key",
  "primary_key", "primaryKey", "sort_key", "partition_key", "cache_key", "cacheKey", "idempotency_key", "key_id",
  "keys", "author", "authors", "authority", "session_id", "sessionId", "thread_id", "user_id", "model", "model_name",
  "temperature", "top_p", "stop", "messages", "content", "name", "description", "passenger", "compass", "bypass",
  "secretary_name", "cookbook", "signal", "signed", "credit", "monkey", "turkey", "hotkey", "keyboard",
];

describe("credential key names", () => {
  it("has a table of at least 75 names each way", () => {
    expect(SECRET_NAMES.length).toBeGreaterThanOrEqual(75);
    expect(PLAIN_NAMES.length).toBeGreaterThanOrEqual(50);
  });

  it.each(SECRET_NAMES)("redacts %s", (name) => {
    expect(isSecretKey(name)).toBe(true);
  });

  it.each(PLAIN_NAMES)("keeps %s", (name) => {
    expect(isSecretKey(name)).toBe(false);
  });
});

describe("credential-shaped text", () => {
  it.each([
    ["Incorrect API key provided: sk-proj-AbCdEf0123456789xyzXYZ. You can find your API key at ...", "sk-proj-AbCdEf0123456789xyzXYZ"],
    ["anthropic said: invalid x-api-key sk-ant-api03-Zz9Yy8Xx7Ww6Vv5Uu4", "sk-ant-api03-Zz9Yy8Xx7Ww6Vv5Uu4"],
    ["GET https://api.example.com/v1/search?q=cats&api_key=abc123secretvalue&page=2 failed", "abc123secretvalue"],
    ["env dump: OPENAI_API_KEY=sk-live-notreally HOME=/root", "sk-live-notreally"],
    ["connect ECONNREFUSED postgres://app:hunter2hunter2@db.internal:5432/app", "hunter2hunter2"],
    ["headers: { Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.payload123.sig456' }", "eyJhbGciOiJIUzI1NiJ9"],
    ["Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="],
    ['{"password": "correct horse battery staple", "user": "ada"}', "correct horse battery staple"],
    ["token=ghp_0123456789abcdefghijABCDEFGHIJ", "ghp_0123456789abcdefghijABCDEFGHIJ"],
    ["hf_AbCdEfGhIjKlMnOpQrStUv in the log", "hf_AbCdEfGhIjKlMnOpQrStUv"],
    ["aws: AKIAIOSFODNN7EXAMPLE with key", "AKIAIOSFODNN7EXAMPLE"],
    ["DefaultEndpointsProtocol=https;AccountName=acc;AccountKey=Zm9vYmFyYmF6cXV4;EndpointSuffix=core", "Zm9vYmFyYmF6cXV4"],
    // Every shape on its own, with no key name or header around it.
    ["charge failed with sk_live_51HxYzAbCdEf0123", "sk_live_51HxYzAbCdEf0123"],
    ["clone with github_pat_11ABCDEFG0123456789_abcdefghij", "github_pat_11ABCDEFG0123456789_abcdefghij"],
    ["gitlab glpat-AbCdEf0123456789xyz rejected", "glpat-AbCdEf0123456789xyz"],
    ["slack xoxb-1234567890-abcdefghij ok", "xoxb-1234567890-abcdefghij"],
    ["temporary ASIAIOSFODNN7EXAMPLE expired", "ASIAIOSFODNN7EXAMPLE"],
    ["maps AIzaSyA1234567890abcdefghijklmnopqrstu denied", "AIzaSyA1234567890abcdefghijklmnopqrstu"],
    ["jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlMTIz in cookie", "eyJzdWIiOiIxMjM0In0"],
    ["sent bearer abc123.def456-ghi to upstream", "abc123.def456-ghi"],
    ["PROXY-AUTHORIZATION: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="],
  ])("scrubs %s", (text, secret) => {
    const scrubbed = scrubSecrets(text);
    expect(scrubbed).not.toContain(secret);
    expect(scrubbed).toContain(REDACTED);
  });

  it("leaves ordinary text alone", () => {
    for (const text of [
      "The bearer of this letter is welcome.",
      "Basic information about the plan: 3 seats.",
      "max_tokens: 256, temperature: 0.2",
      "see https://example.com/docs/keys for details",
      "author: Ada Lovelace",
    ]) {
      expect(scrubSecrets(text)).toBe(text);
    }
  });

  it("parses JSON text and redacts nested credentials like an object's, keeping the rest", () => {
    const toolArguments = JSON.stringify({ user: "ada", credentials: { user: "ada", pass: "p@ss-word-1" }, api_key: "k-123" });
    const payload = toPayload(toolArguments, 10_000);
    expect(JSON.parse(payload.text)).toEqual({ user: "ada", credentials: REDACTED, api_key: REDACTED });
    // Text without credentials keeps its exact form (no re-serialisation).
    const plain = '{"query":  "refund policy", "limit": 12345678901234567890}';
    expect(toPayload(plain, 10_000).text).toBe(plain);
  });
});
