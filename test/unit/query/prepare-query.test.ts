import { afterAll, describe, expect, it } from "vitest";
import { prepareQuery } from "../../../src/query/prepare-query.js";
import { deriveSeries } from "../../../src/series/derive.js";
import type { Db } from "../../../src/store/sqlite/open-store.js";
import { ensureRowKeyIndexes } from "../../../src/store/sqlite/row-log.js";
import { advanceMaxEventTime, readSeries } from "../../../src/store/series-registry.js";
import { DAY, HOUR, MIN, T0, buildStore, events, feature, materializedThrough, project, type Txn } from "./model-fixture.js";

/** Independent of agg: floor to a bucket boundary. */
const floorTo = (t: number, size: number, anchor = 0) => Math.floor((t - anchor) / size) * size + anchor;

const calc = {
  sum: (xs: number[]) => xs.reduce((a, b) => a + b, 0),
  count: (xs: number[]) => xs.length,
  mean: (xs: number[]) => (xs.length === 0 ? null : calc.sum(xs) / xs.length),
  min: (xs: number[]) => (xs.length === 0 ? null : Math.min(...xs)),
  max: (xs: number[]) => (xs.length === 0 ? null : Math.max(...xs)),
};

/** Amounts of `id`'s events (by `key`) with lo <= ts < hi, kept by `keep`. */
function amounts(txns: readonly Txn[], id: string, lo: number, hi: number, keep: (t: Txn) => boolean = () => true, key: "user_id" | "merchant_id" = "user_id"): number[] {
  return txns.filter((t) => t[key] === id && t.ts >= lo && t.ts < hi && keep(t)).map((t) => t.amount);
}

/** SPEC 5.3: every bucket [s, e) with e > T - W and s <= T, as the range of times it holds, as of T (no row after T). */
function overlapRange(T: number, W: number, B: number, anchor = 0): [number, number] {
  return [floorTo(T - W, B, anchor), Math.min(floorTo(T, B, anchor) + B, T + 1)];
}

const IDS = ["u0", "u1", "u2", "u3", "nobody"];
const dbs: Db[] = [];
afterAll(() => dbs.forEach((db) => db.close()));

