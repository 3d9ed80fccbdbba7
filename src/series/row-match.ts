import type { Row, Scalar } from "../aggregate/types.js";
import type { FilterNode, Literal } from "../dsl/filter.js";
import type { SeriesDef } from "./derive.js";

/**
 * How a row of the aggregated namespace meets a series: does the filter keep it, what is
 * its group key, what value is aggregated. Shared by ingest, backfill and the query's
 * row-log reads so all three agree exactly.
 */
export function matchesFilter(node: FilterNode | null, row: Row): boolean {
  if (node === null) return true;
  switch (node.kind) {
    case "and":
      return node.args.every((arg) => matchesFilter(arg, row));
    case "or":
      return node.args.some((arg) => matchesFilter(arg, row));
    case "in":
      return node.values.some((v) => equal(valueOf(row, node.feature), v));
    case "cmp": {
      const left = valueOf(row, node.feature);
      if (node.op === "eq") return equal(left, node.value);
      if (node.op === "ne") return !equal(left, node.value);
      // Ordering comparisons with null are false, as in SQL.
      if (left === null || node.value === null || typeof left !== typeof node.value) return false;
      switch (node.op) {
        case "gt":
          return left > node.value;
        case "gte":
          return left >= node.value;
        case "lt":
          return left < node.value;
        case "lte":
          return left <= node.value;
      }
    }
  }
}

function valueOf(row: Row, fqn: string): Scalar {
  return row[fqn.slice(fqn.indexOf(".") + 1)] ?? null;
}

function equal(a: Scalar, b: Literal): boolean {
  return a === b;
}

/**
 * The row's group key for a series, as strings, or null when a key is missing or empty
 * (such a row is logged but belongs to no bucket of this series).
 */
export function groupKeyOf(series: Pick<SeriesDef, "groupKeys">, row: Row): string[] | null {
  const keys: string[] = [];
  for (const name of series.groupKeys) {
    const value = row[name];
    if (value === null || value === undefined || value === "") return null;
    keys.push(String(value));
  }
  return keys;
}

/** The aggregated value (null for a bare row count or a missing value). */
export function aggregatedValue(series: Pick<SeriesDef, "feature">, row: Row): Scalar {
  return series.feature === null ? null : (row[series.feature] ?? null);
}
