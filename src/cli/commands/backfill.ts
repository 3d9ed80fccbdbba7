import type { RangeRequest } from "../../backfill/plan-backfill.js";
import { AggError } from "../../errors.js";
import type { OfflineSourceModel, Project } from "../../project/model.js";
import { closestName } from "../../closest-name.js";
import type { GlobalOptions } from "../context.js";
import type { Io } from "../io.js";
import { exitAfterSignal } from "../exit-after-signal.js";
import { loadProjectFor, openStoreFor, type Session } from "../session.js";
import { failStaleJobs, instantFlag, pastRetentionJson, pastRetentionLines, planJson, planTable, startProgress } from "./backfill-output.js";

export interface BackfillOptions extends GlobalOptions {
  feature?: string[];
  lowerBound?: string;
  upperBound?: string;
  source?: string;
  plan?: boolean;
}

/** `agg aggregate backfill`: recompute the buckets behind features, as a recorded job. */
export async function backfillCommand(io: Io, options: BackfillOptions): Promise<void> {
  const lower = instantFlag("--lower-bound", options.lowerBound);
  const upper = instantFlag("--upper-bound", options.upperBound);
  if (lower !== undefined && upper !== undefined && lower >= upper) {
    throw new AggError("usage", `--lower-bound ${options.lowerBound} is not before --upper-bound ${options.upperBound}`, { hint: "the range is [lower, upper): give a lower bound before the upper one" });
  }
  const project = await loadProjectFor(io, options);
  const { resolveFeatures } = await import("../../backfill/select-series.js");
  // Names and the source are checked before the store is opened: a typo creates no store.
  const source = options.source === undefined ? null : offlineSource(project, options.source);
  const roots = resolveFeatures(project, options.feature ?? [], source?.output ?? null);
  const session = await openStoreFor(io, options, project, { claim: options.plan !== true });
  try {
    await backfillIn(io, session, options, { roots, source, range: { kind: "bounds", ...(lower !== undefined && { lower }), ...(upper !== undefined && { upper }) } });
  } catch (error) {
    const { storeError } = await import("../../store/store-error.js");
    // Chunks commit one by one: say what a failure part way leaves behind.
    throw storeError(error, session.storePath, "the chunks committed before hold the new buckets and the others are unchanged (`agg aggregate jobs` shows what the job committed); running the backfill again finishes it");
  } finally {
    session.close();
  }
}

interface Target {
  readonly roots: readonly string[];
  readonly source: OfflineSourceModel | null;
  readonly range: RangeRequest;
}

