import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bucketRunSql, readBucketRun, readBucketRuns, type BucketRun } from "../../../src/store/sqlite/bucket-runs.js";
import { BucketTable } from "../../../src/store/sqlite/bucket-table.js";
import { openDatabase } from "../../../src/store/sqlite/open-store.js";

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 2, 1);

/** A run as plain records, oldest first (ties in any order, so sorted by key too). */
function records(run: BucketRun) {
  const out = [];
  for (let p = 0; p < run.count; p++) {
    const b = run.order === null ? p : run.order[p]!;
    out.push({ keys: run.keys?.[b] ?? null, start: run.starts[b]!, state: [...run.bytes.subarray(run.offsets[b], run.offsets[b + 1])] });
  }
  return out.sort((x, y) => x.start - y.start || String(x.keys).localeCompare(String(y.keys)));
}

describe("bucket runs: a query's packed bucket reads", () => {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), "agg-runs-")), "store.db"));
  afterAll(() => db.close());
  const table = new BucketTable(db);
  // Independent of the reads: what was written, per (series, group key).
  const written: { series: number; keys: string[]; start: number; state: number[] }[] = [];
  db.transaction(() => {
    let n = 0;
    for (const [series, keyCount] of [
      [1, 1],
      [2, 2],
    ] as const) {
      for (const user of ["u1", "u2", "u3"]) {
        for (const merchant of keyCount === 1 ? [""] : ["m2", "m1", "m3"]) {
          for (let h = 0; h < 10; h++) {
            n++;
            if ((h * 7 + user.charCodeAt(1) + (merchant.charCodeAt(1) || 0) * 3) % 5 === 0) continue; // gaps
            const keys = keyCount === 1 ? [user] : [user, merchant];
            // States of different lengths, with bytes SQLite text would mangle (0, 0xff).
            const state = Array.from({ length: 1 + ((h + n) % 5) }, (_, i) => (i * 97 + h * 13 + n) % 256);
            state[0] = h % 2 === 0 ? 0 : 0xff;
            table.put(series, HOUR, keys, T0 + h * HOUR, 1, new Uint8Array(state));
            written.push({ series, keys, start: T0 + h * HOUR, state });
          }
        }
      }
    }
  })();

  function expected(series: number, keyIndex: number, value: string, from: number, to: number, keyCount: number) {
    return written
      .filter((w) => w.series === series && w.keys[keyIndex] === value && w.start >= from && w.start <= to)
      .map((w) => ({ keys: keyCount === 1 ? null : w.keys, start: w.start, state: w.state }))
      .sort((x, y) => x.start - y.start || String(x.keys).localeCompare(String(y.keys)));
  }

  it("reads one entity's buckets in a range, byte for byte, oldest first", () => {
    for (const [from, to] of [
      [T0, T0 + 9 * HOUR],
      [T0 + 2 * HOUR, T0 + 6 * HOUR],
      [T0 + 20 * HOUR, T0 + 30 * HOUR],
    ] as const) {
      for (const user of ["u1", "u2", "u3", "nobody"]) {
        const run = readBucketRun(db, 1, HOUR, 1, 0, user, from, to);
        expect(run.order).toBeNull(); // the primary key returns one-key buckets in start order
        expect(records(run)).toEqual(expected(1, 0, user, from, to, 1));
      }
    }
  });

  it("reads a two-key series from either side, with every bucket's key", () => {
    const from = T0 + HOUR;
    const to = T0 + 8 * HOUR;
    for (const user of ["u1", "u3"]) expect(records(readBucketRun(db, 2, HOUR, 2, 0, user, from, to))).toEqual(expected(2, 0, user, from, to, 2));
    for (const merchant of ["m1", "m2"]) expect(records(readBucketRun(db, 2, HOUR, 2, 1, merchant, from, to))).toEqual(expected(2, 1, merchant, from, to, 2));
    // Read by user, the primary key orders by merchant first: the run carries the start order.
    const run = readBucketRun(db, 2, HOUR, 2, 0, "u2", from, to);
    const starts = run.order!.map((b) => run.starts[b]!);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });

  it("reads many entities in one statement, in the order asked, the same as one by one", () => {
    const ids = ["u3", "nobody", "u1", "u2"];
    for (const [series, keyCount] of [
      [1, 1],
      [2, 2],
    ] as const) {
      const runs = readBucketRuns(db, series, HOUR, keyCount, 0, ids, T0 + HOUR, T0 + 7 * HOUR);
      expect(runs.map(records)).toEqual(ids.map((id) => records(readBucketRun(db, series, HOUR, keyCount, 0, id, T0 + HOUR, T0 + 7 * HOUR))));
      expect(runs.map(records)).toEqual(ids.map((id) => expected(series, 0, id, T0 + HOUR, T0 + 7 * HOUR, keyCount)));
    }
  });

  it("reads one entity by a range scan of the primary key, or of the other side's index", () => {
    const plan = (keyCount: number, keyIndex: number, many: boolean, value: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${bucketRunSql(keyCount, keyIndex, many)}`).all(T0, HOUR, 1, HOUR, value, T0, T0) as { detail: string }[]).map((p) => p.detail);
    const pk = "SEARCH buckets USING PRIMARY KEY (series_id=? AND bucket_ms=? AND k0=? AND k1=? AND k2=? AND k3=? AND start>? AND start<?)";
    expect(plan(1, 0, false, "u1")).toEqual([pk]);
    expect(plan(1, 0, true, '["u1"]')).toContain(pk);
    expect(plan(2, 1, false, "m1")).toEqual(["SEARCH buckets USING INDEX buckets_by_k1 (series_id=? AND bucket_ms=? AND k1=? AND start>? AND start<?)"]);
  });
});
