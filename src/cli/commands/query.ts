import { isUtf8 } from "node:buffer";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { AggError } from "../../errors.js";
import type { StoreQueryResult } from "../../client/agg-store.js";
import type { ValueExplain } from "../../query/explain.js";
import { firstInvalidByte } from "../../ingest/read-lines.js";
import { parseIds } from "../../query/parse-ids.js";
import { formatSpan } from "../../query/span.js";
import { formatDuration } from "../../time/duration.js";
import { InstantError, formatInstant, parseInstant } from "../../time/instant.js";
import { formatLocalTime } from "../../time/zone-days.js";
import { storePath, type GlobalOptions } from "../context.js";
import type { Io } from "../io.js";
import { loadProjectFor } from "../session.js";

export interface QueryOptions extends GlobalOptions {
  feature?: string[];
  id?: string[];
  idsFile?: string;
  at?: string;
  explain?: boolean;
}

/** `agg query`: windowed feature values for entities at T (SPEC 5.3). */
export async function queryCommand(io: Io, options: QueryOptions): Promise<void> {
  const names = options.feature ?? [];
  if (names.length === 0) throw new AggError("usage", "agg query needs at least one --feature", { hint: 'name one, e.g. --feature user.txn_sum or --feature \'user.txn_sum["7d"]\'; agg list shows them all' });
  const ids = entityIds(io, options);
  const at = options.at === undefined ? io.now() : parseAt(options.at);

  // Project and names first: a broken project or a typo never opens the store.
  const project = await loadProjectFor(io, options);
  const { selectWindows } = await import("../../query/select-windows.js");
  selectWindows(names, project);
  // The typed API's code path (src/client): the CLI is one of its clients.
  const { connectStore } = await import("../../client/agg-store.js");
  const store = connectStore(project, storePath(io, options));
  let result: QueryResult;
  try {
    result = await store.query({ features: names, ids, at, explain: options.explain ?? false });
  } finally {
    store.close();
  }
  if (options.json) {
    const explainJson = result.rows[0]?.explain === undefined ? null : (await import("../../query/explain-json.js")).explainJson;
    const { writeJson } = await import("../render-json.js");
    // Written a slice of rows at a time: a million ids are hundreds of MB of JSON.
    writeJson({ at: formatInstant(result.at.getTime()), rows: result.rows, warnings: result.warnings }, "rows", (r: QueryResult["rows"][number]) => rowJson(r, explainJson), io.out);
  } else {
    // Here, not at the top: `--json` runs never load the table library.
    const { writeTable } = await import("../render-table.js");
    writeTable(io, ["id", ...result.columns], result.rows.map((r) => [r.id, ...result.columns.map((c) => formatValue(r.values[c]))]), io.out);
    if (options.explain) io.out(renderExplain(io, result));
  }
  if (!(options.explain && !options.json)) for (const warning of result.warnings) io.err(`${io.color.yellow("warning:")} ${warning}`);
}

type QueryResult = StoreQueryResult<unknown, string>;

const LONE_SURROGATE = /\p{Cs}/u;

