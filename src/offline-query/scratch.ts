import { deserialize, serialize } from "node:v8";
import type { Statement } from "better-sqlite3";
import type { Db } from "../store/open-store.js";

/** One spine row handed to the sweep: its place in the input, entity id and time (epoch ms). */
export interface SpineEntry<P> {
  readonly id: string;
  readonly at: number;
  /** Passed through untouched (structured clone), e.g. the spine row's other columns. */
  readonly payload: P;
}

/** A run of the sorted spine: consecutive entries of one entity, oldest first. */
export interface SortedEntry {
  readonly index: number;
  readonly id: string;
  readonly at: number;
}

const PAGE = 4096;

/**
 * A private temporary database attached to the offline query's own store connection: the
 * spine, the spine sorted by (id, time), and the values by spine row. SQLite keeps it in
 * its page cache and spills to a temporary file, so memory stays flat in the spine's size
 * ("sorted on disk"); it is deleted when the connection closes. Only `scratch.*` is
 * written: the store itself is never touched.
 */
export class Scratch {
  private readonly insertSpine: Statement;
  private readonly insertResult: Statement;
  private pending = 0;
  count = 0;

  constructor(private readonly db: Db) {
    db.exec("ATTACH DATABASE '' AS scratch");
    db.pragma("scratch.journal_mode = OFF");
    db.pragma("scratch.synchronous = OFF");
    db.pragma("scratch.cache_size = -32768");
    db.exec(`CREATE TABLE scratch.spine (line INTEGER PRIMARY KEY, id TEXT NOT NULL, at INTEGER NOT NULL, payload BLOB NOT NULL);
      CREATE TABLE scratch.results (line INTEGER PRIMARY KEY, cells BLOB NOT NULL);`);
    this.insertSpine = db.prepare("INSERT INTO scratch.spine (line, id, at, payload) VALUES (?, ?, ?, ?)");
    this.insertResult = db.prepare("INSERT INTO scratch.results (line, cells) VALUES (?, ?)");
  }

  /** Stages one entry; writes go in transactions of a few thousand rows. */
  addEntry(entry: SpineEntry<unknown>): void {
    if (this.pending === 0) this.db.exec("BEGIN");
    this.insertSpine.run(this.count++, entry.id, entry.at, serialize(entry.payload));
    if (++this.pending === PAGE * 4) this.commit();
  }

  commit(): void {
    if (this.pending > 0) this.db.exec("COMMIT");
    this.pending = 0;
  }

  /** Sorts the staged spine by (id, time, input order) into a table read back page by page. */
  sort(): { readonly minAt: number; readonly maxAt: number; readonly entities: number } {
    this.commit();
    this.db.exec(`CREATE TABLE scratch.sorted AS SELECT line, id, at FROM scratch.spine ORDER BY id, at, line;
      CREATE TABLE scratch.ids (id TEXT PRIMARY KEY) WITHOUT ROWID;
      INSERT INTO scratch.ids SELECT DISTINCT id FROM scratch.sorted;`);
    const row = this.db.prepare("SELECT min(at) AS lo, max(at) AS hi, (SELECT count(*) FROM scratch.ids) AS n FROM scratch.spine").get() as { lo: number | null; hi: number | null; n: number };
    return { minAt: row.lo ?? 0, maxAt: row.hi ?? 0, entities: row.n };
  }

  /** The sorted spine, a page at a time (no statement stays open: the connection serves reads meanwhile). */
  *sorted(): Generator<SortedEntry[]> {
    const page = this.db.prepare("SELECT rowid, line, id, at FROM scratch.sorted WHERE rowid > ? ORDER BY rowid LIMIT ?").raw(true);
    let after = 0;
    for (;;) {
      const rows = page.all(after, PAGE) as [number, number, string, number][];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![0];
      yield rows.map(([, index, id, at]) => ({ index, id, at }));
    }
  }

  /** Records one spine row's values and statuses (inside the caller's transaction). */
  addResult(index: number, values: readonly unknown[], statuses: readonly string[]): void {
    this.insertResult.run(index, serialize([values, statuses]));
  }

  /** Spine rows with their values, in input order, a page at a time. */
  *results<P>(): Generator<{ index: number; id: string; at: number; payload: P; values: unknown[]; statuses: string[] }[]> {
    const page = this.db.prepare("SELECT s.line, s.id, s.at, s.payload, r.cells FROM scratch.spine AS s JOIN scratch.results AS r ON r.line = s.line WHERE s.line > ? ORDER BY s.line LIMIT ?").raw(true);
    let after = -1;
    for (;;) {
      const rows = page.all(after, PAGE) as [number, string, number, Buffer, Buffer][];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![0];
      yield rows.map(([index, id, at, payload, cells]) => {
        const [values, statuses] = deserialize(cells) as [unknown[], string[]];
        return { index, id, at, payload: deserialize(payload) as P, values, statuses };
      });
    }
  }
}
