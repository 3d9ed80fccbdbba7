import { beforeAll, describe, expect, it } from "vitest";
import { runAgg } from "../helpers/cli.js";
import { DAY, HOUR, MIN, T0, floorTo, ingest, iso, makeEvents, overlapRange, queryJson, queryWorkspace, select, setMaterializedThrough, type Txn } from "./query-fixture.js";

// The continuous buffer (SPEC 5.3) on hand-built timelines. `user.food` has 10m buckets
// and a 2h buffer; `user.spend` (1h buckets) has none. Events before B0 arrive through the
// `transactions` stream (row log and buckets), later ones through `transactions_raw`
// (row log only), so the buckets end at B0 as a backfill through B0 leaves them. The
// materialized-through time M is written into the store directly (no backfill command yet).

const B = 10 * MIN;
const C = 2 * HOUR;
const T = T0 + 2 * DAY + 12 * HOUR + 5 * MIN; // 2024-03-03T12:05:00Z
const txns = makeEvents(1200, T - 2 * DAY, 2 * DAY + HOUR, 77);
const food = (t: Txn) => t.category === "food";
const sum = (rows: Txn[]) => rows.reduce((a, t) => a + t.amount, 0);
const IDS = ["u0", "u1", "u2", "u3"];
const idArgs = IDS.flatMap((id) => ["--id", id]);

/** A workspace whose buckets hold the events before `b0`; the row log holds them all. */
function timeline(b0: number): string {
  const dir = queryWorkspace();
  ingest(dir, txns.filter((t) => t.ts < b0), "transactions");
  ingest(dir, txns.filter((t) => t.ts >= b0), "transactions_raw");
  return dir;
}

describe("C < T - M: buckets up to M, the row log over (T - C, T], a warned gap between", () => {
  const M = T - 5 * HOUR - 3 * MIN; // 07:02, inside the bucket [07:00, 07:10)
  let dir: string;
  beforeAll(() => {
    dir = timeline(M);
    setMaterializedThrough(dir, M);
  }, 60_000);

  it("counts the buckets ending by M and the rows of the buffer, nothing in between", () => {
    const json = queryJson(dir, ["--feature", "user.food", "--feature", "user.spend__1d__", ...idArgs, "--at", iso(T), "--explain"]);
    for (const row of json.rows) {
      const [first] = overlapRange(T, DAY, B);
      const fromBuckets = select(txns, row.id, first, floorTo(M, B), food);
      const fromLog = select(txns, row.id, T - C + 1, T + 1, food);
      expect(row.values["user.food__86400__"]).toBe(sum([...fromBuckets, ...fromLog]));
      // The 1h window lies inside the buffer: the row log from its first bucket to T.
      expect(row.values["user.food__3600__"]).toBe(sum(select(txns, row.id, floorTo(T - HOUR, B), T + 1, food)));
      // No buffer, but the rows logged after B0 are in no bucket: the buckets that end by
      // the first of them, the rest from the row log, so every row of the window counts.
      const firstRaw = Math.min(...txns.filter((t) => t.ts >= M).map((t) => t.ts));
      expect(row.values["user.spend__86400__"]).toBe(sum(select(txns, row.id, floorTo(T - DAY, HOUR), T + 1)));
      expect(row.status["user.spend__86400__"]).toBe("row_log");
      const spend = row.explain!["user.spend__86400__"];
      expect(spend.rowLog).toMatchObject({ from: iso(floorTo(firstRaw, HOUR)), to: iso(T), bounds: "[]" });
      expect(spend.warnings).toEqual([expect.stringContaining(`rows from ${iso(firstRaw)} on were logged without updating the buckets`)]);

      const e = row.explain!["user.food__86400__"];
      expect(e.mode).toBe("buffer-gap");
      expect(e.materializedThrough).toBe(iso(M));
      expect(e.continuousBuffer).toBe("2h");
      expect(e.uncovered).toEqual({ from: iso(floorTo(M, B)), to: iso(T - C), bounds: "[]" });
      expect(e.rowLog).toEqual({ from: iso(T - C), to: iso(T), bounds: "(]", rows: fromLog.length });
      expect(e.buckets.every((b: { end: string }) => Date.parse(b.end) <= M)).toBe(true);
      expect(e.buckets.reduce((n: number, b: { rows: number }) => n + b.rows, 0)).toBe(fromBuckets.length);
      expect(e.warnings).toEqual([expect.stringContaining(`no data was read for [${iso(floorTo(M, B))}, ${iso(T - C)}]`)]);
      expect(row.explain!["user.food__3600__"].uncovered).toBeNull();
    }
  });

  it("warns on stderr without --explain, and plainly in the --explain table", () => {
    const plain = runAgg(["query", "--feature", "user.food__1d__", "--id", "u1", "--at", iso(T)], { cwd: dir });
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe(
      `warning: user.food__86400__: no data was read for [2024-03-03T07:00:00Z, 2024-03-03T10:05:00Z]: the buckets stop at the series' materialized-through time 2024-03-03T07:02:00Z and the row log covers only the last 2h; run \`agg backfill --feature user.food\` or lengthen continuousBufferDuration\n`,
    );
    const explained = runAgg(["query", "--feature", "user.food__1d__", "--id", "u1", "--at", iso(T), "--explain"], { cwd: dir });
    expect(explained.code).toBe(0);
    expect(explained.stderr).toBe("");
    expect(explained.stdout).toContain("window   (2024-03-02T12:05:00Z, 2024-03-03T12:05:00Z]  (buffer-gap)");
    expect(explained.stdout).toContain("row log  (2024-03-03T10:05:00Z, 2024-03-03T12:05:00Z]: ");
    expect(explained.stdout).toMatch(/\n {2}warning {2}user\.food__86400__: no data was read for \[2024-03-03T07:00:00Z, 2024-03-03T10:05:00Z\]/);
  });

  it("nothing ever folded (no M): every slot from the row log, status row_log, and explain says so", () => {
    setMaterializedThrough(dir, null);
    try {
      const json = queryJson(dir, ["--feature", "user.food__1d__", ...idArgs, "--at", iso(T), "--explain"]);
      for (const row of json.rows) {
        const [first] = overlapRange(T, DAY, B);
        expect(row.values["user.food__86400__"]).toBe(sum(select(txns, row.id, first, T + 1, food)));
        expect(row.status["user.food__86400__"]).toBe("row_log");
        expect(row.explain!["user.food__86400__"]).toMatchObject({ mode: "unmaterialized", uncovered: null, warnings: [] });
        expect(row.explain!["user.food__86400__"].notes).toEqual(expect.arrayContaining([expect.stringContaining("nothing was ever folded")]));
      }
    } finally {
      setMaterializedThrough(dir, M);
    }
  });
});

