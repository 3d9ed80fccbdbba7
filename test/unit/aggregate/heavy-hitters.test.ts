import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileLayout, type Scalar } from "../../../src/aggregate/index.js";
import { foldAll, rng, splitAndMerge, valuesOnly } from "./split-merge.js";

/** Exact top k: by count descending, then value ascending (booleans < numbers < strings). */
function exactTopK(values: readonly Scalar[], k: number): Scalar[] | null {
  const counts = new Map<Scalar, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  if (counts.size === 0) return null;
  const rank = (v: Scalar) => (typeof v === "boolean" ? 0 : typeof v === "number" ? 1 : 2);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || rank(a[0]) - rank(b[0]) || (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0))
    .slice(0, k)
    .map(([v]) => v);
}

describe("approxTopK", () => {
  const layout = compileLayout([{ fn: "approxTopK", k: 3 }, { fn: "approxTopK", k: 5 }]);

  it("is exact while the distinct values fit its counters, whatever the split", () => {
    // Capacity for k = 5 is 32 counters; draw from at most 32 distinct values.
    const value = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constantFrom("a", "b", "c", "d", "e", true, false, null));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 200 }), fc.integer(), (values, seed) => {
        const merged = splitAndMerge(layout, valuesOnly(values), seed);
        expect(layout.finish(merged, { fn: "approxTopK", k: 3 })).toEqual(exactTopK(values, 3));
        expect(layout.finish(merged, { fn: "approxTopK", k: 5 })).toEqual(exactTopK(values, 5));
      }),
      { numRuns: 300 },
    );
  });

  it("finds dominant items among many distinct ones, in order", () => {
    const random = rng(42);
    const values: Scalar[] = [];
    for (let i = 0; i < 100_000; i++) {
      const r = random();
      values.push(r < 0.2 ? "alpha" : r < 0.35 ? "beta" : r < 0.45 ? 7 : r < 0.5 ? "delta" : `noise-${i}`);
    }
    for (const seed of [1, 2, 3]) {
      const merged = splitAndMerge(layout, valuesOnly(values), seed);
      expect(layout.finish(merged, { fn: "approxTopK", k: 3 })).toEqual(["alpha", "beta", 7]);
      expect((layout.finish(merged, { fn: "approxTopK", k: 5 }) as unknown[] | null)?.slice(0, 4)).toEqual(["alpha", "beta", 7, "delta"]);
    }
  });

  it("is null on no rows", () => {
    expect(layout.finish(layout.empty(), { fn: "approxTopK", k: 3 })).toBeNull();
    expect(layout.finish(foldAll(layout, valuesOnly([null])), { fn: "approxTopK", k: 3 })).toBeNull();
  });
});
