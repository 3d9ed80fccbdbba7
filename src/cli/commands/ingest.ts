import { closeSync, createReadStream, openSync, statSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { AggError } from "../../errors.js";
import { inputLimits } from "../../ingest/input-limits.js";
import type { Interrupted } from "../../ingest/ingest-messages.js";
import type { IngestProgress, IngestSummary, Rejection } from "../../ingest/ingest-summary.js";
import { ingestStoreError } from "../../store/store-error.js";
import type { GlobalOptions } from "../context.js";
import { exitAfterSignal } from "../exit-after-signal.js";
import type { Io } from "../io.js";
import { loadProjectFor, openStoreFor } from "../session.js";
import { formatInstant } from "../../time/instant.js";
import { plural } from "../plural.js";

export interface IngestOptions extends GlobalOptions {
  source: string;
  file?: string;
  format?: "ndjson" | "csv";
  onError?: "fail" | "skip";
  deadLetter?: string;
  batchSize?: string;
  /** Consume the source's declared broker until SIGINT/SIGTERM (ingest-follow.ts). */
  follow?: boolean;
}

/** Rejections printed on stderr in skip mode; the dead-letter file holds them all. */
export const SHOWN_REJECTIONS = 10;
/** Messages per transaction when --batch-size is not given (program.ts shows the same in --help). */
export const DEFAULT_BATCH_SIZE = "50000";

/** `agg ingest`: messages through a stream resolver into the row log and the buckets. */
export async function ingestCommand(io: Io, options: IngestOptions): Promise<void> {
  if (options.follow === true) return (await import("./ingest-follow.js")).ingestFollowCommand(io, options);
  const batchSize = parseBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  const limits = inputLimits(io.env);
  const onError = options.onError ?? "fail";
  const project = await loadProjectFor(io, options, { resolvers: true });
  const { findStream } = await import("../../ingest/find-stream.js");
  const stream = findStream(project, options.source);
  const inputName = options.file ?? "stdin";
  if (options.deadLetter !== undefined && options.file !== undefined && resolve(io.cwd, options.deadLetter) === resolve(io.cwd, options.file)) {
    throw new AggError("usage", "--dead-letter names the input file itself", { hint: "write rejected messages to another file, e.g. --dead-letter rejected.ndjson" });
  }
  const input = openInput(io, options.file);
  const deadLetter = options.deadLetter === undefined ? null : openDeadLetter(io, options.deadLetter);
  const session = await openStoreFor(io, options, project);
  const { compileSeries } = await import("../../series/compiled-series.js");
  const { ingestMessages } = await import("../../ingest/ingest-messages.js");
  const { readNdjson } = await import("../../ingest/read-ndjson.js");
  const { readCsv } = await import("../../ingest/read-csv.js");
  // A pseudo-terminal without a size (columns 0) makes ora loop; stdin may be the input.
  const drawable = io.interactive && (process.stderr.columns ?? 0) > 0;
  const spinner = drawable ? (await import("ora")).default({ stream: process.stderr, text: "reading messages", discardStdin: false }).start() : null;
  const above = (text: string) => {
    spinner?.clear();
    io.err(text);
    spinner?.render();
  };
  let shown = 0;
  let lastDrawn = 0;
  // SIGINT / SIGTERM: stop between two messages, commit what was read, say so, exit 130 / 143.
  // Listening once: a second signal ends the process at once (its open transaction is lost, nothing else).
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => stop.abort(signal);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let stoppedBy: Interrupted | null = null;
  try {
    const { summary, failure, interrupted } = await ingestMessages({
      db: session.db,
      project,
      stream,
      series: compileSeries(session.defs, session.series),
      messages: options.format === "csv" ? readCsv(input, limits) : readNdjson(input, limits),
      batchSize,
      maxKeyBytes: limits.maxKeyBytes,
      // A live stream that goes quiet still shows up in queries within a second.
      maxBatchDelayMs: 1000,
      onError,
      now: io.now,
      signal: stop.signal,
      onReject: (rejection: Rejection) => {
        deadLetter?.write(rejection);
        if (onError === "skip" && shown++ < SHOWN_REJECTIONS) above(`${io.color.yellow("skipped")} line ${rejection.line}: ${rejection.reason}`);
      },
      onProgress: (progress: IngestProgress) => {
        if (spinner === null || io.now() - lastDrawn < 100) return;
        lastDrawn = io.now();
        spinner.text = `${progress.messagesRead.toLocaleString("en-US")} messages (${rate(progress.messagesRead, progress.seconds)}/s)${progress.rejected > 0 ? `, ${progress.rejected} rejected` : ""}`;
      },
    }).catch((error: unknown) => {
      throw ingestStoreError(error, session.storePath);
    });
    spinner?.stop();
    stoppedBy = failure === null ? interrupted : null;
    if (stoppedBy !== null) {
      if (options.json) io.out(JSON.stringify({ ...summaryJson(summary), interrupted: { signal: stoppedBy.reason, rowsCommitted: stoppedBy.rowsCommitted, lastCommittedLine: stoppedBy.lastCommittedLine } }, null, 2));
      else io.err(renderSummary(io, summary));
      io.err(interruptedText(io, stoppedBy, summary, options.file ?? "stdin"));
      return;
    }
    if (failure !== null) {
      if (!options.json) io.err(renderSummary(io, summary));
      throw new AggError("input", `line ${failure.line}${options.file === undefined ? "" : ` of ${options.file}`}: ${failure.reason}`, {
        hint:
          failure.resolverFault !== undefined
            ? `${kept(summary.messagesRead - 1)}; the message is valid: fix the resolver at ${failure.resolverFault} so its rows match the namespace's declared types, then run the same command again${summary.messagesRead > 1 ? " (the kept messages are then duplicates and change nothing)" : ""}`
            : `${kept(summary.messagesRead - 1)}; fix or remove line ${failure.line} and run the same command again${summary.messagesRead > 1 ? " (the kept messages are then duplicates and change nothing)" : ""}, or pass --on-error skip${deadLetter === null ? " --dead-letter FILE" : ""} to go past bad messages`,
        meta: { line: failure.line, reason: failure.reason, summary },
      });
    }
    if (summary.messagesRead === 0) {
      if (onError === "fail") {
        throw new AggError("input", `no messages in ${inputName}`, {
          hint: `check the input${options.format === "csv" ? " (a CSV input needs a header line and at least one record)" : ""}; pass --on-error skip to accept empty input`,
          meta: { summary },
        });
      }
      io.err(`${io.color.yellow("warning:")} no messages in ${inputName}`);
    }
    if (options.json) io.out(JSON.stringify(summaryJson(summary), null, 2));
    else io.err(renderSummary(io, summary));
    if (summary.rejected > 0) {
      const where = options.deadLetter === undefined ? "pass --dead-letter FILE to keep them" : `written to ${options.deadLetter}`;
      io.err(`${io.color.yellow("warning:")} ${summary.rejected} message${summary.rejected === 1 ? "" : "s"} rejected (${where})`);
    }
    for (const n of summary.needsBackfill) {
      io.err(`${io.color.yellow("warning:")} series ${n.series} (${n.bucket} buckets, ${n.features.join(", ")}) needs a backfill: ${n.reason}; queries read those values from the row log until \`agg backfill --feature ${n.features[0] ?? ""}\` runs`);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    spinner?.stop();
    deadLetter?.close();
    session.close();
    if (stoppedBy !== null) await exitAfterSignal(stoppedBy.reason);
  }
}

/** What a run stopped by a signal committed, and that running it again is safe. */
function interruptedText(io: Io, stopped: Interrupted, summary: IngestSummary, input: string): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const head = `${io.color.yellow("interrupted:")} ${stopped.reason} stopped the ingest`;
  if (stopped.lastCommittedLine === null) return `${head} before any message was committed; nothing was written`;
  return (
    `${head}: ${n(summary.messagesRead)} message${summary.messagesRead === 1 ? "" : "s"} read, ${n(stopped.rowsCommitted)} row${stopped.rowsCommitted === 1 ? "" : "s"} committed, ` +
    `through line ${n(stopped.lastCommittedLine)} of ${input}; running the same command again is safe (the committed messages are then duplicates and change nothing)`
  );
}

export function parseBatchSize(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 1_000_000)) throw new AggError("usage", `invalid --batch-size "${text}"`, { hint: `write a whole number of messages per transaction between 1 and 1000000 (default ${DEFAULT_BATCH_SIZE})` });
  return n;
}

