import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileLayout, type Scalar } from "../../../src/aggregate/index.js";
import { foldAll, rng, splitAndMerge, valuesOnly } from "./split-merge.js";

const spec = { fn: "approxCountDistinct" } as const;
const layout = compileLayout([spec]);

const distinctOf = (values: readonly Scalar[]) =>
  new Set(values.filter((v) => v !== null && v === v).map((v) => (typeof v === "number" ? v + 0 : v))).size;

describe("approxCountDistinct", () => {
  it("is exact for small counts, whatever the split and merge order", () => {
    const value = fc.oneof(
      fc.integer({ min: -50, max: 50 }),
      fc.string({ maxLength: 3 }),
      fc.boolean(),
      fc.double({ noNaN: true }),
      fc.constantFrom(null, 0, -0, "0", "", 1, "1", true),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 300 }), fc.integer(), (values, seed) => {
        const merged = splitAndMerge(layout, valuesOnly(values), seed);
        expect(layout.finish(merged, spec)).toBe(distinctOf(values));
      }),
      { numRuns: 300 },
    );
  });

  it("tells 1, '1' and true apart and counts 0 on no rows", () => {
    expect(layout.finish(layout.empty(), spec)).toBe(0);
    expect(layout.finish(foldAll(layout, valuesOnly([null, null])), spec)).toBe(0);
    expect(layout.finish(foldAll(layout, valuesOnly([1, "1", true, 1, "1", true, -0, 0])), spec)).toBe(4);
  });

  it.each([1_000, 5_000, 20_000, 100_000, 300_000])("is within 2 percent at %i distinct values", (count) => {
    const random = rng(count);
    const values: Scalar[] = [];
    for (let i = 0; i < count; i++) {
      // Strings and numbers, with repeats: each distinct value appears 1-3 times.
      const v = i % 2 === 0 ? `user-${i}` : i * 1.5;
      for (let r = 1 + Math.floor(random() * 3); r > 0; r--) values.push(v);
    }
    const whole = foldAll(layout, valuesOnly(values));
    const merged = splitAndMerge(layout, valuesOnly(values), count);
    const estimate = layout.finish(whole, spec) as number;
    expect(Math.abs(estimate - count) / count).toBeLessThan(0.02);
    // Dense registers are a max over all hashes: the same whatever the split.
    expect(layout.finish(merged, spec)).toBe(estimate);
  });

  it("is within 2% on sequential integers and on short random strings", () => {
    for (const make of [(i: number) => i, (i: number) => i.toString(36)]) {
      const values = Array.from({ length: 100_000 }, (_, i) => make(i));
      const estimate = layout.finish(foldAll(layout, valuesOnly(values)), spec) as number;
      expect(Math.abs(estimate - 100_000) / 100_000).toBeLessThan(0.02);
    }
  });
});