describe("prepareQuery: bucket-overlap values", () => {
  const anchor = T0 + 6 * HOUR;
  const features = [
    feature("amt_sum", [HOUR, 3 * HOUR, DAY], { default: 0 }),
    feature("amt_count", [HOUR, DAY], { agg: { fn: "count" } }),
    feature("amt_mean", [DAY], { agg: { fn: "mean" } }),
    feature("amt_min", [90 * MIN, 2 * DAY], { agg: { fn: "min" } }),
    feature("amt_max", [DAY, 3 * DAY], { agg: { fn: "max" }, bucket: DAY }),
    feature("amt_sum6h", [6 * HOUR], { bucket: "window" }),
    feature("amt_sum_anchored", [DAY, 2 * DAY], { bucket: DAY, anchor }),
  ];
  const p = project(features);
  const txns = events(600, 4 * DAY);
  const db = buildStore(p, txns);
  dbs.push(db);
  const query = prepareQuery(db, p, deriveSeries(p), features.map((f) => f.fqn));
  const cases: [string, string, number, number, (xs: number[]) => number | null, number?][] = [
    ["user.amt_sum__3600__", "sum", HOUR, HOUR, calc.sum],
    ["user.amt_sum__10800__", "sum", 3 * HOUR, HOUR, calc.sum],
    ["user.amt_sum__86400__", "sum", DAY, HOUR, calc.sum],
    ["user.amt_count__3600__", "count", HOUR, HOUR, calc.count],
    ["user.amt_count__86400__", "count", DAY, HOUR, calc.count],
    ["user.amt_mean__86400__", "mean", DAY, HOUR, calc.mean],
    ["user.amt_min__5400__", "min", 90 * MIN, HOUR, calc.min],
    ["user.amt_min__172800__", "min", 2 * DAY, HOUR, calc.min],
    ["user.amt_max__86400__", "max", DAY, DAY, calc.max],
    ["user.amt_max__259200__", "max", 3 * DAY, DAY, calc.max],
    ["user.amt_sum6h__21600__", "sum", 6 * HOUR, 6 * HOUR, calc.sum],
    ["user.amt_sum_anchored__86400__", "sum", DAY, DAY, calc.sum, anchor],
    ["user.amt_sum_anchored__172800__", "sum", 2 * DAY, DAY, calc.sum, anchor],
  ];
  const times = [T0, T0 + HOUR, T0 + DAY, T0 + DAY - 1, T0 + DAY + 1, anchor, anchor + DAY, T0 + 30 * HOUR + 17 * MIN + 3, T0 + 2 * DAY + 6 * HOUR, T0 + 3 * DAY + 23 * HOUR, T0 + 4 * DAY, T0 + 5 * DAY];

  it("answers every window from the buckets that overlap it, at many T (boundaries included)", () => {
    expect(query.columns).toEqual(cases.map((c) => c[0]));
    for (const T of times) {
      const result = query.run(IDS, T);
      expect(result.rows.map((r) => r.id)).toEqual(IDS);
      for (const row of result.rows) {
        for (const [fqn, , W, B, f, a] of cases) {
          const [lo, hi] = overlapRange(T, W, B, a ?? 0);
          const xs = amounts(txns, row.id, lo, hi);
          const expected = fqn.startsWith("user.amt_sum__") && xs.length === 0 ? 0 : f(xs);
          expect(row.values[fqn], `${fqn} for ${row.id} at ${new Date(T).toISOString()}`).toBe(expected);
        }
      }
    }
  });

  it("answers one entity exactly as it answers it among many", () => {
    for (const T of times.slice(0, 5)) {
      const many = query.run(IDS, T);
      for (const id of IDS) expect(query.run([id], T).rows[0]).toEqual(many.rows.find((r) => r.id === id));
    }
  });

  it("an entity with no data gets the default when there is one, else the value on no rows", () => {
    const row = query.run(["nobody"], T0 + DAY).rows[0]!;
    expect(row.values["user.amt_sum__86400__"]).toBe(0); // default: 0
    expect(row.values["user.amt_count__86400__"]).toBe(0); // count on no rows
    expect(row.values["user.amt_mean__86400__"]).toBeNull();
    expect(row.values["user.amt_max__86400__"]).toBeNull();
    expect(row.values["user.amt_sum6h__21600__"]).toBe(0); // sum on no rows
  });

  it("lists each id once, in the order given", () => {
    expect(query.run(["u2", "u1", "u2"], T0 + DAY).rows.map((r) => r.id)).toEqual(["u2", "u1"]);
  });
});

