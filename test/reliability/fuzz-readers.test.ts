/**
 * Property tests of the ingest readers (src/ingest/read-lines.ts, read-ndjson.ts,
 * read-csv.ts and its record parser) against small independent models written here:
 * arbitrary bytes in arbitrary chunks never make them throw anything but AggError, every
 * line gets the number it has in the input, and well-formed input comes back exactly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AggError } from "../../src/errors.js";
import type { InputMessage } from "../../src/ingest/input-message.js";
import { readCsv } from "../../src/ingest/read-csv.js";
import { firstInvalidByte, readLines } from "../../src/ingest/read-lines.js";
import { readNdjson } from "../../src/ingest/read-ndjson.js";

const RUNS = { numRuns: 300 };
const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// ignoreBOM keeps a BOM in the text: only read-lines decides where one is dropped.
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** `bytes` cut at the given offsets (sorted, deduplicated), as a stream of chunks. */
async function* chunked(bytes: Uint8Array, cuts: readonly number[]): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    yield bytes.subarray(from, cut);
    from = cut;
  }
  yield bytes.subarray(from);
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

/**
 * The model of readLines: split on LF, drop one trailing CR, the empty piece after a
 * final LF, and a BOM at the very start from the text (`bytes` keep it: error offsets
 * count the line's bytes as they are in the file).
 */
function modelLines(bytes: Uint8Array): { line: number; bytes: Uint8Array; text: string }[] {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const out: { line: number; bytes: Uint8Array; text: string }[] = [];
  let start = 0;
  for (let i = bom; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    if (i === bytes.length && i === Math.max(start, start === 0 ? bom : 0)) break; // nothing after the last LF
    let piece = bytes.subarray(start, i);
    if (piece[piece.length - 1] === 0x0d) piece = piece.subarray(0, -1);
    out.push({ line: out.length + 1, bytes: piece, text: lenient.decode(start === 0 ? piece.subarray(bom) : piece) });
    start = i + 1;
  }
  return out;
}

/** Bytes that are mostly line structure and UTF-8, with some of everything else. */
const inputBytes = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc
    .array(fc.oneof(fc.constantFrom("\n", "\r\n", "\r", "\uFEFF", '{"a":1}', "[", '"', ",", " ", "é", "😀"), fc.string({ maxLength: 8 }), fc.constantFrom(Buffer.from([0xff]), Buffer.from([0xe2, 0x82]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]))), { maxLength: 40 })
    .map((parts) => new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p))))),
);
const cuts = fc.array(fc.nat(), { maxLength: 8 });

