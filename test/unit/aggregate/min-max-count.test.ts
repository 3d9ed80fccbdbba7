import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileLayout } from "../../../src/aggregate/index.js";
import { foldAll, splitAndMerge, valuesOnly } from "./split-merge.js";

const value = fc.oneof(
  { weight: 5, arbitrary: fc.double({ noNaN: true }) },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 5 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 5e-324, -Number.MAX_VALUE) },
  { weight: 2, arbitrary: fc.constant(null) },
);

describe("min, max, count, mean", () => {
  const layout = compileLayout([{ fn: "min" }, { fn: "max" }, { fn: "count" }, { fn: "mean" }]);

  it("match a direct computation, whatever the split and merge order", () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 60 }), fc.integer(), (values, seed) => {
        const xs = values.filter((v): v is number => v !== null).map((x) => x + 0);
        const merged = splitAndMerge(layout, valuesOnly(values), seed);
        expect(layout.finish(merged, { fn: "count" })).toBe(values.length);
        expect(layout.finish(merged, { fn: "min" })).toBe(xs.length === 0 ? null : Math.min(...xs) + 0);
        expect(layout.finish(merged, { fn: "max" })).toBe(xs.length === 0 ? null : Math.max(...xs) + 0);
        if (xs.length === 0) expect(layout.finish(merged, { fn: "mean" })).toBeNull();
      }),
      { numRuns: 400 },
    );
  });

  it("counts null rows but skips them (and NaN) for everything else", () => {
    const s = foldAll(layout, valuesOnly([null, 4, NaN, null, -2]));
    expect(layout.finish(s, { fn: "count" })).toBe(5);
    expect(layout.finish(s, { fn: "min" })).toBe(-2);
    expect(layout.finish(s, { fn: "max" })).toBe(4);
    expect(layout.finish(s, { fn: "mean" })).toBe(1);
  });

  it("gives the SPEC's values on no rows", () => {
    const all = compileLayout([{ fn: "sum" }, { fn: "count" }, { fn: "mean" }, { fn: "min" }, { fn: "max" }]);
    for (const s of [all.empty(), foldAll(all, valuesOnly([null, null]))]) {
      expect(all.finish(s, { fn: "sum" })).toBe(0);
      expect(all.finish(s, { fn: "mean" })).toBeNull();
      expect(all.finish(s, { fn: "min" })).toBeNull();
      expect(all.finish(s, { fn: "max" })).toBeNull();
    }
    expect(all.finish(all.empty(), { fn: "count" })).toBe(0);
  });
});