describe("prepareQuery: defaults, group-by, unmaterialized features", () => {
  const features = [
    feature("max_or_minus_one", [DAY], { agg: { fn: "max" }, default: -1 }),
    feature("by_merchant", [DAY], { groupBy: ["merchant_id"] }),
    feature("by_user", [DAY], { namespace: "merchant", groupBy: ["user_id"] }),
    feature("raw_sum", [HOUR, DAY], { bucket: null }),
    feature("raw_food_by_merchant", [DAY], { bucket: null, groupBy: ["merchant_id"], filter: { kind: "cmp", op: "eq", feature: "transaction.category", value: "food" } }),
  ];
  const p = project(features);
  const txns = events(400, 3 * DAY, 11);
  const db = buildStore(p, txns);
  dbs.push(db);
  const query = prepareQuery(db, p, deriveSeries(p), features.map((f) => f.fqn));

  function grouped(id: string, key: "user_id" | "merchant_id", other: "user_id" | "merchant_id", lo: number, hi: number, keep: (t: Txn) => boolean = () => true) {
    const out: Record<string, number> = {};
    for (const t of txns) if (t[key] === id && t.ts >= lo && t.ts < hi && keep(t)) out[t[other]] = (out[t[other]] ?? 0) + t.amount;
    return out;
  }

  it("groupByWindowed gives an object from group key to value, from either side of the key", () => {
    for (const T of [T0 + DAY, T0 + 36 * HOUR + 1, T0 + 2 * DAY]) {
      const [lo, hi] = overlapRange(T, DAY, HOUR);
      const users = query.run(["u0", "u3"], T).rows;
      for (const row of users) expect(row.values["user.by_merchant__86400__"]).toEqual(grouped(row.id, "user_id", "merchant_id", lo, hi));
      const merchant = query.run(["m1"], T).rows[0]!;
      expect(merchant.values["merchant.by_user__86400__"]).toEqual(grouped("m1", "merchant_id", "user_id", lo, hi));
      expect(Object.keys(merchant.values["merchant.by_user__86400__"] as object)).toEqual(Object.keys(grouped("m1", "merchant_id", "user_id", lo, hi)).sort());
    }
  });

  it("an empty group-by window is {}; a windowed default replaces the value on no rows", () => {
    const row = query.run(["nobody"], T0 + DAY).rows[0]!;
    expect(row.values["user.by_merchant__86400__"]).toEqual({});
    expect(row.values["user.max_or_minus_one__86400__"]).toBe(-1);
  });

  it("computes unmaterialized windows from the row log over exactly (T - W, T]", () => {
    const food = (t: Txn) => t.category === "food";
    for (const T of [T0 + DAY, T0 + 30 * HOUR + 7, T0 + 2 * DAY - 1]) {
      for (const row of query.run(["u0", "u1", "nobody"], T).rows) {
        expect(row.values["user.raw_sum__3600__"]).toBe(calc.sum(amounts(txns, row.id, T - HOUR + 1, T + 1)));
        expect(row.values["user.raw_sum__86400__"]).toBe(calc.sum(amounts(txns, row.id, T - DAY + 1, T + 1)));
        expect(row.values["user.raw_food_by_merchant__86400__"]).toEqual(grouped(row.id, "user_id", "merchant_id", T - DAY + 1, T + 1, food));
      }
    }
  });

  it("reads the row log the same with and without the per-key index", () => {
    const T = T0 + 30 * HOUR + 7;
    const before = query.run(["u0", "u1", "u2", "nobody"], T);
    const single = query.run(["u2"], T);
    ensureRowKeyIndexes(db, "transaction", ["user_id", "merchant_id"]);
    expect(query.run(["u0", "u1", "u2", "nobody"], T)).toEqual(before);
    expect(query.run(["u2"], T)).toEqual(single);
  });
});