function openInput(io: Io, file: string | undefined): AsyncIterable<Uint8Array | string> {
  if (file === undefined) {
    if (process.stdin.isTTY) io.err("reading messages from stdin (end with Ctrl-D; pass --file PATH to read a file)");
    return process.stdin;
  }
  const path = resolve(io.cwd, file);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new AggError("usage", `--file ${file}: no such file`, { hint: `check the path (relative to ${io.cwd}), or leave out --file to read stdin` });
  }
  if (!isFile) throw new AggError("usage", `--file ${file} is not a file`, { hint: "pass an NDJSON or CSV file, or leave out --file to read stdin" });
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/** The dead-letter file, truncated at the start: one JSON line per rejected message. */
function openDeadLetter(io: Io, file: string) {
  let fd: number;
  try {
    fd = openSync(resolve(io.cwd, file), "w");
  } catch (error) {
    throw new AggError("usage", `--dead-letter ${file}: cannot write it (${(error as Error).message})`, { hint: "check that its folder exists and is writable" });
  }
  return {
    write: (r: Rejection) => writeSync(fd, `${JSON.stringify({ line: r.line, reason: r.reason, message: r.message })}\n`),
    close: () => closeSync(fd),
  };
}

export function renderSummary(io: Io, s: IngestSummary): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const lines = [
    `${io.color.bold(`ingest ${s.source}:`)} ${plural(s.messagesRead, "message")} read in ${s.seconds.toFixed(2)}s (${rate(s.messagesRead, s.seconds)}/s)`,
    `  rows:    ${n(s.rowsInserted)} inserted, ${plural(s.duplicates, "duplicate")}, ${n(s.replaced)} replaced, ${n(s.rejected)} rejected, ${n(s.skipped)} skipped`,
    s.rowLogOnly
      ? "  buckets: not updated (the resolver has updatesMaterializedAggregations: false; backfill fills them)"
      : `  buckets: ${n(s.bucketsWritten)} written, ${n(s.bucketsDeleted)} deleted, ${n(s.seriesUpdated)} series updated`,
  ];
  const old = s.olderThanRetention;
  if (old !== null) {
    lines.push(`  older than retention: ${n(old.rows)} row${old.rows === 1 ? "" : "s"} (${formatInstant(old.from)} to ${formatInstant(old.to)}) logged but in no bucket of some sizes; queries compute those windows from the row log`);
  }
  return lines.join("\n");
}

/** The summary as `--json` prints it: times as ISO-8601, like every other JSON output. */
export function summaryJson(s: IngestSummary) {
  const old = s.olderThanRetention;
  return { ...s, olderThanRetention: old === null ? null : { rows: old.rows, from: formatInstant(old.from), to: formatInstant(old.to) } };
}

function kept(count: number): string {
  if (count === 0) return "it was the first message, so nothing was written";
  return count === 1 ? "the message before it was kept" : `the ${count.toLocaleString("en-US")} messages before it were kept`;
}

export function rate(count: number, seconds: number): string {
  return seconds > 0 ? Math.round(count / seconds).toLocaleString("en-US") : "-";
}
