import { existsSync } from "node:fs";
import { AggError } from "../../errors.js";
import type { JobRecord } from "../../store/jobs.js";
import { formatInstant } from "../../time/instant.js";
import { storeOptions, storePath, type GlobalOptions } from "../context.js";
import type { Io } from "../io.js";
import { renderTable } from "../render-table.js";
import { failStaleJobs } from "./backfill-output.js";

export interface JobsOptions extends GlobalOptions {
  limit?: string;
}

/** `agg aggregate jobs`: the newest backfill jobs. Needs no feature project, only the store. */
export async function jobsCommand(io: Io, options: JobsOptions): Promise<void> {
  const limit = Number(options.limit ?? "20");
  if (!Number.isSafeInteger(limit) || limit < 1) throw new AggError("usage", `--limit ${options.limit}: expected a whole number of jobs, 1 or more`, { hint: "for example --limit 5" });
  const path = storePath(io, options);
  if (!existsSync(path)) {
    // Listing jobs must not create a store.
    if (options.json) io.out("[]");
    else io.err(`No backfill jobs yet (no store at ${path}).`);
    return;
  }
  const { openDatabase } = await import("../../store/sqlite/open-store.js");
  const { listJobs } = await import("../../store/jobs.js");
  const db = openDatabase(path, { ...storeOptions(io), mustExist: true, noWrites: true });
  try {
    await failStaleJobs(io, db);
    const jobs = listJobs(db, limit);
    if (options.json) {
      io.out(JSON.stringify(jobs.map(jobJson), null, 2));
      return;
    }
    if (jobs.length === 0) {
      io.err("No backfill jobs yet.");
      return;
    }
    const head = ["Job", "Status", "Features", "Range", "Source", "Rows", "Buckets", "Started", "Seconds", "Error"];
    io.out(renderTable(io, head, jobs.map((job) => jobCells(io, job))));
  } finally {
    db.close();
  }
}

function jobJson(job: JobRecord) {
  return {
    id: job.id,
    status: job.status,
    features: job.features,
    series: job.series,
    lower: time(job.lower),
    upper: time(job.upper),
    source: job.source,
    rows: job.rows,
    buckets: job.buckets,
    created: formatInstant(job.createdAt),
    started: time(job.startedAt),
    finished: time(job.finishedAt),
    seconds: seconds(job),
    error: job.error,
    pid: job.pid,
  };
}

function jobCells(io: Io, job: JobRecord): string[] {
  const status = job.status === "completed" ? io.color.green(job.status) : job.status === "failed" ? io.color.red(job.status) : io.color.yellow(job.status);
  const range = job.lower === null || job.upper === null ? "-" : `${formatInstant(job.lower)} .. ${formatInstant(job.upper)}`;
  const took = seconds(job);
  return [
    String(job.id),
    status,
    job.features.length === 0 ? "(all)" : job.features.join(" "),
    range,
    job.source,
    job.rows.toLocaleString("en-US"),
    job.buckets.toLocaleString("en-US"),
    time(job.startedAt) ?? "-",
    took === null ? "-" : took.toFixed(2),
    job.error ?? "",
  ];
}

function time(ms: number | null): string | null {
  return ms === null ? null : formatInstant(ms);
}

function seconds(job: JobRecord): number | null {
  return job.startedAt === null || job.finishedAt === null ? null : (job.finishedAt - job.startedAt) / 1000;
}