describe("prepareQuery: the continuous buffer (SPEC 5.3)", () => {
  const C = 2 * HOUR;
  const B = 10 * MIN;
  const foodOnly = { kind: "cmp", op: "eq", feature: "transaction.category", value: "food" } as const;
  const isFood = (t: Txn) => t.category === "food";
  const features = [feature("food", [HOUR, DAY], { bucket: B, bufferMs: C, filter: foodOnly }), feature("plain", [DAY], { bucket: B })];
  const p = project(features);
  const T = T0 + 36 * HOUR + 5 * MIN; // 2024-03-02T12:05:00Z
  // Dense in the last hours, so every bucket near M and T - C holds rows.
  const txns = [...events(500, 2 * DAY, 5), ...events(1500, 6 * HOUR, 6, T - 6 * HOUR + 1)];
  const names = features.map((f) => f.fqn);

  /** A store as a backfill through M leaves it, with no live stream: buckets hold rows before M only. */
  function backfilledThrough(M: number, live = false): Db {
    const db = buildStore(p, txns, live ? () => true : (t) => t.ts < M);
    materializedThrough(db, p, M);
    dbs.push(db);
    return db;
  }

  it("C < T - M: buckets ending by M plus the row log over (T - C, T]; the gap between is warned about", () => {
    const M = T - 5 * HOUR - 3 * MIN; // not on a bucket boundary
    const result = prepareQuery(backfilledThrough(M), p, deriveSeries(p), names).run(["u0", "u1", "u2"], T, { explain: true });
    for (const row of result.rows) {
      const [lo] = overlapRange(T, DAY, B);
      const expected = calc.sum([...amounts(txns, row.id, lo, floorTo(M, B), isFood), ...amounts(txns, row.id, T - C + 1, T + 1, isFood)]);
      expect(row.values["user.food__86400__"]).toBe(expected);
      // The 1h window lies inside the buffer: the row log only.
      expect(row.values["user.food__3600__"]).toBe(calc.sum(amounts(txns, row.id, floorTo(T - HOUR, B), T + 1, isFood)));
      const e = row.explain!["user.food__86400__"]!;
      expect(e.mode).toBe("buffer-gap");
      expect(e.uncovered).toEqual({ from: floorTo(M, B), to: T - C, bounds: "[]" });
      expect(e.rowLog).toEqual({ span: { from: T - C, to: T, bounds: "(]" }, rows: amounts(txns, row.id, T - C + 1, T + 1, isFood).length });
      expect(e.buckets.every((b) => b.end <= M)).toBe(true);
      expect(e.warnings).toHaveLength(1);
      expect(row.explain!["user.food__3600__"]!.uncovered).toBeNull();
    }
    expect(result.warnings).toEqual([expect.stringMatching(/^user\.food__86400__: no data was read for \[2024-03-02T07:00:00Z, 2024-03-02T10:05:00Z\]/)]);
  });

  it("C >= T - M: buckets before the last filled one plus the row log from its start, nothing twice", () => {
    const M = T - 90 * MIN + 4 * MIN; // 10:39: the last filled bucket is [10:30, 10:40)
    for (const live of [false, true]) {
      // A live stream moves M itself, to its newest folded event.
      const m = live ? Math.max(M, ...txns.filter((t) => t.ts <= T).map((t) => t.ts + 1)) : M;
      const db = backfilledThrough(M, live);
      const result = prepareQuery(db, p, deriveSeries(p), names).run(["u0", "u1", "u2", "u3"], T, { explain: true });
      for (const row of result.rows) {
        const [lo] = overlapRange(T, DAY, B);
        expect(row.values["user.food__86400__"]).toBe(calc.sum(amounts(txns, row.id, lo, T + 1, isFood)));
        const e = row.explain!["user.food__86400__"]!;
        expect(e.mode).toBe("buffer");
        expect(e.rowLog!.span).toEqual({ from: floorTo(m - 1, B), to: T, bounds: "[]" });
        expect(Math.max(...e.buckets.map((b) => b.end))).toBeLessThanOrEqual(floorTo(m - 1, B));
        expect(e.uncovered).toBeNull();
      }
      expect(result.warnings).toEqual([]);
    }
  });

  it("a live series moves M itself: its buckets past a backfill's M are read, nothing is left to a gap", () => {
    const M = T - 5 * HOUR;
    const result = prepareQuery(backfilledThrough(M, true), p, deriveSeries(p), names).run(["u1"], T, { explain: true });
    const row = result.rows[0]!;
    const [lo] = overlapRange(T, DAY, B);
    expect(row.values["user.food__86400__"]).toBe(calc.sum(amounts(txns, "u1", lo, T + 1, isFood)));
    // T is 12 h before the newest event, so the day window reaches past retention: its oldest slots come from the row log.
    expect(row.status["user.food__86400__"]).toBe("row_log");
    expect(row.explain!["user.food__86400__"]!.uncovered).toBeNull();
    expect(result.warnings).toEqual([]);
    expect(row.values["user.plain__86400__"]).toBe(calc.sum(amounts(txns, "u1", lo, T + 1)));
  });

  it("nothing ever folded (no materialized-through time): every slot from the row log, status row_log", () => {
    const db = buildStore(p, txns, () => false, { materialized: false });
    dbs.push(db);
    const row = prepareQuery(db, p, deriveSeries(p), names).run(["u2"], T, { explain: true }).rows[0]!;
    const [lo, hi] = overlapRange(T, DAY, B);
    expect(row.values["user.food__86400__"]).toBe(calc.sum(amounts(txns, "u2", lo, hi, isFood)));
    expect(row.status["user.food__86400__"]).toBe("row_log");
    expect(row.explain!["user.food__86400__"]).toMatchObject({ mode: "unmaterialized", buckets: [], history: { from: lo, to: T + 1, bounds: "[)" }, uncovered: null });
  });
});

