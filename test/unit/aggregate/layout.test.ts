import { describe, expect, it } from "vitest";
import { isAggError } from "../../../src/errors.js";
import { type AggSpec, aggLabel, compileLayout, isNumericAgg } from "../../../src/aggregate/index.js";
import { foldAll, valuesOnly } from "./split-merge.js";

const ALL: AggSpec[] = [
  { fn: "sum" },
  { fn: "count" },
  { fn: "mean" },
  { fn: "min" },
  { fn: "max" },
  { fn: "std" },
  { fn: "variance" },
  { fn: "approxCountDistinct" },
  { fn: "approxPercentile", q: 0.95 },
  { fn: "approxTopK", k: 5 },
  { fn: "minByN", by: "ts", n: 3 },
  { fn: "maxByN", by: "ts", n: 3 },
];

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("compileLayout", () => {
  it("gives the SPEC 1.2 value on no rows for every aggregation", () => {
    const layout = compileLayout(ALL);
    const expected = [0, 0, null, null, null, null, null, 0, null, null, null, null];
    for (const s of [layout.empty(), layout.decode(layout.encode(layout.empty()))]) {
      expect(ALL.map((spec) => layout.finish(s, spec))).toEqual(expected);
      expect(layout.rows(s)).toBe(0);
    }
  });

  it("keeps the specs in order and shares components", () => {
    const layout = compileLayout(ALL);
    expect(layout.specs).toEqual(ALL);
    // mean reuses sum's state; a layout with both encodes like one with only mean.
    const both = compileLayout([{ fn: "sum" }, { fn: "mean" }]);
    const mean = compileLayout([{ fn: "mean" }]);
    const rows = valuesOnly([1.25, 2.5, null]);
    expect(both.encode(foldAll(both, rows))).toEqual(mean.encode(foldAll(mean, rows)));
    const moments = compileLayout([{ fn: "std" }, { fn: "variance" }]);
    const std = compileLayout([{ fn: "std" }]);
    expect(moments.encode(foldAll(moments, rows))).toEqual(std.encode(foldAll(std, rows)));
  });

  it("refuses to finish an aggregation it does not keep", () => {
    const layout = compileLayout([{ fn: "sum" }, { fn: "min" }]);
    const s = foldAll(layout, valuesOnly([1, 2]));
    for (const spec of [{ fn: "max" }, { fn: "std" }, { fn: "approxTopK", k: 1 }] as const) {
      const e = thrown(() => layout.finish(s, spec));
      expect(isAggError(e) && e.code).toBe("runtime");
    }
    expect(layout.finish(s, { fn: "count" })).toBe(2);
  });

  it.each([
    { fn: "approxPercentile" },
    { fn: "approxPercentile", q: 1.5 },
    { fn: "approxTopK", k: 0 },
    { fn: "approxTopK", k: 2.5 },
    { fn: "minByN", n: 3 },
    { fn: "maxByN", by: "ts" },
  ] as AggSpec[])("rejects $fn with bad parameters ($q $k $n $by)", (spec) => {
    const e = thrown(() => compileLayout([spec]));
    expect(isAggError(e) && e.code).toBe("project");
    expect((e as Error).message).toContain("invalid aggregation");
  });

  it("merging a state into itself doubles it", () => {
    const layout = compileLayout(ALL);
    const s = foldAll(
      layout,
      [3, 1, 2].map((v) => ({ value: v, row: { ts: v } })),
    );
    layout.merge(s, s);
    expect(layout.finish(s, { fn: "count" })).toBe(6);
    expect(layout.finish(s, { fn: "sum" })).toBe(12);
    expect(layout.finish(s, { fn: "minByN", by: "ts", n: 3 })).toEqual([1, 1, 2]);
  });

  it("throws a store error on truncated or foreign bytes", () => {
    const layout = compileLayout([{ fn: "sum" }, { fn: "min" }]);
    const bytes = layout.encode(foldAll(layout, valuesOnly([1.5, 2.75])));
    for (const bad of [bytes.subarray(0, bytes.length - 1), new Uint8Array([9, 1]), new Uint8Array([...bytes, 0])]) {
      const e = thrown(() => layout.decode(bad));
      expect(isAggError(e) && e.code).toBe("store");
    }
  });

  it("decodes from a view into a larger buffer", () => {
    const layout = compileLayout([{ fn: "sum" }]);
    const bytes = layout.encode(foldAll(layout, valuesOnly([0.1, 0.2])));
    const padded = new Uint8Array(bytes.length + 10);
    padded.set(bytes, 5);
    expect(layout.finish(layout.decode(padded.subarray(5, 5 + bytes.length)), { fn: "sum" })).toBe(0.30000000000000004);
  });
});

describe("aggLabel and isNumericAgg", () => {
  it("render the series table's Aggregation column", () => {
    expect(ALL.map(aggLabel)).toEqual([
      "sum",
      "count",
      "mean",
      "min",
      "max",
      "std",
      "variance",
      "approx_count_distinct",
      "approx_percentile(0.95)",
      "approx_top_k(5)",
      "min_by_n(ts, 3)",
      "max_by_n(ts, 3)",
    ]);
  });

  it("mark the aggregations that need numbers", () => {
    expect(ALL.filter((s) => isNumericAgg(s.fn)).map((s) => s.fn)).toEqual([
      "sum",
      "mean",
      "min",
      "max",
      "std",
      "variance",
      "approxPercentile",
    ]);
  });
});
