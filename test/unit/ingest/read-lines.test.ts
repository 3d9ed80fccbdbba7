import { describe, expect, it } from "vitest";
import { readLines } from "../../../src/ingest/read-lines.js";
import { readNdjson } from "../../../src/ingest/read-ndjson.js";

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<string | Uint8Array> {
  for (const part of parts) yield part;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe("readLines", () => {
  it("numbers lines across chunk boundaries, strips CRLF and keeps a last line without a break", async () => {
    const lines = await collect(readLines(chunks("a\r\nb", "c\n\nd\r", "\ne")));
    expect(lines).toEqual([
      { line: 1, text: "a" },
      { line: 2, text: "bc" },
      { line: 3, text: "" },
      { line: 4, text: "d" },
      { line: 5, text: "e" },
    ]);
  });

  it("drops a byte-order mark only at the very start", async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const lines = await collect(readLines(chunks(bom, Buffer.from("x\n\uFEFFy\n"))));
    expect(lines.map((l) => l.text)).toEqual(["x", "\uFEFFy"]);
  });

  it("decodes a multi-byte character split between chunks", async () => {
    const bytes = Buffer.from("née\n");
    const lines = await collect(readLines(chunks(bytes.subarray(0, 2), bytes.subarray(2))));
    expect(lines).toEqual([{ line: 1, text: "née" }]);
  });

  it("reads a 10 MB line arriving in 64 KB chunks", async () => {
    const big = JSON.stringify({ id: "x", pad: "p".repeat(10 * 1024 * 1024) });
    const buffer = Buffer.from(`${big}\n{"id":"y"}\n`);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < buffer.length; i += 65536) parts.push(buffer.subarray(i, i + 65536));
    const messages = await collect(readNdjson(chunks(...parts)));
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatchObject({ line: 1 });
    expect((messages[0] as { value: { pad: string } }).value.pad).toHaveLength(10 * 1024 * 1024);
    expect(messages[1]).toMatchObject({ line: 2, value: { id: "y" } });
  });
});

describe("readNdjson", () => {
  it("skips blank lines, keeps line numbers, and turns bad JSON into a message with a reason", async () => {
    const messages = await collect(readNdjson(chunks('{"a":1}\n\n   \n{"a": NaN}\n[1,2]\n')));
    expect(messages.map((m) => m.line)).toEqual([1, 4, 5]);
    expect(messages[0]).toEqual({ line: 1, raw: '{"a":1}', value: { a: 1 } });
    expect(messages[1]).toMatchObject({ line: 4, raw: '{"a": NaN}' });
    expect((messages[1] as { error: string }).error).toMatch(/^malformed JSON: /);
    expect(messages[2]).toEqual({ line: 5, raw: "[1,2]", value: [1, 2] });
  });
});
