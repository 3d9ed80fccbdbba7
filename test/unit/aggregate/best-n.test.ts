import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileLayout, type Row, type Scalar } from "../../../src/aggregate/index.js";
import { type Input, foldAll, splitAndMerge } from "./split-merge.js";

const order = (a: number | string, b: number | string) => (a < b ? -1 : a > b ? 1 : 0);
/** Numbers before strings, then natural order: the documented tie-break on values. */
const byValue = (a: number | string, b: number | string) =>
  (typeof a === "number" ? 0 : 1) - (typeof b === "number" ? 0 : 1) || order(a, b);

/** The reference: sort the usable rows by (by, value), take n from the right end. */
function exactByN(inputs: readonly Input[], n: number, smallest: boolean): Scalar[] | null {
  const pairs = inputs
    .filter((i) => i.value !== null && i.row.ts !== null && i.row.ts !== undefined)
    .map((i) => [i.row.ts as number, i.value as number | string] as const)
    .sort((a, b) => order(a[0], b[0]) || byValue(a[1], b[1]));
  if (pairs.length === 0) return null;
  const kept = smallest ? pairs.slice(0, n) : pairs.reverse().slice(0, n);
  return kept.map(([, v]) => v);
}

describe("minByN and maxByN", () => {
  const layout = compileLayout([
    { fn: "minByN", by: "ts", n: 3 },
    { fn: "maxByN", by: "ts", n: 2 },
    { fn: "maxByN", by: "ts", n: 4 },
  ]);
  const input = fc
    .record({
      ts: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(null)),
      value: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom("x", "y", null)),
    })
    .map(({ ts, value }): Input => ({ value, row: { ts, value } satisfies Row }));

  it("keep the n best rows by `by`, ties by value, whatever the split", () => {
    fc.assert(
      fc.property(fc.array(input, { maxLength: 80 }), fc.integer(), (inputs, seed) => {
        const merged = splitAndMerge(layout, inputs, seed);
        expect(layout.finish(merged, { fn: "minByN", by: "ts", n: 3 })).toEqual(exactByN(inputs, 3, true));
        expect(layout.finish(merged, { fn: "maxByN", by: "ts", n: 2 })).toEqual(exactByN(inputs, 2, false));
        expect(layout.finish(merged, { fn: "maxByN", by: "ts", n: 4 })).toEqual(exactByN(inputs, 4, false));
      }),
      { numRuns: 400 },
    );
  });

  it("skips rows with a null `by` or value and is null on no rows", () => {
    const s = foldAll(layout, [
      { value: 1, row: { ts: null } },
      { value: null, row: { ts: 5 } },
    ]);
    expect(layout.finish(s, { fn: "minByN", by: "ts", n: 3 })).toBeNull();
    expect(layout.finish(layout.empty(), { fn: "maxByN", by: "ts", n: 2 })).toBeNull();
  });

  it("returns values ordered by `by`", () => {
    const rows = [30, 10, 50, 20, 40].map((ts) => ({ value: `at-${ts}`, row: { ts } }));
    const s = foldAll(layout, rows);
    expect(layout.finish(s, { fn: "minByN", by: "ts", n: 3 })).toEqual(["at-10", "at-20", "at-30"]);
    expect(layout.finish(s, { fn: "maxByN", by: "ts", n: 2 })).toEqual(["at-50", "at-40"]);
  });
});
