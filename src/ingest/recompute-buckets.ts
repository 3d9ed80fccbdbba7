import type { BucketState } from "../aggregate/types.js";
import type { CompiledSize } from "../series/compiled-series.js";
import { aggregatedValue, matchesFilter } from "../series/row-match.js";
import { parseRow, type LoggedRow, type RowLog } from "../store/row-log.js";
import type { Target } from "./affected-series.js";
import type { OpenBucket } from "./bucket-cache.js";
import { keysOfText, keyTextOf } from "./key-text.js";

/**
 * The states of some buckets of one (series, size) that share a start, rebuilt from the
 * row log: what a replaced row forces, since min, max and sketches cannot take a value
 * back out. Returns the state per key text; a key with no logged row any more is absent.
 *
 * With the row log's index on the series' first key (`indexed`), the buckets of one
 * entity are one range read; otherwise one read of the bucket's time range serves them
 * all. Rows are read to the end before the caller writes: the connection cannot run
 * other statements while a read is open.
 */
export function recomputeBuckets(
  rowLog: RowLog,
  target: Target,
  size: CompiledSize,
  start: number,
  buckets: readonly { readonly keyText: string }[],
  indexed: boolean,
): Map<string, BucketState> {
  const def = target.series.def;
  const end = start + size.bucketMs;
  const wanted = new Set(buckets.map((b) => b.keyText));
  const values = new Set(buckets.map((b) => keysOfText(b.keyText, def.groupKeys.length)[0] as string));
  const key = indexed && values.size === 1 ? { feature: def.groupKeys[0] as string, value: [...values][0] as string } : undefined;
  const logged: LoggedRow[] = [...rowLog.range(def.namespace, start, end, key)];
  const states = new Map<string, BucketState>();
  for (const entry of logged) {
    const row = parseRow(entry.data);
    if (!matchesFilter(def.filter, row)) continue;
    const keyText = keyTextOf(def.groupKeys, row);
    if (keyText === null || !wanted.has(keyText)) continue;
    let state = states.get(keyText);
    if (state === undefined) states.set(keyText, (state = size.layout.empty()));
    size.layout.add(state, aggregatedValue(def, row), row);
  }
  return states;
}

/**
 * The states of the buckets a batch marked for recompute in one (series, size), rebuilt
 * from the row log, per start and key text; buckets past the retention `cutoff` are left
 * out (they are deleted, not rebuilt).
 */
export function recomputeTouched(
  rowLog: RowLog,
  target: Target,
  slot: { readonly size: CompiledSize; readonly touched: readonly OpenBucket[] },
  cutoff: number,
  indexed: boolean,
): Map<number, Map<string, BucketState>> {
  const byStart = new Map<number, OpenBucket[]>();
  for (const bucket of slot.touched) {
    if (!bucket.recompute || bucket.start + slot.size.bucketMs <= cutoff) continue;
    const list = byStart.get(bucket.start);
    if (list === undefined) byStart.set(bucket.start, [bucket]);
    else list.push(bucket);
  }
  const out = new Map<number, Map<string, BucketState>>();
  for (const [start, buckets] of byStart) out.set(start, recomputeBuckets(rowLog, target, slot.size, start, buckets, indexed));
  return out;
}
