import { describe, expect, it } from "vitest";
import { AggError } from "../../../src/errors.js";
import { readCsv } from "../../../src/ingest/read-csv.js";

async function collect(text: string | string[]) {
  const parts = typeof text === "string" ? [text] : text;
  async function* source() {
    for (const part of parts) yield part;
  }
  const out = [];
  for await (const m of readCsv(source())) out.push(m);
  return out;
}

describe("readCsv", () => {
  it("reads a header and records of text cells; an empty cell is null, a quoted empty cell is ''", async () => {
    const messages = await collect("id,amount,note\r\nt1,12.5,\r\nt2,-3,\"\"\r\n");
    expect(messages).toEqual([
      { line: 2, raw: "t1,12.5,", value: { id: "t1", amount: "12.5", note: null }, cells: true },
      { line: 3, raw: 't2,-3,""', value: { id: "t2", amount: "-3", note: "" }, cells: true },
    ]);
  });

  it("handles quotes, doubled quotes, commas and line breaks inside cells, reporting each record's first line", async () => {
    const text = 'id,note\n"a,1","say ""hi"""\n"b","two\r\nlines\n and three"\nc,plain\n';
    const messages = await collect(text.split("")); // one character per chunk
    expect(messages.map((m) => [m.line, "value" in m ? m.value : m.error])).toEqual([
      [2, { id: "a,1", note: 'say "hi"' }],
      [3, { id: "b", note: "two\nlines\n and three" }],
      [6, { id: "c", note: "plain" }],
    ]);
    expect(messages[1]?.raw).toBe('"b","two\nlines\n and three"');
  });

  it("skips blank lines and a byte-order mark", async () => {
    const messages = await collect("\uFEFFid,n\n\nx,1\n\n");
    expect(messages).toEqual([{ line: 3, raw: "x,1", value: { id: "x", n: "1" }, cells: true }]);
  });

  it("turns a record with the wrong cell count or a stray quote into an error message, and goes on", async () => {
    const messages = await collect('id,n\nx,1,2\ny"z,1\n"w"q,1\nok,2\n');
    expect(messages.map((m) => m.line)).toEqual([2, 3, 4, 5]);
    expect((messages[0] as { error: string }).error).toBe("malformed CSV: 3 cells, but the header on line 1 has 2 columns");
    expect((messages[1] as { error: string }).error).toMatch(/^malformed CSV: a quote inside an unquoted cell/);
    expect((messages[2] as { error: string }).error).toMatch(/^malformed CSV: text after the closing quote/);
    expect(messages[3]).toMatchObject({ value: { id: "ok", n: "2" } });
  });

  it("reports a quoted cell that is never closed at the line it opened", async () => {
    const messages = await collect('id,n\na,"open\nb,2\n');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ line: 2, error: 'malformed CSV: a quoted cell opened on line 2 is never closed' });
  });

  it("rejects a header with an empty or repeated column name", async () => {
    const error = await collect("id,,n\n1,2,3\n").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggError);
    expect(error).toMatchObject({ code: "input", message: "line 1: the CSV header has an empty column name (column 2)" });
    await expect(collect("id,n,id\n")).rejects.toThrow(/line 1: the CSV header names column "id" twice/);
  });

  it("yields nothing for a header-only or empty input", async () => {
    expect(await collect("id,n\n")).toEqual([]);
    expect(await collect("")).toEqual([]);
  });
});
