import type { Project } from "../project/model.js";
import type { Db } from "../store/sqlite/open-store.js";
import { countBuckets, readSeries } from "../store/series-registry.js";
import { readSizeRecords } from "../store/size-state.js";
import { staleSizes } from "./stale-sizes.js";
import { lastBackfills, scheduleRuns } from "../store/job-history.js";
import { formatInstant } from "../time/instant.js";
import { nextRun } from "../time/schedule.js";
import { AggError } from "../errors.js";
import type { SeriesDef } from "./derive.js";
import { closestName } from "../closest-name.js";
import { parseFeatureName, FqnError } from "./fqn.js";
import { seriesTable, type SeriesTableRow } from "./series-table.js";

export type SeriesListRow = SeriesTableRow & { readonly lastBackfill: string | null; readonly nextBackfill: string | null };

/** The series table with what the store knows: ids, stored buckets, status, last and next backfill. */
export function buildSeriesTable(defs: readonly SeriesDef[], db: Db, now: number): SeriesListRow[] {
  const records = readSeries(db, defs);
  const ids = new Map([...records].map(([identity, r]) => [identity, r.id]));
  const counts = countBuckets(db);
  const sizes = readSizeRecords(db);
  const stale = new Set(staleSizes(db, defs).map((s) => `${s.seriesId}:${s.bucketMs}`));
  const rows = seriesTable(defs, ids, (id, bucketMs) => ({ buckets: counts.get(`${id}:${bucketMs}`) ?? 0, recorded: sizes.has(`${id}:${bucketMs}`), stale: stale.has(`${id}:${bucketMs}`) }));
  const last = lastBackfills(db);
  const runs = scheduleRuns(db);
  const featureByFqn = new Map(defs.flatMap((d) => d.features.map((f) => [f.fqn, f] as const)));
  return rows.map((row) => {
    const lastAt = last.get(row.series);
    const next = row.dependentFeatures
      .map((fqn) => featureByFqn.get(fqn)?.materialization?.backfillSchedule)
      .flatMap((s, i) => (s ? [nextRun(s.schedule, runs.get(row.dependentFeatures[i]!) ?? now)] : []));
    return { ...row, lastBackfill: lastAt === undefined ? null : formatInstant(lastAt), nextBackfill: next.length ? formatInstant(Math.min(...next)) : null };
  });
}

/** Keeps the rows serving the named features (`--feature`, any name form of SPEC 1.5). */
export function filterByFeatures<R extends { dependentFeatures: readonly string[] }>(rows: readonly R[], names: readonly string[], project: Project): R[] {
  if (names.length === 0) return [...rows];
  const roots = new Set(names.map((name) => resolveRoot(name, project)));
  return rows.filter((r) => r.dependentFeatures.some((f) => roots.has(f)));
}

/** The root FQN of a windowed feature named in any accepted form; a usage error otherwise. */
export function resolveRoot(name: string, project: Project): string {
  let parsed;
  try {
    parsed = parseFeatureName(name);
  } catch (error) {
    if (error instanceof FqnError) throw new AggError("usage", error.message, { hint: error.hint });
    throw error;
  }
  const fqn = `${parsed.namespace}.${parsed.feature}`;
  const feature = project.windowed.find((f) => f.fqn === fqn);
  if (feature === undefined) {
    const guess = closestName(fqn, project.windowed.map((f) => f.fqn));
    throw new AggError("usage", `unknown windowed feature "${name}"`, { hint: guess ? `did you mean "${guess}"? (agg list shows them all)` : "run `agg list` to see the windowed features" });
  }
  if (parsed.windowMs !== null && !feature.windows.includes(parsed.windowMs)) {
    throw new AggError("usage", `${fqn} has no window "${name}"`, { hint: `its windows are ${feature.windows.map((w) => `${fqn}__${w / 1000}__`).join(", ")}` });
  }
  return fqn;
}
