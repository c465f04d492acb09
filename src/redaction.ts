/**
 * What counts as a secret, in one place: key names that hold credentials, and credential-shaped
 * text (provider keys, bearer tokens, URL passwords, `api_key=...` pairs) inside any string we
 * record: payloads, error messages and stack traces alike. Pure and never-throwing.
 */

export const REDACTED = "[REDACTED]";

/** Name parts that hold a credential wherever they stand: `client_secret`, `db_password`, `auth`, `set_cookie`. */
const SECRET_PARTS = new Set([
  "secret",
  "secrets",
  "password",
  "passwd",
  "pwd",
  "passphrase",
  "auth",
  "authorization",
  "authentication",
  "cookie",
  "cookies",
  "credential",
  "credentials",
  "signature",
  "apikey",
  "privatekey",
  "sessionid",
  "jsessionid",
  "phpsessid",
]);

/** `…_key` is a credential only after one of these: `api_key`, `access_key`, `license_key`; `primary_key` is not. */
const KEY_QUALIFIERS = new Set([
  "api",
  "access",
  "private",
  "secret",
  "license",
  "licence",
  "subscription",
  "signing",
  "encryption",
  "master",
  "client",
  "account",
  "app",
  "consumer",
  "service",
  "functions",
  "ingest",
  "session",
  "shared",
  "admin",
  "write",
  "webhook",
]);

/** Vendor header names that carry an API key under a name of their own. */
const SECRET_NAMES = new Set(["x_honeycomb_team", "x_functions_key", "x_sentry_auth", "dd_api_key", "x_goog_api_key"]);

/** Splits `openAIApiKey`, `X-Api-Key`, `NEW_RELIC_LICENSE_KEY` into lower-case words. */
function nameParts(key: string): string[] {
  return key
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2") // openAIApiKey -> openAI_ApiKey
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2") // -> open_AI_Api_Key
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((part) => part !== "");
}

function namesSecret(key: string): boolean {
  const parts = nameParts(key);
  if (parts.length === 0) return false;
  if (SECRET_NAMES.has(parts.join("_"))) return true;
  const last = parts[parts.length - 1] as string;
  // A token is one credential (`id_token`, `x-amz-security-token`); `max_tokens` and `token_count` are counts.
  if (last === "token") return true;
  if (last === "key" && parts.length > 1 && KEY_QUALIFIERS.has(parts[parts.length - 2] as string)) return true;
  if (last === "key" && parts.length === 1) return false;
  return parts.some((part) => SECRET_PARTS.has(part));
}

/** Keys repeat across runs (metadata, messages, parameters): the answer per key is cached, within a bound. */
const secretKeyCache = new Map<string, boolean>();
const SECRET_KEY_CACHE_LIMIT = 4096;

/** Whether a key or header name holds a credential (`apiKey`, `set-cookie`, `aws_secret_access_key`, ...). */
export function isSecretKey(key: string): boolean {
  let secret = secretKeyCache.get(key);
  if (secret !== undefined) return secret;
  secret = key.length <= 128 && namesSecret(key);
  if (secretKeyCache.size >= SECRET_KEY_CACHE_LIMIT) secretKeyCache.clear();
  secretKeyCache.set(key, secret);
  return secret;
}

