import { StringDecoder } from "node:string_decoder";

/** One physical line of input: its 1-based number and its text without the line break. */
export interface InputLine {
  readonly line: number;
  readonly text: string;
}

/**
 * Splits a byte stream into lines as it arrives, never holding more than the current
 * line: a 10 MB line is fine, a 10 GB file too. `\n` and `\r\n` end a line; a UTF-8
 * byte-order mark at the very start is dropped; a last line without a break still counts.
 */
export async function* readLines(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<InputLine> {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  let line = 0;
  let first = true;
  for await (const chunk of input) {
    let text = typeof chunk === "string" ? chunk : decoder.write(chunk as Buffer);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    // Search only the new text: a long line arriving in many chunks stays linear.
    let from = 0;
    let newline = text.indexOf("\n");
    while (newline !== -1) {
      const piece = pending + text.slice(from, newline);
      pending = "";
      yield { line: ++line, text: stripCr(piece) };
      from = newline + 1;
      newline = text.indexOf("\n", from);
    }
    pending += text.slice(from);
  }
  pending += decoder.end();
  if (first && pending.charCodeAt(0) === 0xfeff) pending = pending.slice(1);
  if (pending.length > 0) yield { line: ++line, text: stripCr(pending) };
}

function stripCr(text: string): string {
  return text.endsWith("\r") ? text.slice(0, -1) : text;
}
