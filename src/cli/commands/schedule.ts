import type { ScheduledFeature } from "../../backfill/due-schedules.js";
import { AggError, isAggError } from "../../errors.js";
import type { CompiledSeries } from "../../series/compiled-series.js";
import { formatInstant } from "../../time/instant.js";
import { describeSchedule } from "../../time/schedule.js";
import type { GlobalOptions } from "../context.js";
import type { Io } from "../io.js";
import { openProjectAndStore, type Session } from "../session.js";
import { failStaleJobs, instantFlag } from "./backfill-output.js";

export interface ScheduleOptions extends GlobalOptions {
  once?: boolean;
  now?: string;
}

/** Longest single sleep: the loop re-reads the clock at least this often. */
const MAX_SLEEP_MS = 60_000;

/**
 * `agg aggregate schedule`: backfills each feature whose backfillSchedule is due, one job
 * per feature, and logs one line per run. `--once` runs what is due and exits; otherwise
 * it sleeps until the next due time, until SIGINT or SIGTERM. `--now` fixes the clock
 * (in the loop it then advances from there).
 */
export async function scheduleCommand(io: Io, options: ScheduleOptions): Promise<void> {
  const fixed = instantFlag("--now", options.now);
  const session = await openProjectAndStore(io, options);
  // --now is the clock's reading at the first pass exactly; later passes add the time elapsed.
  const started = io.now();
  const clock = (): number => (fixed === undefined ? io.now() : fixed + (io.now() - started));
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => stop.abort(new AggError("runtime", `interrupted by ${signal}`, { hint: "the interrupted job's committed chunks hold new buckets, the rest are unchanged" }));
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
  try {
    const failed = await loop(io, session, options, fixed ?? started, clock, stop.signal);
    if (failed > 0 && options.once) {
      throw new AggError("runtime", `${failed} scheduled backfill${failed === 1 ? "" : "s"} failed`, { hint: "see the log lines above and `agg aggregate jobs`", meta: { reported: true } });
    }
  } catch (error) {
    const { storeError } = await import("../../store/store-error.js");
    throw storeError(error, session.storePath, "the backfill chunks and runs committed before are kept");
  } finally {
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
    session.close();
  }
}

/** Runs due features until stopped (or once); returns how many runs failed. */
async function loop(io: Io, session: Session, options: ScheduleOptions, first: number, clock: () => number, signal: AbortSignal): Promise<number> {
  const { scheduledFeatures, dueFeatures, nextDue } = await import("../../backfill/due-schedules.js");
  const { scheduleRuns } = await import("../../store/job-history.js");
  const { recordScheduleRun } = await import("../../store/jobs.js");
  const { compileSeries } = await import("../../series/compiled-series.js");
  const scheduled = scheduledFeatures(session.project);
  if (scheduled.length === 0) {
    io.err("No feature has a backfillSchedule; nothing to run.");
    return 0;
  }
  const compiled = compileSeries(session.defs, session.series);
  let failed = 0;
  for (let pass = 0; !signal.aborted; pass++) {
    await failStaleJobs(io, session.db);
    const now = pass === 0 ? first : clock();
    const due = dueFeatures(scheduled, scheduleRuns(session.db), now);
    for (const feature of due) {
      if (signal.aborted) break;
      if (!(await runOne(io, session, options, compiled, feature, now, signal))) failed++;
      recordScheduleRun(session.db, feature.fqn, now);
    }
    if (options.once && due.length === 0) {
      // Say so, and when something is due, rather than exiting in silence.
      const next = nextDue(scheduled, scheduleRuns(session.db), now);
      io.err(`nothing is due at ${formatInstant(now)}${next === null ? "" : `; next: ${next.features.join(" ")} at ${formatInstant(next.at)}`}`);
    }
    if (options.once || signal.aborted) break;
    const next = nextDue(scheduled, scheduleRuns(session.db), clock());
    if (next === null) break;
    io.err(`next: ${next.features.join(" ")} at ${formatInstant(next.at)}`);
    await sleep(Math.min(MAX_SLEEP_MS, Math.max(0, next.at - clock())), signal);
  }
  return failed;
}

/** One scheduled backfill of the feature's series from the row log: all data up to `now`'s bucket boundary. */
async function runOne(io: Io, session: Session, options: ScheduleOptions, compiled: readonly CompiledSeries[], feature: ScheduledFeature, now: number, signal: AbortSignal): Promise<boolean> {
  const { runBackfillJob } = await import("../../backfill/backfill-job.js");
  const series = compiled.filter((s) => s.def.features.some((f) => f.fqn === feature.fqn));
  const base = { at: formatInstant(now), feature: feature.fqn, schedule: feature.text };
  try {
    const outcome = await runBackfillJob(session.db, session.project, { features: [feature.fqn], series, source: null, range: { kind: "scheduled", now } }, { now: io.now, pid: process.pid, signal });
    const line = { ...base, job: outcome.job, status: "completed", rows: outcome.rows, buckets: outcome.buckets, seconds: outcome.seconds, error: null };
    io.out(options.json ? JSON.stringify(line) : `${line.at} ${feature.fqn} (${describeSchedule(feature.schedule)}): job ${outcome.job} ${io.color.green("completed")}, ${outcome.rows} rows read, ${outcome.buckets} buckets written, ${outcome.seconds.toFixed(2)} s`);
    return true;
  } catch (caught) {
    const { storeError } = await import("../../store/store-error.js");
    // A locked store fails this run, not the scheduler; anything else is a bug.
    const error = storeError(caught, session.storePath);
    if (!isAggError(error)) throw error;
    const line = { ...base, job: (error.meta.job as number | undefined) ?? null, status: "failed", rows: 0, buckets: 0, seconds: 0, error: error.message };
    io.out(options.json ? JSON.stringify(line) : `${line.at} ${feature.fqn} (${describeSchedule(feature.schedule)}): ${io.color.red("failed")}: ${error.message}`);
    return false;
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