describe("prepareQuery: explain and stored layouts", () => {
  const features = [feature("s", [3 * HOUR], { default: 0 })];
  const p = project(features);
  const txns = events(200, DAY, 9);

  it("lists the buckets merged with their rows; as of a past T, the bucket holding T comes from the row log", () => {
    const db = buildStore(p, txns);
    dbs.push(db);
    // Within retention of the newest event (older buckets count as dropped), and before it.
    const newest = Math.max(...txns.map((t) => t.ts));
    const T = floorTo(newest, HOUR) - HOUR + 30 * MIN;
    const row = prepareQuery(db, p, deriveSeries(p), ["user.s"]).run(["u1"], T, { explain: true }).rows[0]!;
    const e = row.explain!["user.s__10800__"]!;
    const expected = [];
    for (let s = floorTo(T - 3 * HOUR, HOUR); s < floorTo(T, HOUR); s += HOUR) {
      const rows = amounts(txns, "u1", s, s + HOUR).length;
      if (rows > 0) expected.push({ start: s, end: s + HOUR, rows });
    }
    expect(e.buckets).toEqual(expected);
    expect(e.bucketRange).toEqual({ from: floorTo(T - 3 * HOUR, HOUR), to: floorTo(T, HOUR), bounds: "[)" });
    expect(e).toMatchObject({ mode: "buckets", bucketMs: HOUR, rowLog: { span: { from: floorTo(T, HOUR), to: T, bounds: "[]" } }, uncovered: null, history: null, warnings: [] });
    expect(row.values["user.s__10800__"]).toBe(calc.sum(amounts(txns, "u1", floorTo(T - 3 * HOUR, HOUR), T + 1)));
    expect(row.status["user.s__10800__"]).toBe("present");
  });

  it("a window reaching back past what retention keeps is computed from the row log, the same value", () => {
    const db = buildStore(p, txns);
    dbs.push(db);
    const latest = T0 + 10 * DAY;
    for (const record of readSeries(db, deriveSeries(p)).values()) advanceMaxEventTime(db, record.id, latest);
    const query = prepareQuery(db, p, deriveSeries(p), ["user.s"]);
    // Kept: buckets ending after latest - 3h (the longest window) - 1h (the bucket).
    const cutoff = latest - 4 * HOUR;
    expect(query.run(["u1"], cutoff + 3 * HOUR).rows[0]!.status["user.s__10800__"]).not.toBe("row_log");
    for (const T of [T0 + 5 * HOUR, T0 + 23 * HOUR + 59 * MIN]) {
      const old = query.run(["u1"], T, { explain: true });
      expect(old.warnings).toEqual([]);
      expect(old.rows[0]!.status["user.s__10800__"]).toBe("row_log");
      expect(old.rows[0]!.values["user.s__10800__"]).toBe(calc.sum(amounts(txns, "u1", floorTo(T - 3 * HOUR, HOUR), T + 1)));
      expect(old.rows[0]!.explain!["user.s__10800__"]!.history).not.toBeNull();
    }
  });

  it("never reads buckets filled for other aggregations: the row log answers, with a warning naming the backfill", () => {
    const db = buildStore(p, txns);
    dbs.push(db);
    const other = project([feature("s", [3 * HOUR], { agg: { fn: "max" } })]);
    const T = T0 + 20 * HOUR;
    const result = prepareQuery(db, other, deriveSeries(other), ["user.s"]).run(["u1"], T);
    expect(result.rows[0]!.values["user.s__10800__"]).toBe(calc.max(amounts(txns, "u1", floorTo(T - 3 * HOUR, HOUR), T + 1)));
    expect(result.rows[0]!.status["user.s__10800__"]).toBe("row_log");
    expect(result.warnings).toEqual([expect.stringMatching(/filled for an earlier definition of user\.s .*agg backfill --feature user\.s/)]);
  });
});
