import { createReadStream, existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import Database from "better-sqlite3";
import { AggError, isAggError } from "../errors.js";
import type { InputMessage } from "../ingest/input-message.js";
import { normalizeRow } from "../ingest/normalize-row.js";
import { readCsv } from "../ingest/read-csv.js";
import { readNdjson } from "../ingest/read-ndjson.js";
import type { NamespaceModel, OfflineSourceModel, Project } from "../project/model.js";
import { formatSite } from "../project/problem.js";
import type { Db } from "../store/open-store.js";
import type { LoggedRow } from "../store/row-log.js";
import { StagedRows } from "../store/staged-rows.js";
import { csvRow, sqliteRow } from "./offline-values.js";
import type { RowSource } from "./row-source.js";

const BATCH = 5_000;

/** One raw row of an offline source with where it came from ("line 12", "row 7"). */
type SourceRecord = { readonly where: string; readonly raw: unknown } | { readonly where: string; readonly error: string };

/**
 * Reads an offline source once, checks every row against its namespace (the same
 * `normalizeRow` ingest uses) and stages it for the backfill. A bad row stops here, before
 * any bucket is touched, naming the file and line (or query row) and the reason.
 */
export async function stageOfflineSource(db: Db, project: Project, source: OfflineSourceModel, onRows?: (staged: number) => void): Promise<RowSource> {
  const ns = project.namespaces.get(source.output)!;
  const input = source.input!;
  const path = isAbsolute(input.path) ? input.path : join(project.root, input.path);
  // Shown as `agg check` shows places: relative to the folder holding the feature project.
  const base = dirname(project.root);
  const declared = formatSite(source.site, base) || source.file;
  const shown = isAbsolute(input.path) ? path : relative(base, path);
  if (!existsSync(path)) {
    throw new AggError("input", `offline source "${source.name}" (${declared}): no file at ${shown}`, {
      hint: "create the file, or fix the path in the declaration (paths are relative to the feature project folder)",
    });
  }
  const staged = new StagedRows(db);
  try {
    let batch: LoggedRow[] = [];
    let count = 0;
    const records = input.kind === "sqlite" ? sqliteRecords(path, input.query, ns, source.name, declared) : fileRecords(input.kind, path, ns, `offline source "${source.name}" (${shown})`);
    for await (const record of records) {
      const normalized = "error" in record ? record : normalizeRow(ns, record.raw);
      if ("error" in normalized) {
        throw new AggError("input", `offline source "${source.name}" (${shown} ${record.where}): ${normalized.error}`, {
          hint: "fix or remove that row and run the backfill again; no bucket was changed",
          meta: { source: source.name, file: path, at: record.where },
        });
      }
      batch.push({ pk: normalized.pk, ts: normalized.ts, data: normalized.data });
      if (batch.length === BATCH) {
        staged.addBatch(batch);
        batch = [];
        onRows?.((count += BATCH));
      }
    }
    staged.addBatch(batch);
    onRows?.(count + batch.length);
    staged.finishLoading();
  } catch (error) {
    staged.drop();
    throw error;
  }
  return {
    name: source.name,
    namespace: ns.name,
    bounds: () => staged.bounds(),
    count: (from, to) => staged.count(from, to),
    range: (from, to) => staged.range(from, to),
    timesAndData: (from, to) => staged.timesAndData(from, to),
    close: () => staged.drop(),
  };
}

/** NDJSON or CSV rows, streamed with ingest's readers (the same parsing and line numbers). */
async function* fileRecords(kind: "csv" | "ndjson", path: string, ns: NamespaceModel, subject: string): AsyncGenerator<SourceRecord> {
  const messages: AsyncGenerator<InputMessage> = kind === "csv" ? readCsv(createReadStream(path)) : readNdjson(createReadStream(path));
  try {
    for await (const message of messages) {
      const where = `line ${message.line}`;
      if ("error" in message) yield { where, error: message.error };
      else yield { where, raw: kind === "csv" ? csvRow(ns, message.value as Record<string, string | null>) : message.value };
    }
  } catch (error) {
    // The readers' own errors (a bad CSV header, an unreadable file) do not name the source.
    if (isAggError(error)) throw new AggError(error.code, `${subject}: ${error.message}`, { ...(error.hint && { hint: error.hint }), meta: error.meta });
    throw new AggError("input", `${subject}: cannot read it (${message(error)})`, { hint: "check the file and its permissions; no bucket was changed" });
  }
}

/** The query's rows, streamed from a read-only connection to the source database. */
function* sqliteRecords(path: string, query: string, ns: NamespaceModel, name: string, declared: string): Generator<SourceRecord> {
  let source: Database.Database;
  try {
    source = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new AggError("input", `offline source "${name}" (${declared}): cannot open ${path} as SQLite (${message(error)})`, { hint: "point the declaration at a SQLite database file" });
  }
  let rows: IterableIterator<Record<string, unknown>> | undefined;
  try {
    let statement;
    try {
      statement = source.prepare(query);
    } catch (error) {
      throw new AggError("project", `offline source "${name}" (${declared}): its query does not run (${message(error)})`, { hint: "fix the SQL in the declaration; try it with the sqlite3 shell first" });
    }
    if (!statement.reader) throw new AggError("project", `offline source "${name}" (${declared}): its query returns no rows (not a SELECT)`, { hint: "write a SELECT whose columns are named like the namespace's features" });
    let n = 0;
    rows = statement.iterate() as IterableIterator<Record<string, unknown>>;
    while (true) {
      let next;
      try {
        next = rows.next();
      } catch (error) {
        throw new AggError("input", `offline source "${name}" (${declared}): reading query row ${n + 1} failed (${message(error)})`, { hint: "check the query and the database; no bucket was changed" });
      }
      if (next.done === true) break;
      yield { where: `query row ${++n}`, raw: sqliteRow(ns, next.value) };
    }
  } finally {
    // An open cursor keeps the connection busy; end it before closing.
    rows?.return?.();
    source.close();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
