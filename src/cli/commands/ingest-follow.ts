import { closeSync, openSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { AggError } from "../../errors.js";
import type { IngestProgress, IngestSummary, Rejection } from "../../ingest/ingest-summary.js";
import { inputLimits } from "../../ingest/input-limits.js";
import type { SourceLag } from "../../sources/message-source.js";
import type { Io } from "../io.js";
import { loadProjectFor, openStoreFor } from "../session.js";
import { ingestStoreError } from "../../store/store-error.js";
import { parseBatchSize, rate, renderSummary, summaryJson, DEFAULT_BATCH_SIZE, SHOWN_REJECTIONS, type IngestOptions } from "./ingest.js";

/** A batch also commits this long after its first message: a live stream shows up in queries within a second. */
const MAX_BATCH_DELAY_MS = 1000;

/**
 * `agg ingest --source NAME --follow`: consume the stream resolver's declared broker until
 * SIGINT or SIGTERM. Each batch's messages are acknowledged to the broker only after the
 * transaction holding them commits; at a signal the open batch commits, its messages are
 * acknowledged, and the command exits 0.
 */
export async function ingestFollowCommand(io: Io, options: IngestOptions): Promise<void> {
  if (options.file !== undefined) throw new AggError("usage", "--follow reads the source's broker, --file reads a file: pass one of them", { hint: `agg ingest --source ${options.source} --follow, or agg ingest --source ${options.source} --file ${options.file}` });
  if (options.format === "csv") throw new AggError("usage", "--format csv does not apply to --follow: broker messages are JSON", { hint: "leave out --format, or declare parse: (bytes) => ... on the stream resolver for another encoding" });
  const batchSize = parseBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  const limits = inputLimits(io.env);
  const onError = options.onError ?? "fail";
  const outageLimitMs = envNumber(io, "AGG_BROKER_RETRY_MS", 600_000, 0);
  const maxDeliveries = envNumber(io, "AGG_MAX_DELIVERIES", 10, 1);
  const project = await loadProjectFor(io, options, { resolvers: true });
  const { findStream } = await import("../../ingest/find-stream.js");
  const stream = findStream(project, options.source);
  if (stream.broker === null) {
    throw new AggError("usage", `source "${stream.source}" (${stream.where}) reads a file or stdin; --follow needs a broker source`, {
      hint: 'declare source: redisStream({ name, url, stream, group }) or pubSub({ name, project, subscription }) in the stream resolver, or leave out --follow and pipe the messages in (e.g. kcat -C ... | agg ingest --source NAME)',
    });
  }
  const { sourceSettings } = await import("../../sources/source-settings.js");
  const { openMessageSource } = await import("../../sources/open-message-source.js");
  const settings = sourceSettings(stream.broker, io.env);
  const deadLetter = options.deadLetter === undefined ? null : openDeadLetter(io, options.deadLetter);
  const drawable = io.interactive && (process.stderr.columns ?? 0) > 0;
  const spinner = drawable ? (await import("ora")).default({ stream: process.stderr, text: "connecting", discardStdin: false }).start() : null;
  const above = (text: string) => {
    spinner?.clear();
    io.err(text);
    spinner?.render();
  };
  let source;
  try {
    source = await openMessageSource(settings, { now: io.now, notice: (text) => above(`${io.color.yellow("broker:")} ${text}`), batchSize, maxRecordBytes: limits.maxRecordBytes, parse: stream.parse, outageLimitMs, maxDeliveries }, stream.where);
  } catch (error) {
    spinner?.stop();
    deadLetter?.close();
    throw error;
  }
  const session = await openStoreFor(io, options, project).catch(async (error: unknown) => {
    spinner?.stop();
    deadLetter?.close();
    await source.close();
    throw error;
  });
  const { compileSeries } = await import("../../series/compiled-series.js");
  const { ingestMessages } = await import("../../ingest/ingest-messages.js");
  if (spinner !== null) spinner.text = `waiting for messages from ${source.description}`;
  else io.err(`following ${source.description} (stop with SIGINT or SIGTERM)`);
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => stop.abort(signal);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const startedAt = io.now();
  let shown = 0;
  let last: IngestProgress = { messagesRead: 0, rowsInserted: 0, rejected: 0, seconds: 0 };
  let logged = 0;
  const status = () => `${last.messagesRead.toLocaleString("en-US")} messages (${rate(last.messagesRead, (io.now() - startedAt) / 1000)}/s)${last.rejected > 0 ? `, ${last.rejected} rejected` : ""}, lag ${lagText(source.lag())}`;
  const redraw = spinner === null ? undefined : setInterval(() => (spinner.text = status()), 250);
  let unacknowledged = 0;
  try {
    const { summary, failure } = await ingestMessages({
      db: session.db,
      project,
      stream,
      series: compileSeries(session.defs, session.series),
      messages: source.messages,
      batchSize,
      maxKeyBytes: limits.maxKeyBytes,
      maxBatchDelayMs: MAX_BATCH_DELAY_MS,
      onError,
      now: io.now,
      signal: stop.signal,
      onReject: (rejection: Rejection) => {
        const id = source.idOf(rejection.line) ?? null;
        deadLetter?.write(stream.source, id, rejection);
        if (onError === "skip" && shown++ < SHOWN_REJECTIONS) above(`${io.color.yellow("skipped")} message ${id ?? rejection.line}: ${rejection.reason}`);
      },
      onProgress: (progress) => (last = progress),
      onCommitted: (through) => {
        source.acknowledge(through);
        if (spinner === null && last.messagesRead > logged) {
          io.err(`committed ${(last.messagesRead - logged).toLocaleString("en-US")} messages: ${status()}`);
          logged = last.messagesRead;
        }
      },
    }).catch((error: unknown) => {
      throw ingestStoreError(error, session.storePath);
    });
    clearInterval(redraw);
    spinner?.stop();
    if (failure !== null) {
      if (!options.json) io.err(renderSummary(io, summary));
      const id = source.idOf(failure.line);
      throw new AggError("input", `message ${id ?? failure.line} of ${source.description}: ${failure.reason}`, {
        hint: `the messages before it were committed and acknowledged; it stays unacknowledged and is delivered again on the next run: fix the producer (or the resolver at ${stream.where}), or run with --on-error skip${deadLetter === null ? " --dead-letter FILE" : ""} to set bad messages aside`,
        meta: { id: id ?? null, reason: failure.reason, summary },
      });
    }
    ({ unacknowledged } = await source.close());
    if (options.json) io.out(JSON.stringify({ ...summaryJson(summary), stoppedBy: stopReason(stop.signal) }, null, 2));
    else io.err(renderSummary(io, summary));
    io.err(stoppedText(summary, stop.signal, unacknowledged));
    if (summary.rejected > 0) {
      const where = options.deadLetter === undefined ? "pass --dead-letter FILE to keep them" : `written to ${options.deadLetter}`;
      io.err(`${io.color.yellow("warning:")} ${summary.rejected} message${summary.rejected === 1 ? "" : "s"} rejected (${where})`);
    }
  } finally {
    clearInterval(redraw);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    spinner?.stop();
    await source.close();
    deadLetter?.close();
    session.close();
  }
}

function stopReason(signal: AbortSignal): string | null {
  return signal.aborted ? (typeof signal.reason === "string" ? signal.reason : "aborted") : null;
}

function stoppedText(summary: IngestSummary, signal: AbortSignal, unacknowledged: number): string {
  const by = stopReason(signal);
  const head = by === null ? "the broker source ended" : `stopped by ${by}`;
  const acks = unacknowledged === 0 ? "every committed message was acknowledged" : "some acknowledgements could not be sent: those messages are delivered again and are then duplicates";
  return `${head}: ${summary.messagesRead.toLocaleString("en-US")} messages read and committed; ${acks}`;
}

function lagText(lag: SourceLag): string {
  if (lag.seconds === null) return "-";
  return `${lag.seconds.toFixed(1)}s${lag.entries === null ? "" : `, ${lag.entries.toLocaleString("en-US")} entries`}`;
}

function envNumber(io: Io, name: string, fallback: number, min: number): number {
  const text = io.env[name];
  if (text === undefined || text === "") return fallback;
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(n >= min)) throw new AggError("usage", `invalid ${name}="${text}"`, { hint: `write a whole number, at least ${min} (default ${fallback})` });
  return n;
}

/** The dead-letter file, truncated at the start: one JSON line per rejected message, with the broker's id. */
function openDeadLetter(io: Io, file: string) {
  let fd: number;
  try {
    fd = openSync(resolve(io.cwd, file), "w");
  } catch (error) {
    throw new AggError("usage", `--dead-letter ${file}: cannot write it (${(error as Error).message})`, { hint: "check that its folder exists and is writable" });
  }
  return {
    write: (source: string, id: string | null, r: Rejection) => writeSync(fd, `${JSON.stringify({ source, id, reason: r.reason, message: r.message })}\n`),
    close: () => closeSync(fd),
  };
}
