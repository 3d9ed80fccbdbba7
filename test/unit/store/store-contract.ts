/**
 * The store contract (src/store/store-port.ts): what every backend must do, as a suite a
 * backend runs with its own `open`. SQLite runs it in sqlite-store.test.ts; a second
 * backend adds one such file.
 */
import { describe, expect, it } from "vitest";
import type { BucketRecord } from "../../../src/store/sqlite/bucket-table.js";
import type { BucketStore, RowStore, StoreTransactions } from "../../../src/store/store-port.js";

export interface OpenedStore {
  readonly tx: StoreTransactions;
  readonly buckets: BucketStore;
  readonly rows: RowStore;
  close(): void;
}

/** `open()` makes a new empty store and returns a connection to it and a way to open more on the same store. */
export type OpenStore = () => { readonly first: OpenedStore; readonly another: () => OpenedStore };

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 2, 1);
const bytes = (...values: number[]) => Uint8Array.from(values);

function found(store: BucketStore, series: number, bucketMs: number, probes: { keys: string[]; start: number }[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  store.getMany(series, bucketMs, probes, (i, state) => out.set(i, [...state]));
  return out;
}

export function storeContract(name: string, open: OpenStore): void {
  describe(`store contract: ${name}`, () => {
    it("write commits what fn did, and rolls all of it back when fn throws", () => {
      const { first, another } = open();
      const other = another();
      first.tx.write(() => first.buckets.putMany(1, HOUR, [{ keys: ["a"], start: T0, rows: 1, state: bytes(1) }]));
      expect(() =>
        first.tx.write(() => {
          first.buckets.putMany(1, HOUR, [{ keys: ["b"], start: T0, rows: 1, state: bytes(2) }]);
          throw new Error("stop");
        }),
      ).toThrow("stop");
      const probes = [{ keys: ["a"], start: T0 }, { keys: ["b"], start: T0 }];
      expect(other.tx.read(() => found(other.buckets, 1, HOUR, probes))).toEqual(new Map([[0, [1]]]));
      first.close();
      other.close();
    });

    it("an open-ended write is seen by others only when committed, and nothing of a rolled-back one", () => {
      const { first, another } = open();
      const other = another();
      const probe = [{ keys: ["k"], start: T0 }];
      first.tx.begin();
      expect(first.tx.inTransaction).toBe(true);
      first.buckets.putMany(2, HOUR, [{ keys: ["k"], start: T0, rows: 3, state: bytes(9, 9) }]);
      expect(found(first.buckets, 2, HOUR, probe).size).toBe(1);
      expect(other.tx.read(() => found(other.buckets, 2, HOUR, probe).size)).toBe(0);
      first.tx.commit();
      expect(first.tx.inTransaction).toBe(false);
      expect(other.tx.read(() => found(other.buckets, 2, HOUR, probe))).toEqual(new Map([[0, [9, 9]]]));
      first.tx.begin();
      first.buckets.delete(2, HOUR, ["k"], T0);
      first.tx.rollback();
      first.tx.rollback(); // none open: nothing happens
      expect(other.tx.read(() => found(other.buckets, 2, HOUR, probe).size)).toBe(1);
      first.close();
      other.close();
    });

    it("holds one writer at a time: a second write fails (after the store's wait) while the first is open, and works after", () => {
      const { first, another } = open();
      const other = another();
      first.tx.begin();
      first.rows.upsert("n", "a", T0, "{}");
      expect(() => other.tx.write(() => other.rows.upsert("n", "b", T0, "{}"))).toThrow();
      first.tx.commit();
      other.tx.write(() => other.rows.upsert("n", "b", T0, "{}"));
      expect(first.tx.read(() => first.rows.count("n", 0, Number.MAX_SAFE_INTEGER))).toBe(2);
      first.close();
      other.close();
    });

    it("the change token moves when another connection commits, and only then", () => {
      const { first, another } = open();
      const other = another();
      const before = first.tx.changeToken();
      first.tx.write(() => first.rows.upsert("n", "own", T0, "{}"));
      expect(first.tx.changeToken()).toBe(before);
      other.tx.write(() => other.rows.upsert("n", "theirs", T0, "{}"));
      const after = first.tx.changeToken();
      expect(after).not.toBe(before);
      expect(first.tx.changeToken()).toBe(after);
      first.close();
      other.close();
    });

    it("a read sees one committed state throughout, whatever commits meanwhile", () => {
      const { first, another } = open();
      const other = another();
      first.tx.write(() => first.rows.upsert("n", "a", T0, "{}"));
      const seen = other.tx.reader(() => {
        const early = other.rows.count("n", 0, Number.MAX_SAFE_INTEGER);
        first.tx.write(() => first.rows.upsert("n", "b", T0 + 1, "{}"));
        return [early, other.rows.count("n", 0, Number.MAX_SAFE_INTEGER)];
      })();
      expect(seen).toEqual([1, 1]);
      expect(other.tx.read(() => other.rows.count("n", 0, Number.MAX_SAFE_INTEGER))).toBe(2);
      first.close();
      other.close();
    });

    it("buckets: getMany finds exactly what putMany wrote (replaced in place), delete and the range calls", () => {
      const { first } = open();
      const b = first.buckets;
      const records: BucketRecord[] = [];
      for (let h = 0; h < 10; h++) for (const keys of [["u1"], ["u2"]]) records.push({ keys, start: T0 + h * HOUR, rows: h + 1, state: bytes(h, keys[0] === "u1" ? 1 : 2) });
      first.tx.write(() => {
        b.putMany(7, HOUR, records);
        b.putMany(7, HOUR, [{ keys: ["u1"], start: T0, rows: 5, state: bytes(42) }]);
        b.putMany(8, HOUR, [{ keys: ["u1"], start: T0, rows: 1, state: bytes(8) }]);
      });
      first.tx.read(() => {
        const got = found(b, 7, HOUR, [{ keys: ["u1"], start: T0 }, { keys: ["u3"], start: T0 }, { keys: ["u2"], start: T0 + 9 * HOUR }, { keys: ["u1"], start: T0 + 10 * HOUR }]);
        expect(got).toEqual(new Map([[0, [42]], [2, [9, 2]]]));
        expect(b.newestStart(7, HOUR)).toBe(T0 + 9 * HOUR);
        expect(b.newestStart(9, HOUR)).toBeNull();
        const range = b.readRange(7, HOUR, 1, T0 + 2 * HOUR, T0 + 4 * HOUR);
        expect(range.count).toBe(4);
        expect([...range.starts].sort((x, y) => x - y)).toEqual([T0 + 2 * HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR, T0 + 3 * HOUR]);
        expect(range.damaged.size).toBe(0);
      });
      first.tx.write(() => {
        expect(b.delete(7, HOUR, ["u2"], T0)).toBe(1);
        expect(b.delete(7, HOUR, ["u2"], T0)).toBe(0);
        // Retention: every bucket before T0 + 3h (those starting at T0, T0 + 1h and T0 + 2h; one was deleted above).
        expect(b.deleteRange(7, HOUR, -Number.MAX_SAFE_INTEGER, T0 + 3 * HOUR)).toBe(5);
        expect(b.deleteRange(7, HOUR, T0 + 8 * HOUR, T0 + 20 * HOUR)).toBe(4);
      });
      first.tx.read(() => {
        const left = b.readRange(7, HOUR, 1, 0, Number.MAX_SAFE_INTEGER);
        expect(left.count).toBe(10);
        expect(Math.min(...left.starts)).toBe(T0 + 3 * HOUR);
        expect(Math.max(...left.starts)).toBe(T0 + 7 * HOUR);
        // Another series is untouched.
        expect(found(b, 8, HOUR, [{ keys: ["u1"], start: T0 }])).toEqual(new Map([[0, [8]]]));
      });
      first.close();
    });

    it("rows: inserted, duplicate, replaced (with the previous version), and ranges oldest first", () => {
      const { first } = open();
      const r = first.rows;
      first.tx.write(() => {
        expect(r.upsert("txn", "b", T0 + 5, '{"v":1}')).toEqual({ kind: "inserted" });
        expect(r.upsert("txn", "a", T0 + 5, '{"v":2}')).toEqual({ kind: "inserted" });
        expect(r.upsert("txn", "c", T0 + 1, '{"v":3}')).toEqual({ kind: "inserted" });
        expect(r.upsert("other", "a", T0, '{"v":0}')).toEqual({ kind: "inserted" });
        expect(r.upsert("txn", "a", T0 + 5, '{"v":2}')).toEqual({ kind: "duplicate" });
        expect(r.upsert("txn", "c", T0 + 9, '{"v":4}')).toEqual({ kind: "replaced", previous: { pk: "c", ts: T0 + 1, data: '{"v":3}' } });
      });
      first.tx.read(() => {
        expect([...r.range("txn", T0, T0 + 10)]).toEqual([
          { pk: "a", ts: T0 + 5, data: '{"v":2}' },
          { pk: "b", ts: T0 + 5, data: '{"v":1}' },
          { pk: "c", ts: T0 + 9, data: '{"v":4}' },
        ]);
        expect(r.count("txn", T0, T0 + 9)).toBe(2);
        expect(r.count("other", 0, T0 + 1)).toBe(1);
      });
      first.close();
    });
  });
}
