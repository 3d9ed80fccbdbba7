import { readBucketsForKeys, readOneKeyBuckets, type BucketRecord, type BucketTable } from "../store/bucket-table.js";
import type { Db } from "../store/open-store.js";
import { parseRow, rowsForKeys } from "../store/row-log.js";
import { groupKeyOf, matchesFilter } from "../series/row-match.js";
import type { BoundGroup } from "./bind-windows.js";
import type { WindowPlan } from "./plan-window.js";
import { firstMs } from "./span.js";
import type { MatchedRow } from "./sweep-group.js";

const NONE: readonly never[] = Object.freeze([]);

/**
 * The buckets a group's plans read, per entity (same order as `ids`), oldest first: one
 * range read for one entity, one statement for many.
 */
export function readGroupBuckets(db: Db, table: BucketTable, group: BoundGroup, plans: readonly WindowPlan[], ids: readonly string[]): (readonly BucketRecord[])[] {
  let first = Infinity;
  for (const plan of plans) if (plan.buckets !== null && plan.buckets.from < first) first = plan.buckets.from;
  if (group.seriesId === null || first === Infinity) return ids.map(() => NONE);
  const last = plans[0]!.size!.lastBucket;
  const keyCount = group.match.groupKeys.length;
  if (ids.length === 1) {
    const id = ids[0]!;
    return [keyCount === 1 ? readOneKeyBuckets(db, group.seriesId, group.bucketMs, id, first, last) : table.read(group.seriesId, group.bucketMs, keyCount, group.keyIndex, id, first, last)];
  }
  const out = ids.map((): BucketRecord[] => []);
  const index = new Map(ids.map((id, i) => [id, i]));
  for (const record of readBucketsForKeys(db, group.seriesId, group.bucketMs, keyCount, group.keyIndex, ids, first, last)) {
    const i = index.get(record.keys[group.keyIndex]!);
    if (i !== undefined) out[i]!.push(record);
  }
  return out;
}

/**
 * The row-log rows a group's plans read, per entity, oldest first: rows of the
 * aggregated namespace whose join key is the entity, kept by the same filter and group
 * key rules ingest and backfill use (src/series/row-match.ts).
 */
export function readGroupRows(db: Db, group: BoundGroup, plans: readonly WindowPlan[], ids: readonly string[], at: number): (readonly MatchedRow[])[] {
  let from = Infinity;
  for (const plan of plans) if (plan.rows !== null && firstMs(plan.rows) < from) from = firstMs(plan.rows);
  if (from === Infinity) return ids.map(() => NONE);
  const out = ids.map((): MatchedRow[] => []);
  const index = ids.length === 1 ? null : new Map(ids.map((id, i) => [id, i]));
  for (const logged of rowsForKeys(db, group.match.namespace, group.joinKey, ids, from, at + 1)) {
    const row = parseRow(logged.data);
    if (!matchesFilter(group.match.filter, row)) continue;
    const keys = groupKeyOf(group.match, row);
    if (keys === null) continue;
    const id = keys[group.keyIndex]!;
    const i = index === null ? (id === ids[0] ? 0 : undefined) : index.get(id);
    if (i !== undefined) out[i]!.push({ ts: logged.ts, row, keys });
  }
  return out;
}