/** Credential formats that are secrets by their shape alone, whatever surrounds them. */
const CREDENTIAL_SHAPES = new RegExp(
  [
    String.raw`\b(?:sk|rk)-[A-Za-z0-9_-]{16,}`, // OpenAI, Anthropic (sk-ant-...), and the like
    String.raw`\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}`, // Stripe
    String.raw`\bgh[pousr]_[A-Za-z0-9]{20,}`, // GitHub tokens
    String.raw`\bgithub_pat_[A-Za-z0-9_]{20,}`,
    String.raw`\bglpat-[A-Za-z0-9_-]{16,}`, // GitLab
    String.raw`\bhf_[A-Za-z0-9]{20,}`, // Hugging Face
    String.raw`\bxox[abposr]-[A-Za-z0-9-]{10,}`, // Slack
    String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`, // AWS access key IDs
    String.raw`\bAIza[0-9A-Za-z_-]{30,}`, // Google API keys
    String.raw`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`, // JWTs
  ].join("|"),
  "g",
);

/** A bearer token anywhere (it holds a digit or symbol, so that "bearer information" stays prose). */
const BEARER_TOKEN = /\b(Bearer)(\s+)(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}/gi;

/** `Authorization: Basic dXNlcjpwYXNz`: the scheme stays, the credential goes. */
const AUTHORIZATION_HEADER = /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)([A-Za-z]+\s+)?[^\s"',;]+/gi;

/**
 * Each pattern above needs one of these (in any case): one pass rules most text out, where the
 * three passes cost about four times as much on short text.
 */
const MAY_HOLD_CREDENTIAL = /sk-|rk-|[srp]k_(?:live|test)_|gh[pousr]_|github_pat_|glpat-|hf_|xox[abposr]-|AKIA|ASIA|AIza|eyJ|bearer|authorization/i;

/** `https://user:password@host`: the user information goes. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi;

/**
 * `api_key=...`, `OPENAI_API_KEY=...`, `password: hunter2`, `"token": "..."`: the value of any
 * pair whose key names a credential. Quoted values are taken whole; JSON objects are not values
 * here. The value is only looked at (lookahead), so a pair that is not a secret's is no value
 * of another: in `dump: OPENAI_API_KEY=sk-...` the second pair is still found.
 */
const KEY_VALUE_PAIR = /(["']?)([A-Za-z_][\w.-]{0,63})\1\s*[=:]\s*(?=("[^"\\]*(?:\\.[^"\\]*)*"|'[^']*'|[^\s"'&;,{}[\]<>]+))/g;

function redactPairValues(text: string): string {
  let out = "";
  let copiedUpTo = 0;
  KEY_VALUE_PAIR.lastIndex = 0;
  for (let match = KEY_VALUE_PAIR.exec(text); match !== null; match = KEY_VALUE_PAIR.exec(text)) {
    const value = match[3] as string;
    if (!isSecretKey(match[2] as string)) continue;
    const valueStart = match.index + match[0].length;
    const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : "";
    out += text.slice(copiedUpTo, valueStart) + quote + REDACTED + quote;
    copiedUpTo = valueStart + value.length;
    KEY_VALUE_PAIR.lastIndex = copiedUpTo;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

/** Strings shorter than this cannot hold a credential worth the regex passes. */
const MIN_SCRUBBED_LENGTH = 8;

/**
 * The same short texts are scrubbed again and again (a message in the GenAI JSON and in the
 * flattened keys, the same state at every graph step, the same prompts each request), and the
 * passes cost far more per call than per character: short answers are cached, within a bound.
 */
const scrubbedCache = new Map<string, string>();
const SCRUBBED_CACHE_LIMIT = 1024;
const MAX_CACHED_LENGTH = 256;

/** Replaces credential-shaped substrings of `text` by `[REDACTED]`. Returns `text` itself when nothing matched. */
export function scrubSecrets(text: string): string {
  if (text.length < MIN_SCRUBBED_LENGTH) return text;
  if (text.length > MAX_CACHED_LENGTH) return scrubUncached(text);
  let scrubbed = scrubbedCache.get(text);
  if (scrubbed !== undefined) return scrubbed;
  scrubbed = scrubUncached(text);
  if (scrubbedCache.size >= SCRUBBED_CACHE_LIMIT) scrubbedCache.clear();
  // A copy of its own: `text` may be a slice that keeps a huge parent string alive.
  const key = (" " + text).slice(1);
  scrubbedCache.set(key, scrubbed === text ? key : scrubbed);
  return scrubbed;
}

function scrubUncached(text: string): string {
  let scrubbed = text;
  if (MAY_HOLD_CREDENTIAL.test(text)) {
    scrubbed = scrubbed.replace(CREDENTIAL_SHAPES, REDACTED);
    scrubbed = scrubbed.replace(BEARER_TOKEN, `$1$2${REDACTED}`);
    scrubbed = scrubbed.replace(AUTHORIZATION_HEADER, `$1$2${REDACTED}`);
  }
  if (scrubbed.includes("://")) scrubbed = scrubbed.replace(URL_USERINFO, `$1${REDACTED}@`);
  if (scrubbed.includes("=") || scrubbed.includes(":")) scrubbed = redactPairValues(scrubbed);
  return scrubbed;
}
