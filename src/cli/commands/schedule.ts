import type { ScheduleEvent, ScheduledRun } from "../../backfill/run-schedule.js";
import { AggError } from "../../errors.js";
import { formatInstant } from "../../time/instant.js";
import { describeSchedule } from "../../time/schedule.js";
import type { GlobalOptions } from "../context.js";
import type { Io } from "../io.js";
import { openProjectAndStore } from "../session.js";
import { instantFlag, staleJobNote } from "./backfill-output.js";

export interface ScheduleOptions extends GlobalOptions {
  once?: boolean;
  now?: string;
}

/**
 * `agg aggregate schedule`: runs the schedule loop (backfill/run-schedule.ts) and logs
 * one line per run. `--once` runs what is due and exits; otherwise it runs until SIGINT
 * or SIGTERM. `--now` fixes the clock (in the loop it then advances from there).
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
    const [{ runSchedule }, { compileSeries }] = await Promise.all([import("../../backfill/run-schedule.js"), import("../../series/compiled-series.js")]);
    const failed = await runSchedule({
      db: session.db,
      project: session.project,
      series: compileSeries(session.defs, session.series),
      storePath: session.storePath,
      first: fixed ?? started,
      clock,
      once: options.once === true,
      signal: stop.signal,
      now: io.now,
      onEvent: (event) => render(io, options, event),
    });
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

function render(io: Io, options: ScheduleOptions, event: ScheduleEvent): void {
  switch (event.kind) {
    case "none-scheduled":
      return io.err("No feature has a backfillSchedule; nothing to run.");
    case "stale-job":
      return io.err(staleJobNote(event.job));
    case "run":
      return io.out(options.json ? JSON.stringify(runJson(event.run)) : runLine(io, event.run));
    case "nothing-due": {
      // Say so, and when something is due, rather than exiting in silence.
      const next = event.next === null ? "" : `; next: ${event.next.features.join(" ")} at ${formatInstant(event.next.at)}`;
      return io.err(`nothing is due at ${formatInstant(event.at)}${next}`);
    }
    case "sleep":
      return io.err(`next: ${event.next.features.join(" ")} at ${formatInstant(event.next.at)}`);
  }
}

function runJson(run: ScheduledRun) {
  return { at: formatInstant(run.at), feature: run.feature.fqn, schedule: run.feature.text, job: run.job, status: run.status, rows: run.rows, buckets: run.buckets, seconds: run.seconds, error: run.error };
}

function runLine(io: Io, run: ScheduledRun): string {
  const head = `${formatInstant(run.at)} ${run.feature.fqn} (${describeSchedule(run.feature.schedule)}): `;
  if (run.status === "failed") return `${head}${io.color.red("failed")}: ${run.error}`;
  return `${head}job ${run.job} ${io.color.green("completed")}, ${run.rows} rows read, ${run.buckets} buckets written, ${run.seconds.toFixed(2)} s`;
}
