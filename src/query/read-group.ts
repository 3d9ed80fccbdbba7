import { EMPTY_RUN, readBucketRun, readBucketRuns, type BucketRun } from "../store/sqlite/bucket-runs.js";
import type { Db } from "../store/sqlite/open-store.js";
import { parseRow, rowsForKeys } from "../store/sqlite/row-log.js";
import { groupKeyOf, matchesFilter } from "../series/row-match.js";
import type { BoundGroup } from "./bind-windows.js";
import type { GroupPlan } from "./plan-group.js";
import type { MatchedRow } from "./sweep-group.js";

const NONE: readonly never[] = Object.freeze([]);

/**
 * The buckets a group's plan reads, per entity (same order as `ids`): one range read for
 * one entity, one statement for many.
 */
export function readGroupBuckets(db: Db, group: BoundGroup, plan: GroupPlan, ids: readonly string[]): BucketRun[] {
  if (group.seriesId === null || plan.firstBucket === Infinity) return ids.map(() => EMPTY_RUN);
  const keyCount = group.match.groupKeys.length;
  const slotMs = group.grid?.slotMs ?? group.bucketMs;
  if (ids.length === 1) return [readBucketRun(db, group.seriesId, group.bucketMs, keyCount, group.keyIndex, ids[0]!, plan.firstBucket, plan.lastBucket, slotMs)];
  return readBucketRuns(db, group.seriesId, group.bucketMs, keyCount, group.keyIndex, ids, plan.firstBucket, plan.lastBucket, slotMs);
}

/**
 * The row-log rows a group's plan reads, per entity, oldest first: rows of the
 * aggregated namespace whose join key is the entity, kept by the same filter and group
 * key rules ingest and backfill use (src/series/row-match.ts).
 */
export function readGroupRows(db: Db, group: BoundGroup, plan: GroupPlan, ids: readonly string[], at: number): (readonly MatchedRow[])[] {
  if (plan.rowsFrom === Infinity && plan.history === null) return ids.map(() => NONE);
  const out = ids.map((): MatchedRow[] => []);
  const index = ids.length === 1 ? null : new Map(ids.map((id, i) => [id, i]));
  // Oldest first: the history in place of buckets, then the newest rows.
  if (plan.history !== null) collect(db, group, ids, index, plan.history.from, plan.history.to, out);
  if (plan.rowsFrom !== Infinity) collect(db, group, ids, index, plan.rowsFrom, at + 1, out);
  return out;
}

function collect(db: Db, group: BoundGroup, ids: readonly string[], index: Map<string, number> | null, from: number, to: number, out: MatchedRow[][]): void {
  for (const logged of rowsForKeys(db, group.match.namespace, group.joinKey, ids, from, to)) {
    const row = parseRow(logged.data);
    if (!matchesFilter(group.match.filter, row)) continue;
    const keys = groupKeyOf(group.match, row);
    if (keys === null) continue;
    const id = keys[group.keyIndex]!;
    const i = index === null ? (id === ids[0] ? 0 : undefined) : index.get(id);
    if (i !== undefined) out[i]!.push({ ts: logged.ts, row, keys });
  }
}
