import { retentionCutoff } from "../series/compiled-series.js";
import type { Db } from "../store/sqlite/open-store.js";
import { seriesMaxEventTime } from "../store/series-registry.js";
import { gridOf } from "../time/bucket-grid.js";
import type { PlanItem } from "./plan-backfill.js";
import { ROW_LOG } from "./row-source.js";

/** Rows of a plan item's range that retention kept out of every bucket of its size. */
export interface PastRetention {
  readonly seriesId: number;
  readonly bucketMs: number;
  readonly source: string;
  readonly rows: number;
  /** The oldest such row's event time. */
  readonly from: number;
  /** They lie before this bucket start, the first retention keeps. */
  readonly before: number;
  /** Whether the row log holds them (queries compute their windows from it); an offline source's do not. */
  readonly inRowLog: boolean;
}

/**
 * After a run: how many rows each item read that are older than its size's retention
 * (the latest event time the series has seen, minus the retention and one bucket, SPEC 3),
 * so the command can say what it dropped instead of leaving it silent. Reads the sources
 * while they are still open.
 */
export function rowsPastRetention(db: Db, plan: readonly PlanItem[]): PastRetention[] {
  const out: PastRetention[] = [];
  for (const item of plan) {
    if (item.range === null) continue;
    const clock = seriesMaxEventTime(db, item.series.id);
    if (clock === null) continue;
    const keptFrom = gridOf(item.series.def, item.size.bucketMs).alignDown(retentionCutoff(clock, item.size));
    const before = Math.min(keptFrom, item.range.upper);
    if (before <= item.range.lower) continue;
    const rows = item.source.count(item.range.lower, before);
    if (rows === 0) continue;
    const [first] = item.source.range(item.range.lower, before);
    out.push({ seriesId: item.series.id, bucketMs: item.size.bucketMs, source: item.source.name, rows, from: first!.ts, before, inRowLog: item.source.name === ROW_LOG });
  }
  return out;
}
