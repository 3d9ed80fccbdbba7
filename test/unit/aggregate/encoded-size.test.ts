import { describe, expect, it } from "vitest";
import { type AggSpec, aggLabel, compileLayout } from "../../../src/aggregate/index.js";
import { type Input, foldAll, rng, valuesOnly } from "./split-merge.js";

const KINDS: AggSpec[] = [
  { fn: "count" },
  { fn: "sum" },
  { fn: "mean" },
  { fn: "min" },
  { fn: "max" },
  { fn: "variance" },
  { fn: "approxCountDistinct" },
  { fn: "approxPercentile", q: 0.95 },
  { fn: "approxTopK", k: 5 },
  { fn: "minByN", by: "ts", n: 3 },
];

/** Transaction-like rows: cents amounts, a category-ish key for top-k, epoch-ms times. */
function rows(count: number): Input[] {
  const random = rng(count);
  return Array.from({ length: count }, (_, i) => {
    const amount = Math.round(random() * 50_000) / 100;
    return { value: amount, row: { amount, ts: 1_700_000_000_000 + i * 60_000 } };
  });
}

const sizeOf = (specs: AggSpec[], inputs: Input[]) => {
  const layout = compileLayout(specs);
  return layout.encode(foldAll(layout, inputs)).length;
};

describe("encoded bucket sizes", () => {
  it("stay small for small buckets (and are reported)", () => {
    const report = KINDS.map((spec) => ({
      aggregation: aggLabel(spec),
      "1 row": sizeOf([spec], rows(1)),
      "1000 rows": sizeOf([spec], rows(1000)),
    }));
    for (const r of report) expect(r["1 row"], r.aggregation).toBeLessThan(40);
    // One layout shares state between its aggregations (mean and count reuse sum's count):
    // together they are smaller than apart.
    const five: AggSpec[] = [{ fn: "sum" }, { fn: "count" }, { fn: "mean" }, { fn: "min" }, { fn: "max" }];
    for (const n of [1, 1000]) {
      const apart = five.reduce((total, spec) => total + sizeOf([spec], rows(n)), 0);
      expect(sizeOf(five, rows(n)), `${n} rows`).toBeLessThan(apart);
    }
    expect(sizeOf([{ fn: "count" }], [])).toBe(2);
  });

  it("keeps a handful of distinct values in tens of bytes", () => {
    const five = valuesOnly(["a", "b", "c", "d", "e", "a"]);
    expect(sizeOf([{ fn: "approxCountDistinct" }], five)).toBeLessThan(100);
    const twoHundred = valuesOnly(Array.from({ length: 200 }, (_, i) => i));
    expect(sizeOf([{ fn: "approxCountDistinct" }], twoHundred)).toBeLessThan(200 * 8);
  });

  it("bounds a dense distinct sketch at 12 KiB plus a header", () => {
    const many = valuesOnly(Array.from({ length: 200_000 }, (_, i) => `v${i}`));
    expect(sizeOf([{ fn: "approxCountDistinct" }], many)).toBeLessThanOrEqual(12 * 1024 + 16);
  });
});