async function backfillIn(io: Io, session: Session, options: BackfillOptions, { roots, source, range }: Target): Promise<void> {
  const { compileSeries } = await import("../../series/compiled-series.js");
  const { seriesFor } = await import("../../backfill/select-series.js");
  const { prepareBackfill, runBackfillJob } = await import("../../backfill/backfill-job.js");
  await failStaleJobs(io, session.db);

  const series = seriesFor(compileSeries(session.defs, session.series), roots, source?.output ?? null);
  const request = { features: roots, series, source, range };
  const sourceName = source?.name ?? "row log";
  if (!options.json) await printSeries(io, session, new Set(series.map((s) => s.id)));

  if (options.plan) {
    // The plan as the run would see it: a run claims the sizes first (store/size-state.ts).
    const { declaredSizes } = await import("../../series/compiled-series.js");
    const { projectedSizeRecords } = await import("../../store/size-state.js");
    const prepared = await prepareBackfill(session.db, session.project, request, undefined, projectedSizeRecords(session.db, declaredSizes(series)));
    try {
      if (options.json) io.out(JSON.stringify({ job: null, status: "planned", source: sourceName, plan: prepared.plan.map(planJson) }, null, 2));
      else io.out(`\n${planTable(io, sourceName, prepared.plan)}\n\nNo buckets were changed and no job was recorded (--plan).`);
    } finally {
      prepared.close();
    }
    return;
  }

  const progress = await startProgress(io, sourceName);
  const stop = new AbortController();
  let stoppedBy: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    stoppedBy = signal;
    stop.abort(new AggError("runtime", `interrupted by ${signal}`, { hint: "chunks already committed hold the new buckets, the others are unchanged; run the backfill again to finish" }));
  };
  process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
  let damaged = 0;
  try {
    const outcome = await runBackfillJob(session.db, session.project, request, {
      onDamaged: () => void damaged++,
      now: io.now,
      pid: process.pid,
      signal: stop.signal,
      onStaged: progress.staged,
      onPlan: (plan) => {
        progress.planned(plan);
        if (!options.json) progress.above(`\n${planTable(io, sourceName, plan)}\n`);
      },
      onRows: progress.read,
    });
    progress.stop();
    if (damaged > 0) io.err(`note: ${damaged.toLocaleString("en-US")} stored bucket${damaged === 1 ? "" : "s"} of the backfilled ranges failed ${damaged === 1 ? "its" : "their"} checksum (damaged in the store) and ${damaged === 1 ? "was" : "were"} rebuilt from the ${sourceName}`);
    if (options.json) {
      const olderThanRetention = outcome.pastRetention.map(pastRetentionJson);
      io.out(JSON.stringify({ job: outcome.job, status: "completed", source: sourceName, plan: outcome.plan.map(planJson), rows: outcome.rows, buckets: outcome.buckets, olderThanRetention, seconds: outcome.seconds }, null, 2));
    } else {
      for (const line of pastRetentionLines(io, outcome.pastRetention, outcome.plan)) io.err(line);
      io.out(`job ${outcome.job} ${io.color.green("completed")}: ${outcome.rows.toLocaleString("en-US")} rows read, ${outcome.buckets.toLocaleString("en-US")} buckets written in ${outcome.seconds.toFixed(2)} s`);
    }
  } catch (error) {
    if (stoppedBy === null) throw error;
    // Stopped between two chunks: say what the committed ones wrote (the job records it), exit 128 + signal.
    progress.stop();
    const { listJobs } = await import("../../store/jobs.js");
    const jobId = (error as { meta?: { job?: number } }).meta?.job;
    const job = listJobs(session.db, 1_000_000).find((j) => j.id === jobId);
    const rows = job?.rows ?? 0;
    const buckets = job?.buckets ?? 0;
    if (options.json) io.out(JSON.stringify({ job: jobId ?? null, status: "failed", source: sourceName, interrupted: { signal: stoppedBy, rows, buckets } }, null, 2));
    io.err(
      `${io.color.yellow("interrupted:")} ${stoppedBy} stopped backfill job ${jobId ?? "?"} between two chunks: the committed chunks read ${rows.toLocaleString("en-US")} rows and wrote ${buckets.toLocaleString("en-US")} buckets (recorded on the job); the other chunks are unchanged; running the same backfill again finishes it`,
    );
    session.close();
    await exitAfterSignal(stoppedBy);
  } finally {
    progress.stop();
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
  }
}

/** The rows of the series table (as `agg list` prints them) for the series being backfilled. */
async function printSeries(io: Io, session: Session, ids: ReadonlySet<number>): Promise<void> {
  const { buildSeriesTable } = await import("../../series/build-series-table.js");
  const { seriesRowsTable } = await import("./list.js");
  const rows = buildSeriesTable(session.defs, session.db, io.now()).filter((r) => ids.has(r.series));
  io.out(seriesRowsTable(io, rows, false));
}

function offlineSource(project: Project, name: string): OfflineSourceModel {
  const source = project.offlineSources.get(name);
  if (source !== undefined) return source;
  const names = [...project.offlineSources.keys()];
  const guess = closestName(name, names);
  throw new AggError("usage", `unknown offline source "${name}"`, {
    hint: guess ? `did you mean "${guess}"?` : names.length ? `the project declares: ${names.join(", ")}` : "declare one with offlineSource({ name, output, sqlite | csv | ndjson }), or drop --source to read the row log",
  });
}
