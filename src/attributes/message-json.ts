import { cleanText, toPayload, type Payload } from "../payload.js";
import { elisionMessage, keptMessageIndices, withGaps, type GenAiMessage, type GenAiPart } from "./messages.js";

/**
 * `gen_ai.input.messages` / `gen_ai.output.messages` as JSON that is always whole and valid
 * against the spec's schema, however long the conversation: a message too long for the cap has
 * its long values cut inside the structure (each cut marked), and a conversation too long keeps
 * its system message(s), its first user message and its tail, with a marker message where the
 * middle was left out. The JSON text itself is never cut.
 */
export function messagesPayload(messages: readonly GenAiMessage[], maxLength: number, output = false): Payload {
  // Output messages require a finish_reason, the marker's too.
  const elision = (count: number) => (output ? { ...elisionMessage(count), finish_reason: "unknown" } : elisionMessage(count));
  const texts = messages.map((message) => messageJson(message, maxLength));
  let truncated = texts.some((text) => text.cut);
  const listLength = (indices: readonly number[]) => indices.reduce((sum, i) => sum + (texts[i]?.json.length ?? 0) + 1, 1);
  if (listLength(texts.map((_, i) => i)) <= maxLength) {
    return { text: `[${texts.map((text) => text.json).join(",")}]`, mimeType: "application/json", truncated };
  }
  truncated = true;
  const marker = JSON.stringify(elision(messages.length)).length + 1;
  const roles = messages.map((message) => message.role);
  const costs = () => texts.map((text) => text.json.length + 1);
  const markersLength = (indices: number[]) => withGaps(indices, messages.length).filter((item) => "elided" in item).length * marker;
  let kept = keptMessageIndices(roles, costs(), maxLength - 2, marker);
  if (listLength(kept) + markersLength(kept) > maxLength) {
    // The messages that must stay (system, first question, last) do not fit even alone: they
    // share the cap, the short ones whole and the long ones cut to what is left.
    const mustKeep = keptMessageIndices(roles, costs(), 0, marker).sort((a, b) => (texts[a]?.json.length ?? 0) - (texts[b]?.json.length ?? 0));
    let left = maxLength - 2 - markersLength(mustKeep);
    mustKeep.forEach((index, position) => {
      const share = Math.floor(left / (mustKeep.length - position)) - 1;
      if ((texts[index]?.json.length ?? 0) > share) texts[index] = messageJson(messages[index] as GenAiMessage, share);
      left -= (texts[index]?.json.length ?? 0) + 1;
    });
    kept = keptMessageIndices(roles, costs(), maxLength - 2, marker);
  }
  const items = withGaps(kept, messages.length).map((item) =>
    "index" in item ? (texts[item.index]?.json ?? "null") : JSON.stringify(elision(item.elided)),
  );
  const text = `[${items.join(",")}]`;
  if (text.length <= maxLength) return { text, mimeType: "application/json", truncated };
  // A cap too small for even the kept messages' stubs: a marker alone, or the empty list.
  const markerOnly = `[${JSON.stringify(elision(messages.length))}]`;
  return { text: markerOnly.length <= maxLength ? markerOnly : "[]", mimeType: "application/json", truncated };
}

interface MessageJson {
  json: string;
  cut: boolean;
}

/**
 * A graph sends the same history on every model call, and `toGenAiMessage` hands back the same
 * object for the same LangChain message: its JSON is written once per cap.
 */
const written = new WeakMap<GenAiMessage, MessageJson & { maxLength: number }>();

/** The JSON of one message, at most `maxLength` characters when that is at all possible. */
function messageJson(message: GenAiMessage, maxLength: number): MessageJson {
  const cached = written.get(message);
  if (cached?.maxLength === maxLength) return cached;
  const result = shrunkMessageJson(message, maxLength);
  written.set(message, { ...result, maxLength });
  return result;
}

function shrunkMessageJson(message: GenAiMessage, maxLength: number): MessageJson {
  const whole = toPayload(message, maxLength);
  if (isWholeJson(whole, maxLength)) return { json: whole.text, cut: whole.truncated };
  // Leave room for the message's own keys, role, name and finish reason, then split the rest between its parts.
  const overhead = 40 + message.role.length + (message.name?.length ?? 0) + (message.finish_reason?.length ?? 0) + 32 * message.parts.length;
  let share = Math.floor((maxLength - overhead) / Math.max(1, message.parts.length));
  while (share >= 16) {
    const shrunk = toPayload({ ...message, parts: message.parts.map((part) => shrinkPart(part, share)) }, maxLength);
    if (isWholeJson(shrunk, maxLength)) return { json: shrunk.text, cut: true };
    share = Math.floor(share / 2);
  }
  const stub: GenAiMessage = { role: message.role, parts: [{ type: "text", content: "[cut]" }] };
  if (message.finish_reason !== undefined) stub.finish_reason = message.finish_reason;
  return { json: JSON.stringify(stub), cut: true };
}

/** `toPayload` marks a JSON text it had to cut as text/plain: only application/json within the cap is whole. */
function isWholeJson(payload: Payload, maxLength: number): boolean {
  return payload.mimeType === "application/json" && payload.text.length <= maxLength;
}

/** A part whose long values are cut to `share` characters: strings with a marker, objects as their cut JSON text. */
function shrinkPart(part: GenAiPart, share: number): GenAiPart {
  const shrunk: Record<string, unknown> = { ...part };
  for (const key of Object.keys(shrunk)) {
    if (key === "type" || key === "id" || key === "name" || key === "modality" || key === "mime_type") continue;
    shrunk[key] = shrinkValue(shrunk[key], share);
  }
  return shrunk as GenAiPart;
}

function shrinkValue(value: unknown, share: number): unknown {
  if (typeof value === "string") return cleanText(value, share).text;
  const payload = toPayload(value, share);
  return isWholeJson(payload, share) ? value : payload.text;
}
