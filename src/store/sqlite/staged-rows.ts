import type { Db } from "./open-store.js";
import type { LoggedRow } from "./row-log.js";

let nextTable = 0;

/**
 * Rows of an offline source, staged in a connection-local TEMP table so backfill can read
 * them by time range like the row log, without holding the source in memory. TEMP tables
 * live in SQLite's temp file, never in the store: staging takes no lock on the store and
 * vanishes with the connection. A later row with the same key replaces an earlier one.
 */
export class StagedRows {
  private table: string;
  private readonly insertOne;

  constructor(private readonly db: Db) {
    this.table = `staged_rows_${process.pid}_${nextTable++}`;
    db.exec(`CREATE TEMP TABLE ${this.table} (pk TEXT PRIMARY KEY, ts INTEGER NOT NULL, data TEXT NOT NULL) WITHOUT ROWID`);
    this.insertOne = db.prepare<[string, number, string]>(`INSERT OR REPLACE INTO temp.${this.table} (pk, ts, data) VALUES (?, ?, ?)`);
  }

  /** Adds a batch in one transaction (on the temp database only). */
  addBatch(rows: readonly LoggedRow[]): void {
    this.db.transaction(() => {
      for (const row of rows) this.insertOne.run(row.pk, row.ts, row.data);
    })();
  }

  /**
   * Call once after the last batch: rewrites the rows ordered by time, so range reads are
   * sequential (reading through a time index into a table keyed by pk is several times slower).
   */
  finishLoading(): void {
    const t = this.table;
    this.db.exec(`
      CREATE TEMP TABLE ${t}_by_time (ts INTEGER NOT NULL, pk TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (ts, pk)) WITHOUT ROWID;
      INSERT INTO temp.${t}_by_time (ts, pk, data) SELECT ts, pk, data FROM temp.${t} ORDER BY ts, pk;
      DROP TABLE temp.${t};`);
    this.table = `${t}_by_time`;
  }

  /** Oldest and newest event time staged, or null when nothing was staged. */
  bounds(): { min: number; max: number } | null {
    const row = this.db.prepare<[], { min: number | null; max: number | null }>(`SELECT min(ts) AS min, max(ts) AS max FROM temp.${this.table}`).get();
    return row === undefined || row.min === null || row.max === null ? null : { min: row.min, max: row.max };
  }

  count(from: number, to: number): number {
    return this.db.prepare<[number, number], { n: number }>(`SELECT count(*) AS n FROM temp.${this.table} WHERE ts >= ? AND ts < ?`).get(from, to)?.n ?? 0;
  }

  /** Rows with `from <= ts < to`, oldest first. */
  *range(from: number, to: number): IterableIterator<LoggedRow> {
    yield* this.db.prepare<[number, number], LoggedRow>(`SELECT pk, ts, data FROM temp.${this.table} WHERE ts >= ? AND ts < ? ORDER BY ts, pk`).iterate(from, to);
  }

  /** `range` as [ts, data] pairs read in one go. */
  timesAndData(from: number, to: number): [number, string][] {
    return this.db.prepare(`SELECT ts, data FROM temp.${this.table} WHERE ts >= ? AND ts < ? ORDER BY ts, pk`).raw(true).all(from, to) as [number, string][];
  }

  drop(): void {
    this.db.exec(`DROP TABLE IF EXISTS temp.${this.table}`);
  }
}
