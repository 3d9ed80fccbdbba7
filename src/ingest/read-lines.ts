import { isUtf8 } from "node:buffer";
import { DEFAULT_LIMITS } from "./input-limits.js";

/** One physical line of input: its 1-based number and its text without the line break. */
export interface InputLine {
  readonly line: number;
  readonly text: string;
  /** Set when the line's bytes are not valid UTF-8 (`text` then holds U+FFFD for them), or it is too long. */
  readonly error?: string;
  /** The line was longer than the limit: `text` holds only its start, the rest was skipped unread. */
  readonly tooLong?: true;
}

const NEWLINE = 0x0a;
const BOM = "\uFEFF";

/** How much of a line that is too long is kept, for the message and the dead letter. */
const TOO_LONG_PREFIX = 200;

/**
 * Splits a byte stream into lines as it arrives, never holding more than the current
 * line: a 10 MB line is fine, a 10 GB file too. `\n` and `\r\n` end a line; a UTF-8
 * byte-order mark at the very start is dropped; a last line without a break still counts.
 * A line longer than `maxLineBytes` comes with an error (and `tooLong`) instead of its
 * text, and is skipped without being held: memory stays bounded by the limit.
 *
 * A line that is not valid UTF-8 comes with an `error` instead of being silently
 * repaired: two ids that differ only in their bad bytes would otherwise both decode to
 * the same text and one row would replace the other.
 */
export async function* readLines(input: AsyncIterable<Uint8Array | string>, maxLineBytes = DEFAULT_LIMITS.maxRecordBytes): AsyncGenerator<InputLine> {
  let line = 0;
  // Bytes after the last line break seen so far: the start of a line still arriving.
  let carry: Buffer[] = [];
  let carried = 0;
  // The start of a line too long to hold, while the rest of it is skipped.
  let skipping: Buffer | null = null;
  for await (const chunk of input) {
    let bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (skipping !== null) {
      const end = bytes.indexOf(NEWLINE);
      if (end === -1) continue;
      yield tooLong(++line, skipping, maxLineBytes);
      skipping = null;
      bytes = bytes.subarray(end + 1);
    }
    const last = bytes.lastIndexOf(NEWLINE);
    if (last === -1) {
      if (bytes.length > 0) carry.push(bytes);
      carried += bytes.length;
      if (carried > maxLineBytes) [skipping, carry, carried] = [Buffer.concat(carry).subarray(0, TOO_LONG_PREFIX), [], 0];
      continue;
    }
    // Whole lines only, so a multi-byte character split between chunks is never cut.
    const head = bytes.subarray(0, last + 1);
    const whole = carry.length === 0 ? head : Buffer.concat([...carry, head]);
    carry = last + 1 < bytes.length ? [bytes.subarray(last + 1)] : [];
    carried = bytes.length - last - 1;
    if (carried > maxLineBytes) [skipping, carry, carried] = [bytes.subarray(last + 1, last + 1 + TOO_LONG_PREFIX), [], 0];
    if (isUtf8(whole)) {
      // The usual case: decode all the lines at once, then cut the text.
      let text = whole.toString("utf8");
      if (line === 0 && text.startsWith(BOM)) text = text.slice(1);
      let from = 0;
      let newline = text.indexOf("\n");
      while (newline !== -1) {
        // A UTF-16 code unit is at most 3 bytes of UTF-8: only long lines need a count.
        const long = (newline - from) * 3 > maxLineBytes && Buffer.byteLength(text.slice(from, newline)) > maxLineBytes;
        if (long) yield tooLong(++line, Buffer.from(text.slice(from, from + TOO_LONG_PREFIX)), maxLineBytes);
        else yield { line: ++line, text: stripCr(text.slice(from, newline)) };
        from = newline + 1;
        newline = text.indexOf("\n", from);
      }
      continue;
    }
    let from = 0;
    let newline = whole.indexOf(NEWLINE);
    while (newline !== -1) {
      const bytesOfLine = whole.subarray(from, newline);
      yield bytesOfLine.length > maxLineBytes ? tooLong(++line, bytesOfLine.subarray(0, TOO_LONG_PREFIX), maxLineBytes) : decodeLine(++line, bytesOfLine);
      from = newline + 1;
      newline = whole.indexOf(NEWLINE, from);
    }
  }
  if (skipping !== null) {
    yield tooLong(line + 1, skipping, maxLineBytes);
    return;
  }
  const rest = Buffer.concat(carry);
  const bom = line === 0 && rest[0] === 0xef && rest[1] === 0xbb && rest[2] === 0xbf;
  if (rest.length > (bom ? 3 : 0)) yield decodeLine(line + 1, rest);
}

/** A line over the limit: its first bytes as text (a cut character shows as U+FFFD), and why. */
function tooLong(line: number, start: Buffer, maxLineBytes: number): InputLine {
  const error = `the line is longer than ${maxLineBytes.toLocaleString("en-US")} bytes, the limit of one message (AGG_MAX_RECORD_BYTES raises it)`;
  return { line, text: `${start.toString("utf8")}…`, error, tooLong: true };
}

/** One line's bytes (without `\n`) as text, with an error when they are not UTF-8. */
function decodeLine(line: number, bytes: Buffer): InputLine {
  let text = bytes.toString("utf8");
  if (line === 1 && text.startsWith(BOM)) text = text.slice(1);
  text = stripCr(text);
  if (isUtf8(bytes)) return { line, text };
  const at = firstInvalidByte(bytes);
  const value = bytes[at]!.toString(16).toUpperCase().padStart(2, "0");
  return { line, text, error: `invalid UTF-8: byte 0x${value} at byte ${at + 1} of the line; agg reads UTF-8 text only` };
}

function stripCr(text: string): string {
  return text.endsWith("\r") ? text.slice(0, -1) : text;
}

/**
 * The offset of the first byte that does not belong to a well-formed UTF-8 sequence
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF); -1 if none.
 */
export function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let length: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += length;
  }
  return -1;
}
