import { isUtf8 } from "node:buffer";
import type { InputMessage } from "../ingest/input-message.js";

/**
 * A broker message's bytes as an input message: through the resolver's `parse` when it
 * has one, else as UTF-8 JSON. Whatever is wrong with the bytes becomes the message's
 * `error` (rejected like a bad input line), never an exception.
 */
export function decodeMessage(line: number, bytes: Uint8Array, parse: ((bytes: Uint8Array) => unknown) | null, maxRecordBytes: number): InputMessage {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length > maxRecordBytes) {
    return { line, raw: `${buffer.subarray(0, 200).toString("utf8")}…`, error: `the message is longer than ${maxRecordBytes.toLocaleString("en-US")} bytes, the limit of one message (AGG_MAX_RECORD_BYTES raises it)` };
  }
  const raw = buffer.toString("utf8");
  if (parse !== null) {
    try {
      return { line, raw, value: parse(buffer) };
    } catch (error) {
      return { line, raw, error: `the resolver's parse threw: ${reason(error)}` };
    }
  }
  if (!isUtf8(buffer)) return { line, raw, error: "the message is not valid UTF-8; agg reads UTF-8 JSON (or declare parse on the stream resolver)" };
  try {
    return { line, raw, value: JSON.parse(raw) };
  } catch (error) {
    return { line, raw, error: `malformed JSON: ${reason(error)}` };
  }
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
