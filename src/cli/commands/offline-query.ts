import { statSync } from "node:fs";
import { resolve } from "node:path";
import type { OfflineSummary } from "../../offline-query/run-offline-query.js";
import type { TableFormat } from "../../offline-query/spine-format.js";
import type { OutputColumn, TableWriter } from "../../offline-query/table-output.js";
import { AggError } from "../../errors.js";
import { storeOptions, storePath, type GlobalOptions } from "../context.js";
import type { Io } from "../io.js";
import { loadProjectFor } from "../session.js";

export interface OfflineQueryCliOptions extends GlobalOptions {
  spine: string;
  idColumn: string;
  timeColumn: string;
  feature?: string[];
  out?: string;
  format?: TableFormat;
  mode?: "serving" | "exact";
  excludeAtTime?: boolean;
  onError?: "fail" | "skip";
}

/** Bad spine rows printed on stderr with --on-error skip. */
const SHOWN_REJECTIONS = 10;

/** `agg offline-query`: feature values at every (id, time) of a spine, a training set (SPEC 5.4). */
export async function offlineQueryCommand(io: Io, options: OfflineQueryCliOptions): Promise<void> {
  const { formatOfPath } = await import("../../offline-query/spine-format.js");
  const names = options.feature ?? [];
  if (names.length === 0) throw new AggError("usage", "agg offline-query needs at least one --feature", { hint: "name one, e.g. --feature user.txn_sum (all its windows); agg list shows them all" });
  const mode = options.mode ?? "serving";
  if (options.excludeAtTime && mode !== "exact") throw new AggError("usage", "--exclude-at-time needs --mode exact", { hint: "serving mode answers as `agg query --at T` does, rows at T included; --mode exact --exclude-at-time reads (T - W, T)" });
  if (options.json && options.out === undefined) throw new AggError("usage", "--json needs --out: without it the rows go to stdout", { hint: "pass --out FILE (the summary is then JSON on stdout), or leave out --json (the summary goes to stderr)" });
  const spinePath = resolve(io.cwd, options.spine);
  if (!isFile(spinePath)) throw new AggError("usage", `--spine ${options.spine}: no such file`, { hint: `check the path (relative to ${io.cwd})` });
  const spineFormat = formatOfPath(spinePath) ?? noFormat("--spine", options.spine);
  const outPath = options.out === undefined ? null : resolve(io.cwd, options.out);
  if (outPath === spinePath) throw new AggError("usage", "--out names the spine itself", { hint: "write the training set to another file" });
  const format = options.format ?? (outPath === null ? "csv" : (formatOfPath(outPath) ?? noFormat("--out", options.out!)));

  // Project and names first: a broken project or a typo never opens the store.
  const project = await loadProjectFor(io, options);
  const { selectWindows } = await import("../../query/select-windows.js");
  const featureColumns: OutputColumn[] = selectWindows(names, project).map((t) => ({ name: t.fqn, kind: t.feature.kind === "groupByWindowed" || ["approxTopK", "minByN", "maxByN"].includes(t.feature.agg.fn) ? "json" : "number" }));
  const [{ connectStore }, { readSpine }, { spineEntry }, { ColumnKinds }, { openTableWriter }, { inputLimits }] = await Promise.all([
    import("../../client/agg-store.js"),
    import("../../offline-query/read-spine.js"),
    import("../../offline-query/spine-entry.js"),
    import("../../offline-query/column-kinds.js"),
    import("../../offline-query/write-table.js"),
    import("../../ingest/input-limits.js"),
  ]);
  const store = connectStore(project, storePath(io, options), storeOptions(io));
  const drawable = io.interactive && (process.stderr.columns ?? 0) > 0;
  const spinner = drawable ? (await import("ora")).default({ stream: process.stderr, text: "reading the spine", discardStdin: false }).start() : null;
  try {
    const reader = readSpine(spinePath, spineFormat, inputLimits(io.env));
    const kinds = new ColumnKinds();
    const schema = await reader.schema().catch((error: unknown) => {
      throw new AggError("input", `--spine ${options.spine}: not a readable Parquet file (${error instanceof Error ? error.message : String(error)})`, { hint: "pass a Parquet, CSV (.csv) or NDJSON (.ndjson) spine" });
    });
    if (schema !== null) {
      checkColumns(schema, options);
      kinds.declare(schema);
    }
    let skipped = 0;
    let checked = schema !== null;
    const reject = (line: number, reason: string) => {
      if ((options.onError ?? "fail") === "fail") {
        throw new AggError("input", `${reader.unit} ${line} of ${options.spine}: ${reason}`, {
          hint: `fix or remove ${reader.unit} ${line} and run the same command again, or pass --on-error skip to leave bad rows out (nothing was written)`,
          meta: { line, reason },
        });
      }
      if (skipped++ < SHOWN_REJECTIONS) {
        spinner?.clear();
        io.err(`${io.color.yellow("skipped")} ${reader.unit} ${line}: ${reason}`);
      }
    };
    async function* spine() {
      for await (const record of reader.records) {
        if ("error" in record) {
          reject(record.line, record.error);
          continue;
        }
        if (!checked) checkColumns(Object.keys(record.cells), options, spineFormat === "ndjson");
        checked = true;
        kinds.see(record.cells);
        const entry = spineEntry(record.cells, options.idColumn, options.timeColumn);
        if (typeof entry === "string") reject(record.line, entry);
        else yield { id: entry.id, at: entry.at, cells: record.cells };
      }
    }
    const query = store.offlineQuery({
      features: names,
      spine: spine(),
      mode,
      excludeAtTime: options.excludeAtTime === true,
      // CSV cells and parsed NDJSON are plain JSON data; Parquet cells may be Dates and bigints.
      payloadCodec: spineFormat === "parquet" ? "v8" : "json",
      onProgress: (p) => {
        if (spinner !== null) spinner.text = `${p.phase} ${p.rows.toLocaleString("en-US")}${p.total === null ? "" : ` of ${p.total.toLocaleString("en-US")}`} rows`;
      },
    });
    let writer: TableWriter | null = null;
    const open = (): TableWriter => {
      const spineColumns = kinds.names.map((name) => ({ name, kind: kinds.kind(name) }));
      const clash = spineColumns.find((c) => featureColumns.some((f) => f.name === c.name));
      if (clash !== undefined) throw new AggError("usage", `the spine has a column named ${clash.name}, which is also a feature column`, { hint: "rename that spine column: the output adds one column per feature window, named by its FQN" });
      // Parquet is bytes: it goes to the process's stdout as they are, not through io.out's text lines.
      return openTableWriter(format, outPath === null ? { write: (chunk) => (typeof chunk === "string" ? io.out(chunk) : process.stdout.write(chunk)) } : { path: outPath }, spineColumns, featureColumns);
    };
    for await (const row of query) {
      writer ??= open();
      await writer.write(row.spine.cells, query.columns.map((c) => (row.values as Record<string, unknown>)[c]));
    }
    await (writer ?? open()).finish();
    spinner?.stop();
    const summary = query.summary!;
    if (options.json) io.out(JSON.stringify({ ...summary, skipped, out: outPath, format }, null, 2));
    else io.err(renderSummary(io, summary, skipped, outPath ?? "stdout"));
    if (summary.rows === 0) io.err(`${io.color.yellow("warning:")} the spine ${options.spine} has no usable rows`);
    for (const w of summary.warnings) io.err(`${io.color.yellow("warning:")} ${w.message}${w.rows > 1 ? ` (and ${(w.rows - 1).toLocaleString("en-US")} more rows like it)` : ""}`);
  } finally {
    spinner?.stop();
    store.close();
  }
}

