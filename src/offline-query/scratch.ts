import { deserialize, serialize } from "node:v8";
import type { Statement } from "better-sqlite3";
import type { Db } from "../store/sqlite/open-store.js";

/** One spine row handed to the sweep: its place in the input, entity id and time (epoch ms). */
export interface SpineEntry<P> {
  readonly id: string;
  readonly at: number;
  /** Passed through untouched (structured clone), e.g. the spine row's other columns. */
  readonly payload: P;
}

/**
 * How payloads are kept: `json` (text in, text out: CSV cells and parsed NDJSON lose
 * nothing) or `v8` (structured clone: Dates, bigints and bytes survive, e.g. Parquet cells
 * or a program's objects). JSON is about three times cheaper per row.
 */
export type PayloadCodec = "json" | "v8";

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

  // Columns of BLOB affinity keep JSON text as text and clones as bytes, unconverted.
  constructor(
    private readonly db: Db,
    private readonly codec: PayloadCodec = "v8",
  ) {
    db.exec("ATTACH DATABASE '' AS scratch");
    db.pragma("scratch.journal_mode = OFF");
    db.pragma("scratch.synchronous = OFF");
    db.pragma("scratch.cache_size = -32768");
    db.exec(`CREATE TABLE scratch.spine (line INTEGER PRIMARY KEY, id TEXT NOT NULL, at INTEGER NOT NULL, payload BLOB NOT NULL);
      CREATE TABLE scratch.results (line INTEGER NOT NULL, cells BLOB NOT NULL);`);
    this.insertSpine = db.prepare("INSERT INTO scratch.spine (line, id, at, payload) VALUES (?, ?, ?, ?)");
    this.insertResult = db.prepare("INSERT INTO scratch.results (line, cells) VALUES (?, ?)");
  }

  /** Stages one entry; writes go in transactions of a few thousand rows. */
  addEntry(entry: SpineEntry<unknown>): void {
    if (this.pending === 0) this.db.exec("BEGIN");
    this.insertSpine.run(this.count++, entry.id, entry.at, this.codec === "json" ? JSON.stringify(entry.payload) : serialize(entry.payload));
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

  /**
   * Records one spine row's values and statuses (inside the caller's transaction): as JSON
   * text, unless a value overflowed (±Infinity, which JSON would turn into null), then as a
   * structured clone.
   */
  addResult(index: number, values: readonly unknown[], statuses: readonly string[]): void {
    this.insertResult.run(index, statuses.includes("overflow") ? serialize([values, statuses]) : JSON.stringify([values, statuses]));
  }

  /**
   * Results arrive in (id, T) order; appending them and sorting once by spine line (a
   * covering index, built by SQLite's external sorter) is several times cheaper than
   * inserting each at its line.
   */
  sortResults(): void {
    this.db.exec("CREATE INDEX scratch.results_by_line ON results (line, cells)");
  }

  /** Spine rows with their values, in input order, a page at a time (after sortResults). */
  *results<P>(): Generator<{ index: number; id: string; at: number; payload: P; values: unknown[]; statuses: string[] }[]> {
    const page = this.db.prepare("SELECT s.line, s.id, s.at, s.payload, r.cells FROM scratch.results AS r INDEXED BY results_by_line JOIN scratch.spine AS s ON s.line = r.line WHERE r.line > ? ORDER BY r.line LIMIT ?").raw(true);
    let after = -1;
    for (;;) {
      const rows = page.all(after, PAGE) as [number, string, number, Buffer | string, Buffer | string][];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![0];
      yield rows.map(([index, id, at, payload, cells]) => {
        const [values, statuses] = decode(cells) as [unknown[], string[]];
        return { index, id, at, payload: decode(payload) as P, values, statuses };
      });
    }
  }
}

/** Text was JSON, bytes a structured clone. */
function decode(stored: Buffer | string): unknown {
  return typeof stored === "string" ? JSON.parse(stored) : deserialize(stored);
}
