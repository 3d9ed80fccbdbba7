import type { BucketState } from "../aggregate/types.js";
import type { CompiledSize } from "../series/compiled-series.js";
import { aggregatedValue, groupKeyOf, matchesFilter } from "../series/row-match.js";
import { parseRow, type RowLog } from "../store/row-log.js";
import type { Target } from "./affected-series.js";

/**
 * One bucket's state rebuilt from the row log: what a replaced row forces, since min,
 * max and sketches cannot take a value back out. Returns null when no logged row belongs
 * to the bucket any more. Rows are read to the end before the caller writes: the
 * connection cannot run other statements while a read is open.
 */
export function recomputeBucket(rowLog: RowLog, target: Target, size: CompiledSize, keys: readonly string[], start: number): BucketState | null {
  const def = target.series.def;
  const key = target.keyed ? { feature: def.groupKeys[0] as string, value: keys[0] as string } : undefined;
  const rows = [...rowLog.range(def.namespace, start, start + size.bucketMs, key)];
  let state: BucketState | null = null;
  for (const logged of rows) {
    const row = parseRow(logged.data);
    if (!matchesFilter(def.filter, row)) continue;
    const rowKeys = groupKeyOf(def, row);
    if (rowKeys === null || !sameKeys(rowKeys, keys)) continue;
    state ??= size.layout.empty();
    size.layout.add(state, aggregatedValue(def, row), row);
  }
  return state;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}