describe("C >= T - M: buckets before the last filled one, the row log from its start to T", () => {
  const M = T - 86 * MIN; // 10:39, the last filled bucket is [10:30, 10:40)
  let dir: string;
  beforeAll(() => {
    dir = timeline(M);
    setMaterializedThrough(dir, M);
  }, 60_000);

  it("counts every row of the window once, the rows after T not at all", () => {
    const json = queryJson(dir, ["--feature", "user.food", ...idArgs, "--at", iso(T), "--explain"]);
    for (const row of json.rows) {
      for (const [fqn, W] of [["user.food__3600__", HOUR], ["user.food__86400__", DAY]] as const) {
        expect(row.values[fqn]).toBe(sum(select(txns, row.id, floorTo(T - W, B), T + 1, food)));
      }
      const e = row.explain!["user.food__86400__"];
      const lastFilled = floorTo(M - 1, B);
      expect(e.mode).toBe("buffer");
      expect(e.rowLog).toEqual({ from: iso(lastFilled), to: iso(T), bounds: "[]", rows: select(txns, row.id, lastFilled, T + 1, food).length });
      expect(e.buckets.every((b: { end: string }) => Date.parse(b.end) <= lastFilled)).toBe(true);
      expect(e.uncovered).toBeNull();
      expect(e.warnings).toEqual([]);
    }
  });
});

describe("a series fed live by a stream (buckets past M): the rules still hold", () => {
  let dir: string;
  beforeAll(() => {
    dir = queryWorkspace();
    ingest(dir, txns, "transactions");
  }, 60_000);

  it("C >= T - M: the live buckets after the last filled one are replaced by the row log, not added", () => {
    const M = T - 86 * MIN;
    setMaterializedThrough(dir, M);
    const json = queryJson(dir, ["--feature", "user.food__1d__", ...idArgs, "--at", iso(T)]);
    for (const row of json.rows) expect(row.values["user.food__86400__"]).toBe(sum(select(txns, row.id, floorTo(T - DAY, B), T + 1, food)));
  });

  it("C < T - M: the live buckets after M are not read, so the gap stays uncovered", () => {
    const M = T - 5 * HOUR; // 07:05: the bucket [07:00, 07:10) ends after M, so it is not read
    setMaterializedThrough(dir, M);
    const result = runAgg(["query", "--feature", "user.food__1d__", ...idArgs, "--at", iso(T), "--json"], { cwd: dir });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { rows: { id: string; values: Record<string, number> }[] };
    for (const row of json.rows) {
      const expected = sum([...select(txns, row.id, floorTo(T - DAY, B), floorTo(M, B), food), ...select(txns, row.id, T - C + 1, T + 1, food)]);
      expect(row.values["user.food__86400__"]).toBe(expected);
    }
    expect(result.stderr).toMatch(/^warning: user\.food__86400__: no data was read for \[2024-03-03T07:00:00Z, 2024-03-03T10:05:00Z\]/);
  });
});