describe("firstInvalidByte", () => {
  it("agrees with the platform's strict UTF-8 decoder", () => {
    fc.assert(
      fc.property(inputBytes, (bytes) => {
        const at = firstInvalidByte(bytes);
        expect(at === -1).toBe(isValidUtf8(bytes));
        if (at === -1) return;
        // Everything before it is valid, and no end after it makes a valid prefix of 1-4 more bytes.
        expect(isValidUtf8(bytes.subarray(0, at))).toBe(true);
        for (let k = 1; k <= 4 && at + k <= bytes.length; k++) expect(isValidUtf8(bytes.subarray(0, at + k))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("readLines", () => {
  it("yields the model's lines, numbered, however the bytes are chunked; only lines that are not UTF-8 carry an error", async () => {
    await fc.assert(
      fc.asyncProperty(inputBytes, cuts, async (bytes, at) => {
        const lines = await collect(readLines(chunked(bytes, at)));
        const model = modelLines(bytes);
        expect(lines.map((l) => [l.line, l.text])).toEqual(model.map((m) => [m.line, m.text]));
        lines.forEach((l, i) => {
          const piece = model[i]!.bytes;
          expect(l.error === undefined).toBe(isValidUtf8(piece));
          if (l.error !== undefined) {
            const [, hex, position] = /^invalid UTF-8: byte 0x([0-9A-F]{2}) at byte (\d+) of the line;/.exec(l.error) ?? [];
            expect(piece[Number(position) - 1]).toBe(parseInt(hex ?? "", 16));
          }
        });
      }),
      RUNS,
    );
  });
});

describe("readNdjson", () => {
  it("never throws; yields one message per non-blank line, in order, parsed or with a reason", async () => {
    await fc.assert(
      fc.asyncProperty(inputBytes, cuts, async (bytes, at) => {
        const messages = await collect(readNdjson(chunked(bytes, at)));
        const model = modelLines(bytes).filter((m) => !isValidUtf8(m.bytes) || /\S/.test(m.text));
        expect(messages.map((m) => m.line)).toEqual(model.map((m) => m.line));
        messages.forEach((m, i) => {
          const { text, bytes: raw } = model[i]!;
          expect(m.raw).toBe(text);
          if (!isValidUtf8(raw)) return expect("error" in m && m.error.startsWith("invalid UTF-8: ")).toBe(true);
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            return expect("error" in m && m.error.startsWith("malformed JSON: ")).toBe(true);
          }
          expect("value" in m && m.value).toEqual(parsed);
        });
      }),
      RUNS,
    );
  });

  it("reads back any JSON values, with blank lines, CRLF and a BOM mixed in, at their line numbers", async () => {
    const layout = fc.record({ bom: fc.boolean(), values: fc.array(fc.tuple(fc.jsonValue(), fc.nat(2), fc.boolean()), { maxLength: 20 }) });
    await fc.assert(
      fc.asyncProperty(layout, cuts, async ({ bom, values }, at) => {
        let text = bom ? "\uFEFF" : "";
        let line = 0;
        const expected: { line: number; value: unknown }[] = [];
        for (const [value, blanks, crlf] of values) {
          for (let b = 0; b < blanks; b++, line++) text += b % 2 ? "  \n" : "\r\n";
          text += JSON.stringify(value) + (crlf ? "\r\n" : "\n");
          expected.push({ line: ++line, value: JSON.parse(JSON.stringify(value)) as unknown });
        }
        const messages = await collect(readNdjson(chunked(Buffer.from(text), at)));
        expect(messages.map((m) => ({ line: m.line, value: "value" in m ? m.value : m.error }))).toEqual(expected);
      }),
      RUNS,
    );
  });
});

/** RFC 4180 as a writer would produce it; `quote` forces quotes on a cell that does not need them. */
function csvCell(cell: string | null, quote: boolean): string {
  if (cell === null) return "";
  const needs = cell === "" || /[",\r\n]/.test(cell) || quote;
  return needs ? `"${cell.replaceAll('"', '""')}"` : cell;
}

describe("readCsv", () => {
  const cellText = fc.string({ unit: fc.constantFrom("a", "b", " ", ",", '"', "\n", "\r\n", "é", "😀", "x"), maxLength: 6 });
  const table = fc.integer({ min: 2, max: 4 }).chain((columns) =>
    fc.record({
      bom: fc.boolean(),
      rows: fc.array(fc.tuple(fc.array(fc.tuple(fc.option(cellText, { nil: null }), fc.boolean()), { minLength: columns, maxLength: columns }), fc.constantFrom("\n", "\r\n"), fc.nat(1)), { maxLength: 12 }),
      header: fc.constant(Array.from({ length: columns }, (_, i) => `c${i}`)),
    }),
  );

  it("reads back what an RFC 4180 writer wrote, each record at the line it starts on", async () => {
    await fc.assert(
      fc.asyncProperty(table, cuts, async ({ bom, rows, header }, at) => {
        let text = `${bom ? "\uFEFF" : ""}${header.join(",")}\n`;
        let line = 1;
        const expected: { line: number; value: Record<string, string | null> }[] = [];
        for (const [cells, eol, blanks] of rows) {
          for (let b = 0; b < blanks; b++, line++) text += eol;
          const record = cells.map(([cell, quote]) => csvCell(cell, quote)).join(",");
          // A line break inside a quoted cell comes back as LF: lines are split on LF and lose one CR.
          expected.push({ line: ++line, value: Object.fromEntries(header.map((h, i) => [h, cells[i]![0]?.replaceAll("\r\n", "\n") ?? null])) });
          text += record + eol;
          line += record.split("\n").length - 1;
        }
        const messages = await collect(readCsv(chunked(Buffer.from(text), at)));
        expect(messages.map((m) => ({ line: m.line, value: "value" in m ? m.value : m.error }))).toEqual(expected);
      }),
      RUNS,
    );
  });

  it("never throws anything but an input AggError, and numbers its messages in order", async () => {
    await fc.assert(
      fc.asyncProperty(inputBytes, cuts, async (bytes, at) => {
        let messages: InputMessage[];
        try {
          messages = await collect(readCsv(chunked(bytes, at)));
        } catch (error) {
          expect(error).toBeInstanceOf(AggError);
          expect((error as AggError).code).toBe("input");
          expect((error as AggError).message).toMatch(/^line \d+: the CSV header /);
          return;
        }
        const lines = modelLines(bytes).length;
        for (let i = 0; i < messages.length; i++) {
          expect(messages[i]!.line).toBeGreaterThan(i === 0 ? 1 : messages[i - 1]!.line);
          expect(messages[i]!.line).toBeLessThanOrEqual(lines);
        }
      }),
      RUNS,
    );
  });
});
