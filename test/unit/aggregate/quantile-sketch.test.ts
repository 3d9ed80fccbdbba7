import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileLayout } from "../../../src/aggregate/index.js";
import { foldAll, rng, splitAndMerge, valuesOnly } from "./split-merge.js";

const QS = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];
const layout = compileLayout(QS.map((q) => ({ fn: "approxPercentile", q })));

/**
 * DDSketch answers rank q * (n - 1): any value within 1% of an element between the
 * two sorted neighbours of that rank is right. Magnitudes below its smallest bin
 * (about 2.2e-308) count as zero.
 */
function expectWithinOnePercent(sorted: readonly number[], q: number, got: number | null): void {
  const rank = q * (sorted.length - 1);
  const lo = sorted[Math.floor(rank)] as number;
  const hi = sorted[Math.ceil(rank)] as number;
  const slack = 0.01 + 1e-12;
  expect(got).not.toBeNull();
  expect(got as number).toBeGreaterThanOrEqual(lo - slack * Math.abs(lo) - 2.3e-308);
  expect(got as number).toBeLessThanOrEqual(hi + slack * Math.abs(hi) + 2.3e-308);
}

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const DISTRIBUTIONS: Record<string, (r: () => number, i: number) => number> = {
  uniform: (r) => r() * 1000,
  lognormal: (r) => Math.exp(2 + 1.5 * normal(r)),
  "normal around 0 (negatives)": (r) => 50 * normal(r),
  "exponential with zeros": (r) => (r() < 0.2 ? 0 : -Math.log(1 - r()) * 30),
  "integers with heavy ties": (r) => Math.floor(r() * 5) - 2,
  "wide range": (r) => (r() < 0.5 ? -1 : 1) * 10 ** (r() * 12 - 6),
};

describe("approxPercentile", () => {
  it.each(Object.keys(DISTRIBUTIONS))("is within 1 percent relative error on %s", (name) => {
    const make = DISTRIBUTIONS[name] as (r: () => number, i: number) => number;
    const random = rng(name.length);
    const xs = Array.from({ length: 20_000 }, (_, i) => make(random, i));
    const sorted = xs.slice().sort((a, b) => a - b);
    const merged = splitAndMerge(layout, valuesOnly(xs), 11);
    for (const q of QS) {
      expectWithinOnePercent(sorted, q, layout.finish(merged, { fn: "approxPercentile", q }) as number);
    }
  });

  it("gives the same answer whatever the split and merge order, within 1% of the truth", () => {
    const value = fc.oneof(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom(0, -0, 1, -1, 1e-300, 5e-324, null),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 120 }), fc.integer(), fc.constantFrom(...QS), (values, seed, q) => {
        const xs = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
        const whole = layout.finish(foldAll(layout, valuesOnly(values)), { fn: "approxPercentile", q });
        const merged = layout.finish(splitAndMerge(layout, valuesOnly(values), seed), { fn: "approxPercentile", q });
        expect(merged).toBe(whole);
        if (xs.length === 0) expect(merged).toBeNull();
        else expectWithinOnePercent(xs, q, merged as number);
      }),
      { numRuns: 200 },
    );
  });

  it("is null on no rows and returns 0 for zeros", () => {
    expect(layout.finish(layout.empty(), { fn: "approxPercentile", q: 0.5 })).toBeNull();
    const zeros = foldAll(layout, valuesOnly([0, 0, null, -0]));
    expect(layout.finish(zeros, { fn: "approxPercentile", q: 0.5 })).toBe(0);
  });

  it("shares one sketch between quantiles", () => {
    const one = compileLayout([{ fn: "approxPercentile", q: 0.5 }]);
    const s1 = foldAll(one, valuesOnly([1, 2, 3]));
    const s2 = foldAll(layout, valuesOnly([1, 2, 3]));
    expect(layout.encode(s2).length).toBe(one.encode(s1).length);
  });
});
