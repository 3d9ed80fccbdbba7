import type { Project } from "../project/model.js";
import { isDue, nextRun, type Schedule } from "../time/schedule.js";

/** A feature with a backfillSchedule. */
export interface ScheduledFeature {
  readonly fqn: string;
  /** The schedule as written ("0 * * * *", "1h"). */
  readonly text: string;
  readonly schedule: Schedule;
}

/** Every windowed feature with a backfillSchedule, in load order. */
export function scheduledFeatures(project: Project): ScheduledFeature[] {
  return project.windowed.flatMap((f) => {
    const s = f.materialization?.backfillSchedule;
    return s ? [{ fqn: f.fqn, text: s.text, schedule: s.schedule }] : [];
  });
}

/** The features due at `now`, given when each last ran (a feature that never ran is due). */
export function dueFeatures(features: readonly ScheduledFeature[], lastRuns: ReadonlyMap<string, number>, now: number): ScheduledFeature[] {
  return features.filter((f) => isDue(f.schedule, lastRuns.get(f.fqn) ?? null, now));
}

/** The next time any feature is due after `now`, and which. */
export function nextDue(features: readonly ScheduledFeature[], lastRuns: ReadonlyMap<string, number>, now: number): { at: number; features: string[] } | null {
  let at = Infinity;
  let names: string[] = [];
  for (const f of features) {
    const last = lastRuns.get(f.fqn);
    // Never run: due right away, which the caller just did; otherwise the next slot after the last run.
    const next = Math.max(nextRun(f.schedule, last ?? now), now);
    if (next < at) [at, names] = [next, [f.fqn]];
    else if (next === at) names.push(f.fqn);
  }
  return Number.isFinite(at) ? { at, features: names } : null;
}
