import { isAggError } from "../errors.js";
import type { Project } from "../project/model.js";
import type { CompiledSeries } from "../series/compiled-series.js";
import type { Db } from "../store/sqlite/open-store.js";
import { scheduleRuns } from "../store/job-history.js";
import { failStaleJobs, recordScheduleRun, type StaleJob } from "../store/jobs.js";
import { storeError } from "../store/store-error.js";
import { runBackfillJob } from "./backfill-job.js";
import { dueFeatures, nextDue, scheduledFeatures, type ScheduledFeature } from "./due-schedules.js";
import { processState } from "./process-alive.js";

/** Longest single sleep: the loop re-reads the clock at least this often. */
const MAX_SLEEP_MS = 60_000;

/** What the schedule loop did, one event at a time, for the caller to show. */
export type ScheduleEvent =
  | { readonly kind: "none-scheduled" }
  /** A job an earlier process left running, found dead and marked failed. */
  | { readonly kind: "stale-job"; readonly job: StaleJob }
  | { readonly kind: "run"; readonly run: ScheduledRun }
  /** With `once`: nothing was due at `at`; `next` is the next due time, if any. */
  | { readonly kind: "nothing-due"; readonly at: number; readonly next: NextDue | null }
  /** The loop sleeps until `next.at`. */
  | { readonly kind: "sleep"; readonly next: NextDue };

export interface NextDue {
  readonly at: number;
  readonly features: readonly string[];
}

/** One scheduled backfill: completed, or failed with a store error (a locked store, say). */
export interface ScheduledRun {
  readonly at: number;
  readonly feature: ScheduledFeature;
  readonly job: number | null;
  readonly status: "completed" | "failed";
  readonly rows: number;
  readonly buckets: number;
  readonly seconds: number;
  readonly error: string | null;
}

export interface ScheduleOptions {
  readonly db: Db;
  readonly project: Project;
  readonly series: readonly CompiledSeries[];
  /** The store's path, for error messages. */
  readonly storePath: string;
  /** The time of the first pass; later passes read `clock`. */
  readonly first: number;
  readonly clock: () => number;
  /** Run what is due once, then return. */
  readonly once: boolean;
  /** Stops the loop between runs (and a running job between its chunks). */
  readonly signal: AbortSignal;
  readonly onEvent: (event: ScheduleEvent) => void;
  /** The wall clock, for job records. */
  readonly now: () => number;
}

/**
 * `agg aggregate schedule`'s loop: backfills each feature whose backfillSchedule is due,
 * one job per feature, from the row log up to the due time's bucket boundary, and
 * records the run; then sleeps until the next due time, until `signal` aborts. A run that
 * fails on the store (locked, say) fails that run, not the loop. Returns how many runs failed.
 */
export async function runSchedule(options: ScheduleOptions): Promise<number> {
  const { db, signal, onEvent } = options;
  const scheduled = scheduledFeatures(options.project);
  if (scheduled.length === 0) {
    onEvent({ kind: "none-scheduled" });
    return 0;
  }
  let failed = 0;
  for (let pass = 0; !signal.aborted; pass++) {
    for (const job of failStaleJobs(db, processState, options.now())) onEvent({ kind: "stale-job", job });
    const now = pass === 0 ? options.first : options.clock();
    const due = dueFeatures(scheduled, scheduleRuns(db), now);
    for (const feature of due) {
      if (signal.aborted) break;
      const run = await runOne(options, feature, now);
      if (run.status === "failed") failed++;
      onEvent({ kind: "run", run });
      recordScheduleRun(db, feature.fqn, now);
    }
    if (options.once && due.length === 0) onEvent({ kind: "nothing-due", at: now, next: nextDue(scheduled, scheduleRuns(db), now) });
    if (options.once || signal.aborted) break;
    const next = nextDue(scheduled, scheduleRuns(db), options.clock());
    if (next === null) break;
    onEvent({ kind: "sleep", next });
    await sleep(Math.min(MAX_SLEEP_MS, Math.max(0, next.at - options.clock())), signal);
  }
  return failed;
}

async function runOne(options: ScheduleOptions, feature: ScheduledFeature, now: number): Promise<ScheduledRun> {
  const series = options.series.filter((s) => s.def.features.some((f) => f.fqn === feature.fqn));
  try {
    const outcome = await runBackfillJob(options.db, options.project, { features: [feature.fqn], series, source: null, range: { kind: "scheduled", now } }, { now: options.now, pid: process.pid, signal: options.signal });
    return { at: now, feature, job: outcome.job, status: "completed", rows: outcome.rows, buckets: outcome.buckets, seconds: outcome.seconds, error: null };
  } catch (caught) {
    const error = storeError(caught, options.storePath);
    if (!isAggError(error)) throw error;
    return { at: now, feature, job: (error.meta.job as number | undefined) ?? null, status: "failed", rows: 0, buckets: 0, seconds: 0, error: error.message };
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