function entityIds(io: Io, options: QueryOptions): string[] {
  const ids = [...(options.id ?? [])];
  if (options.idsFile !== undefined) {
    const path = resolve(io.cwd, options.idsFile);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new AggError("usage", `--ids-file: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { hint: "pass a text file with one entity id per line" });
    }
    // As ingest does: bytes that are not UTF-8 would decode to U+FFFD and name another id.
    const bad = isUtf8(bytes) ? -1 : firstInvalidByte(bytes);
    if (bad !== -1) {
      const line = bytes.subarray(0, bad).filter((b) => b === 0x0a).length + 1;
      throw new AggError("usage", `--ids-file: line ${line} of ${path} is not UTF-8 (byte 0x${bytes[bad]!.toString(16).toUpperCase().padStart(2, "0")})`, { hint: "write the ids as UTF-8 text, one per line" });
    }
    // One at a time: a spread of a million ids into push overflows the stack.
    for (const id of parseIds(bytes.toString("utf8"))) ids.push(id);
  }
  // Ingest rejects such ids (UTF-8 has no form for a lone surrogate), so none is stored.
  const malformed = ids.find((id) => LONE_SURROGATE.test(id));
  if (malformed !== undefined) throw new AggError("usage", `the id ${JSON.stringify(malformed)} is not well-formed Unicode (it holds a lone surrogate), so no entity can have it`, { hint: "pass ids as UTF-8 text" });
  if (ids.length === 0) throw new AggError("usage", "agg query needs at least one entity id", { hint: "pass --id VALUE (repeatable) or --ids-file FILE with one id per line" });
  return ids;
}

function parseAt(text: string): number {
  try {
    return parseInstant(text);
  } catch (error) {
    if (error instanceof InstantError) throw new AggError("usage", `--at: ${error.message}`, { hint: error.hint });
    throw error;
  }
}

/** One row of `--json`: `{id, values, status}`, and `explain` with --explain. */
function rowJson(r: QueryResult["rows"][number], explainJson: typeof import("../../query/explain-json.js").explainJson | null) {
  return {
    id: r.id,
    values: r.values,
    status: r.status,
    ...(r.explain === undefined || explainJson === null ? {} : { explain: Object.fromEntries(Object.entries(r.explain).map(([fqn, e]) => [fqn, explainJson(e)])) }),
  };
}

/**
 * Table cells: numbers to 15 significant digits, null as "null", group-by maps as
 * `key=value` pairs. 15 digits is what a double holds for any decimal, so a sum prints as
 * 1021.84, not 1021.8399999999999; `--json` keeps the exact double.
 */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return entries.map(([k, v]) => `${k}=${typeof v === "number" ? formatNumber(v) : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`).join(" ");
}

function formatNumber(n: number): string {
  return Number.isInteger(n) || !Number.isFinite(n) ? String(n) : String(Number(n.toPrecision(15)));
}

function renderExplain(io: Io, result: QueryResult): string {
  const lines: string[] = [""];
  for (const row of result.rows) {
    for (const column of result.columns) {
      const e = row.explain?.[column] as ValueExplain;
      lines.push(`${io.color.bold(row.id)} ${column} = ${formatValue(row.values[column])}`);
      lines.push(`  window   ${formatSpan(e.window)}  (${e.mode})`);
      if (e.bucketMs !== null) {
        const range = e.bucketRange === null ? "none" : formatSpan(e.bucketRange);
        const zone = e.zone;
        // Calendar buckets: each time in UTC, then as the zone's local time.
        const local = (from: number, to: number, bounds: string): string => (zone === null ? "" : `  = ${bounds[0]}${formatLocalTime(from, zone)}, ${formatLocalTime(to, zone)}${bounds[1]} ${zone}`);
        const days = zone === null ? "" : ` (local calendar of ${zone})`;
        lines.push(`  buckets  ${formatDuration(e.bucketMs)} buckets${days} in ${range}: ${e.buckets.length} stored, ${plural(e.buckets.reduce((n, b) => n + b.rows, 0), "row")}`);
        if (e.bucketRange !== null && zone !== null) lines.push(`          ${local(e.bucketRange.from, e.bucketRange.to, e.bucketRange.bounds)}`);
        for (const b of e.buckets) lines.push(`           [${formatInstant(b.start)}, ${formatInstant(b.end)})  ${plural(b.rows, "row")}${b.group === undefined ? "" : `  group ${b.group}`}${local(b.start, b.end, "[)")}`);
      }
      if (e.rowLog !== null) lines.push(`  row log  ${formatSpan(e.rowLog.span)}: ${plural(e.rowLog.rows, "row")}`);
      else if (e.mode !== "buckets") lines.push("  row log  none of the window is read from it");
      if (e.history !== null) lines.push(`  history  ${formatSpan(e.history)} from the row log, in place of buckets`);
      lines.push(`  status   ${row.status[column]}`);
      for (const note of e.notes) lines.push(`  note     ${note}`);
      for (const warning of e.warnings) lines.push(`  ${io.color.yellow("warning")}  ${warning}`);
    }
  }
  return lines.join("\n");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
