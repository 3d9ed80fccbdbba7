import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BucketTable, type StoredRange } from "../../../src/store/sqlite/bucket-table.js";
import { openDatabase } from "../../../src/store/sqlite/open-store.js";

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 2, 1);

/** A packed range as plain records, in a fixed order. */
function records(range: StoredRange) {
  return Array.from({ length: range.count }, (_, i) => ({
    keys: range.keys.map((column) => column[i]!),
    start: range.starts[i]!,
    rows: range.rows[i]!,
    state: [...range.bytes.subarray(range.offsets[i], range.offsets[i + 1])],
  })).sort((x, y) => x.start - y.start || x.keys.join("\0").localeCompare(y.keys.join("\0")));
}

describe("BucketTable.readRange: a backfill's packed read of stored buckets", () => {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), "agg-range-")), "store.db"));
  afterAll(() => db.close());
  const table = new BucketTable(db);
  // What was written, independent of the read.
  const written: { series: number; keys: string[]; start: number; rows: number; state: number[] }[] = [];
  db.transaction(() => {
    let n = 0;
    for (const [series, keyCount] of [
      [1, 1],
      [2, 2],
    ] as const) {
      for (const user of ["u1", "u2"]) {
        for (const merchant of keyCount === 1 ? [""] : ["m1", "m|2"]) {
          for (let h = 0; h < 6; h++) {
            n++;
            if ((h + n) % 4 === 0) continue; // gaps
            const keys = keyCount === 1 ? [user] : [user, merchant];
            // Lengths 1 to 5, with bytes SQLite text would mangle (0, 0xff) anywhere.
            const state = Array.from({ length: 1 + (n % 5) }, (_, i) => (i * 89 + n * 7) % 256);
            state[state.length - 1] = n % 2 === 0 ? 0 : 0xff;
            table.put(series, HOUR, keys, T0 + h * HOUR, n, new Uint8Array(state));
            written.push({ series, keys, start: T0 + h * HOUR, rows: n, state });
          }
        }
      }
    }
  })();

  it("returns every bucket of the series and size in [from, to), byte for byte", () => {
    for (const [series, keyCount] of [
      [1, 1],
      [2, 2],
    ] as const) {
      for (const [from, to] of [
        [T0, T0 + 6 * HOUR],
        [T0 + 2 * HOUR, T0 + 4 * HOUR],
        [T0 + HOUR, T0 + HOUR + 1],
      ] as const) {
        const expected = written
          .filter((w) => w.series === series && w.start >= from && w.start < to)
          .map(({ keys, start, rows, state }) => ({ keys, start, rows, state }))
          .sort((x, y) => x.start - y.start || x.keys.join("\0").localeCompare(y.keys.join("\0")));
        expect(expected.length).toBeGreaterThan(0);
        expect(records(table.readRange(series, HOUR, keyCount, from, to))).toEqual(expected);
      }
    }
  });

  it("an empty range, another size or an unknown series reads as nothing", () => {
    expect(table.readRange(1, HOUR, 1, T0 + 10 * HOUR, T0 + 20 * HOUR).count).toBe(0);
    expect(table.readRange(1, 2 * HOUR, 1, T0, T0 + 6 * HOUR).count).toBe(0);
    expect(table.readRange(9, HOUR, 1, T0, T0 + 6 * HOUR).count).toBe(0);
  });
});
