import Database from "better-sqlite3";
import { AggError } from "../../errors.js";
import type { NamespaceModel } from "../../project/model.js";
import { sqliteRow } from "./offline-values.js";
import { message, type SourceRecord } from "./source-record.js";

/** The query's rows, streamed from a read-only connection to the source database. */
export function* sqliteRecords(path: string, query: string, ns: NamespaceModel, name: string, declared: string): Generator<SourceRecord> {
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
