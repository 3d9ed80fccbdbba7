/** `writeJson` writes exactly `JSON.stringify(doc, null, 2)`, in pieces that Io.out takes as they are. */
import { describe, expect, it } from "vitest";
import { writeJson } from "../../src/cli/render-json.js";

function written(doc: Record<string, unknown>, key: string, item: (x: unknown) => unknown = (x) => x) {
  const parts: string[] = [];
  writeJson(doc, key, item, (text) => parts.push(text));
  return parts;
}

const row = (i: number) => ({ id: `u${i}`, values: { "a.b__86400__": i % 3 === 0 ? null : i / 7, "a.g__86400__": { ["__proto__"]: 1, "x\ny": [i] } }, status: { "a.b__86400__": "present" } });

describe("writeJson", () => {
  it.each([0, 1, 2, 9_999, 10_000, 10_001, 25_000])("%i rows: the text JSON.stringify gives, each piece but the last ending in a line break", (count) => {
    const rows = Array.from({ length: count }, (_, i) => row(i));
    const doc = { at: "2024-03-01T00:00:00Z", rows, warnings: count % 2 === 0 ? [] : ["a \"quoted\"\nwarning"], skipped: undefined };
    const parts = written(doc, "rows");
    // Io.out adds a line break to a text without one: the pieces read as one document.
    expect(parts.map((p, i) => (i + 1 < parts.length ? p : `${p}\n`)).join("")).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    parts.slice(0, -1).forEach((p) => expect(p.endsWith("\n")).toBe(true));
    expect(parts.at(-1)!.endsWith("\n")).toBe(false);
    expect(parts.length).toBe(1 + Math.ceil(count / 10_000));
  });

  it("maps each item as it writes it, and keeps the order of the document's fields", () => {
    const doc = { rows: [1, 2, 3], at: "T", nested: { a: [1, { b: 2 }] } };
    const parts = written(doc, "rows", (x) => ({ n: x }));
    expect(parts.join("")).toBe(JSON.stringify({ ...doc, rows: [{ n: 1 }, { n: 2 }, { n: 3 }] }, null, 2));
  });
});
