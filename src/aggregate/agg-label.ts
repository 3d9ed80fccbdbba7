import type { AggFn, AggSpec } from "./types.js";

const NAMES: Record<AggFn, string> = {
  sum: "sum",
  count: "count",
  mean: "mean",
  min: "min",
  max: "max",
  std: "std",
  variance: "variance",
  approxCountDistinct: "approx_count_distinct",
  approxPercentile: "approx_percentile",
  approxTopK: "approx_top_k",
  minByN: "min_by_n",
  maxByN: "max_by_n",
};

/**
 * How an aggregation reads in the series table: `sum`, `approx_percentile(0.95)`,
 * `approx_top_k(5)`, `min_by_n(ts, 3)`.
 */
export function aggLabel(spec: AggSpec): string {
  const name = NAMES[spec.fn];
  switch (spec.fn) {
    case "approxPercentile":
      return `${name}(${spec.q ?? "?"})`;
    case "approxTopK":
      return `${name}(${spec.k ?? "?"})`;
    case "minByN":
    case "maxByN":
      return `${name}(${spec.by ?? "?"}, ${spec.n ?? "?"})`;
    default:
      return name;
  }
}

const NUMERIC = new Set<AggFn>(["sum", "mean", "min", "max", "std", "variance", "approxPercentile"]);

/** Whether the aggregation needs a numeric feature (the DSL only offers it on numbers). */
export function isNumericAgg(fn: AggFn): boolean {
  return NUMERIC.has(fn);
}
