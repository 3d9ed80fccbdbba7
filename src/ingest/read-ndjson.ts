import { DEFAULT_LIMITS, type InputLimits } from "./input-limits.js";
import type { InputMessage } from "./input-message.js";
import { readLines } from "./read-lines.js";

/**
 * NDJSON messages, one per non-blank line, parsed as they stream in. A line that is not
 * JSON (or not UTF-8, or longer than `limits.maxRecordBytes`) becomes a message with an
 * error (rejected later with its line number), so one bad line never stops the reader.
 */
export async function* readNdjson(input: AsyncIterable<Uint8Array | string>, limits: Pick<InputLimits, "maxRecordBytes"> = DEFAULT_LIMITS): AsyncGenerator<InputMessage> {
  for await (const { line, text, error } of readLines(input, limits.maxRecordBytes)) {
    if (error !== undefined) {
      yield { line, raw: text, error };
      continue;
    }
    if (!/\S/.test(text)) continue; // blank (no copy of a long line, unlike trim)
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { line, raw: text, error: `malformed JSON: ${jsonReason(error)}` };
      continue;
    }
    yield { line, raw: text, value };
  }
}

/** JSON.parse's reason, without the message text it quotes (that can be megabytes). */
function jsonReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
