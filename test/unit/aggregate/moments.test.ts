import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileLayout } from "../../../src/aggregate/index.js";
import { foldAll, splitAndMerge, valuesOnly } from "./split-merge.js";

/** Sample variance by the two-pass formula, in exact-ish arithmetic (mean first, then deviations). */
function twoPassVariance(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  let m2 = 0;
  let correction = 0;
  for (const x of xs) {
    m2 += (x - mean) ** 2;
    correction += x - mean;
  }
  // The corrected two-pass algorithm (Chan, Golub, LeVeque): removes the mean's rounding error.
  return (m2 - (correction * correction) / xs.length) / (xs.length - 1);
}

const value = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) },
  { weight: 3, arbitrary: fc.integer({ min: -1000, max: 1000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e-9, 123456.789) },
  { weight: 1, arbitrary: fc.constant(null) },
);

describe("std and variance", () => {
  const layout = compileLayout([{ fn: "std" }, { fn: "variance" }]);

  it("match the two-pass sample variance, whatever the split and merge order", () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 100 }), fc.integer(), (values, seed) => {
        const xs = values.filter((v): v is number => v !== null);
        const expected = twoPassVariance(xs);
        const merged = splitAndMerge(layout, valuesOnly(values), seed);
        const variance = layout.finish(merged, { fn: "variance" }) as number | null;
        const std = layout.finish(merged, { fn: "std" }) as number | null;
        if (expected === null) {
          expect(variance).toBeNull();
          expect(std).toBeNull();
          return;
        }
        // Relative to the spread, plus a floor for data whose spread is tiny next to its
        // mean, plus one for squares that underflow (values around 1e-160).
        const meanSq = xs.reduce((a, x) => a + x * x, 0) / xs.length;
        const tolerance = 1e-9 * expected + 1e-13 * meanSq + 1e-300;
        expect(Math.abs((variance as number) - expected)).toBeLessThanOrEqual(tolerance);
        expect(Math.abs((std as number) - Math.sqrt(expected))).toBeLessThanOrEqual(
          Math.sqrt(tolerance) + 1e-9 * Math.sqrt(expected),
        );
      }),
      { numRuns: 500 },
    );
  });

  it("is null below two values and 0 for constant data", () => {
    expect(layout.finish(layout.empty(), { fn: "variance" })).toBeNull();
    expect(layout.finish(foldAll(layout, valuesOnly([5, null])), { fn: "std" })).toBeNull();
    const constant = foldAll(layout, valuesOnly([3.3, 3.3, 3.3, 3.3]));
    expect(layout.finish(constant, { fn: "variance" })).toBe(0);
    expect(layout.finish(constant, { fn: "std" })).toBe(0);
  });

  it("stays accurate where a naive sum of squares cancels", () => {
    // Epoch-ms timestamps a few seconds apart: x^2 ~ 3e24 leaves a naive formula no digits.
    const xs = Array.from({ length: 10_000 }, (_, i) => 1.7e12 + ((i * 7919) % 5000) + 0.25);
    const expected = twoPassVariance(xs) as number;
    for (const seed of [1, 2, 3]) {
      const merged = splitAndMerge(layout, valuesOnly(xs), seed);
      const variance = layout.finish(merged, { fn: "variance" }) as number;
      expect(Math.abs(variance - expected) / expected).toBeLessThan(1e-12);
    }
    const naive = (xs.reduce((a, x) => a + x * x, 0) - xs.reduce((a, x) => a + x, 0) ** 2 / xs.length) / 9_999;
    expect(Math.abs(naive - expected) / expected).toBeGreaterThan(1e-3);
  });
});