function checkColumns(columns: readonly string[], options: OfflineQueryCliOptions, perRow = false): void {
  // An NDJSON row may leave a key out: that row is reported by line, not the whole spine.
  if (perRow) return;
  for (const [flag, name] of [["--id-column", options.idColumn], ["--time-column", options.timeColumn]] as const) {
    if (!columns.includes(name)) throw new AggError("usage", `${flag} ${name}: the spine has no such column`, { hint: `its columns are ${columns.map((c) => JSON.stringify(c)).join(", ")}` });
  }
}

function noFormat(flag: string, path: string): never {
  throw new AggError("usage", `${flag} ${path}: cannot tell the format from the file name`, { hint: "name it .csv, .ndjson (or .jsonl) or .parquet; for --out, --format csv|ndjson|parquet also sets it" });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function renderSummary(io: Io, s: OfflineSummary, skipped: number, out: string): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const rate = s.seconds > 0 ? `${n(Math.round(s.rows / s.seconds))} rows/s` : "-";
  return [
    `${io.color.bold("offline-query:")} ${n(s.rows)} rows (${n(s.entities)} entities) x ${n(s.features)} feature columns in ${s.seconds.toFixed(2)}s (${rate}), mode ${s.mode}${s.excludeAtTime ? ", at-time rows excluded" : ""}`,
    `  rows with a default value: ${n(s.rowsWithDefault)}, with a partial value: ${n(s.rowsWithPartial)}${s.rowsWithOverflow > 0 ? `, with an overflow: ${n(s.rowsWithOverflow)}` : ""}${skipped > 0 ? `; ${n(skipped)} bad spine rows skipped` : ""}`,
    `  written to ${out}`,
  ].join("\n");
}
