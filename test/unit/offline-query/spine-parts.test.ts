import { describe, expect, it } from "vitest";
import { ColumnKinds } from "../../../src/offline-query/column-kinds.js";
import { spineEntry } from "../../../src/offline-query/spine-entry.js";
import { mergeSpans } from "../../../src/offline-query/spans.js";
import { lowerBound, upperBound } from "../../../src/time/sorted-search.js";
import { jsonReplacer } from "../../../src/offline-query/table-output.js";
import { csvCell } from "../../../src/offline-query/write-table.js";

const T = Date.UTC(2024, 2, 1, 12);

describe("spineEntry", () => {
  it("takes ids as text and times as --at does, or a Parquet timestamp", () => {
    expect(spineEntry({ u: "u1", t: "2024-03-01T12:00:00Z" }, "u", "t")).toEqual({ id: "u1", at: T });
    expect(spineEntry({ u: 42, t: T / 1000 }, "u", "t")).toEqual({ id: "42", at: T });
    expect(spineEntry({ u: 42n, t: String(T / 1000) }, "u", "t")).toEqual({ id: "42", at: T });
    expect(spineEntry({ u: " u1", t: new Date(T) }, "u", "t")).toEqual({ id: " u1", at: T });
  });

  it("says what is wrong with a row", () => {
    expect(spineEntry({ t: "2024-03-01" }, "u", "t")).toBe('no id in column "u"');
    expect(spineEntry({ u: "", t: "2024-03-01" }, "u", "t")).toBe('no id in column "u"');
    expect(spineEntry({ u: true, t: "2024-03-01" }, "u", "t")).toBe('the id in column "u" must be text or a number, not a boolean');
    expect(spineEntry({ u: "\ud800", t: "2024-03-01" }, "u", "t")).toMatch(/lone surrogate/);
    expect(spineEntry({ u: "u1", t: null }, "u", "t")).toBe('no time in column "t"');
    expect(spineEntry({ u: "u1", t: "2024-03-01T12:00:00" }, "u", "t")).toMatch(/^column "t": invalid time "2024-03-01T12:00:00"/);
    expect(spineEntry({ u: "u1", t: T }, "u", "t")).toMatch(/epoch milliseconds; divide by 1000/);
    expect(spineEntry({ u: "u1", t: { at: 1 } }, "u", "t")).toBe('the time in column "t" must be text, a number or a timestamp, not an object');
  });
});

describe("spans", () => {
  it("merges overlapping and touching spans, with a gap for adjacent bucket starts", () => {
    expect(mergeSpans([{ from: 5, to: 8 }, { from: 0, to: 3 }, { from: 3, to: 4 }], 0)).toEqual([{ from: 0, to: 4 }, { from: 5, to: 8 }]);
    expect(mergeSpans([{ from: 0, to: 10 }, { from: 20, to: 30 }], 10)).toEqual([{ from: 0, to: 30 }]);
    expect(mergeSpans([{ from: 0, to: 10 }, { from: 21, to: 30 }], 10)).toEqual([{ from: 0, to: 10 }, { from: 21, to: 30 }]);
  });

  it("finds bounds in sorted values", () => {
    const values = [1, 3, 3, 5];
    expect([lowerBound(values, 3), upperBound(values, 3), lowerBound(values, 0), upperBound(values, 9)]).toEqual([1, 3, 0, 4]);
  });
});

describe("output cells", () => {
  it("writes CSV cells as RFC 4180 text", () => {
    expect([null, undefined, "", "a", "a,b", 'say "hi"', 1.5, Infinity, true, 2n ** 64n, new Date(T)].map(csvCell)).toEqual(["", "", '""', "a", '"a,b"', '"say ""hi"""', "1.5", "", "true", "18446744073709551616", "2024-03-01T12:00:00.000Z"]);
    expect(csvCell({ m1: 2.5, "a,b": 1 })).toBe('"{""m1"":2.5,""a,b"":1}"');
  });

  it("gives JSON a form for bigints and bytes", () => {
    expect(JSON.stringify({ a: 5n, b: 2n ** 64n, c: new Uint8Array([1, 2]) }, jsonReplacer)).toBe('{"a":5,"b":"18446744073709551616","c":"AQI="}');
  });
});

describe("ColumnKinds", () => {
  it("keeps first-seen order and one kind per column, JSON for mixed ones", () => {
    const kinds = new ColumnKinds();
    kinds.declare(["a"]);
    kinds.see({ b: 1, a: "x", c: null });
    kinds.see({ b: 1.5, c: true, d: { x: 1 } });
    kinds.see({ b: 2, c: "no", e: new Date(T) });
    expect(kinds.names).toEqual(["a", "b", "c", "d", "e"]);
    expect(kinds.names.map((n) => kinds.kind(n))).toEqual(["string", "number", "json", "json", "date"]);
  });
});
