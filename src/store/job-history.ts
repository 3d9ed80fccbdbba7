import type { Db } from "./sqlite/open-store.js";

/** When each series was last filled by a completed backfill (epoch ms). */
export function lastBackfills(db: Db): Map<number, number> {
  const rows = db.prepare<[], { series: string; finished_at: number }>("SELECT series, finished_at FROM jobs WHERE status = 'completed' ORDER BY finished_at").all();
  const out = new Map<number, number>();
  for (const row of rows) for (const id of JSON.parse(row.series) as number[]) out.set(id, row.finished_at);
  return out;
}

/** When each feature's backfillSchedule last ran (epoch ms). */
export function scheduleRuns(db: Db): Map<string, number> {
  const rows = db.prepare<[], { feature: string; last_run: number }>("SELECT feature, last_run FROM schedule_runs").all();
  return new Map(rows.map((r) => [r.feature, r.last_run]));
}
