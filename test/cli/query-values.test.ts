import { beforeAll, describe, expect, it } from "vitest";
import { writeFiles } from "../helpers/cli.js";
import { DAY, HOUR, MIN, T0, floorTo, ingest, iso, makeEvents, overlapRange, queryJson, queryWorkspace, select, type Txn } from "./query-fixture.js";

// Values of `agg query` against an independent computation from the raw events: the rows
// of the entity in every bucket that overlaps (T - W, T] (SPEC 5.3), aggregated here.

const ALL = 36_500 * DAY;
const ANCHOR = Date.UTC(2024, 0, 1, 6); // bucketStart of user.anchored
const dir = queryWorkspace();
const txns = makeEvents(700, T0, 4 * DAY, 21);
const IDS = ["u0", "u1", "u2", "u3", "m0", "m2", "nobody"];

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const amounts = (rows: Txn[]) => rows.map((t) => t.amount);
function variance(rows: Txn[]): number | null {
  const xs = amounts(rows);
  if (xs.length < 2) return null;
  const mean = sum(xs) / xs.length;
  return sum(xs.map((x) => (x - mean) ** 2)) / (xs.length - 1);
}
function topK(rows: Txn[], k: number): string[] | null {
  const counts = new Map<string, number>();
  for (const t of rows) if (t.category !== null) counts.set(t.category, (counts.get(t.category) ?? 0) + 1);
  if (counts.size === 0) return null;
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k).map(([c]) => c);
}
function byTs(rows: Txn[], n: number, direction: 1 | -1): number[] | null {
  if (rows.length === 0) return null;
  const sorted = [...rows].sort((a, b) => direction * (a.ts - b.ts || a.amount - b.amount));
  return sorted.slice(0, n).map((t) => t.amount);
}
function grouped(rows: Txn[], key: "merchant_id" | "user_id"): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of rows) out[t[key]] = (out[t[key]] ?? 0) + t.amount;
  return out;
}

type Cmp = "exact" | "close" | "quantile";
interface Column {
  fqn: string;
  W: number;
  /** Bucket size; null: not materialized, exactly (T - W, T]. */
  B: number | null;
  anchor?: number;
  key?: "user_id" | "merchant_id";
  keep?: (t: Txn) => boolean;
  value: (rows: Txn[]) => unknown;
  cmp?: Cmp;
}

const col = (fqn: string, W: number, B: number | null, value: Column["value"], more: Partial<Column> = {}): Column => ({ fqn, W, B, value, ...more });
const D365 = 365 * DAY;
const COLUMNS: Column[] = [
  ...[HOUR, 3 * HOUR, DAY, 3 * DAY, D365].map((W) => col(`user.spend__${W / 1000}__`, W, HOUR, (r) => sum(amounts(r)))),
  ...[HOUR, DAY, D365].map((W) => col(`user.n__${W / 1000}__`, W, HOUR, (r) => r.length)),
  ...[DAY, D365].map((W) => col(`user.avg__${W / 1000}__`, W, HOUR, (r) => (r.length === 0 ? null : sum(amounts(r)) / r.length))),
  ...[90 * MIN, 2 * DAY, D365].map((W) => col(`user.low__${W / 1000}__`, W, HOUR, (r) => (r.length === 0 ? null : Math.min(...amounts(r))))),
  ...[DAY, 3 * DAY].map((W) => col(`user.high__${W / 1000}__`, W, DAY, (r) => (r.length === 0 ? null : Math.max(...amounts(r))))),
  col("user.high__all__", ALL, DAY, (r) => (r.length === 0 ? null : Math.max(...amounts(r)))),
  ...[6 * HOUR, D365].map((W) => col(`user.spend6h__${W / 1000}__`, W, 6 * HOUR, (r) => sum(amounts(r)))),
  ...[DAY, 2 * DAY, D365].map((W) => col(`user.anchored__${W / 1000}__`, W, DAY, (r) => sum(amounts(r)), { anchor: ANCHOR })),
  ...[DAY, D365].map((W) => col(`user.spread__${W / 1000}__`, W, HOUR, (r) => (variance(r) === null ? null : Math.sqrt(variance(r)!)), { cmp: "close" })),
  ...[DAY, D365].map((W) => col(`user.var__${W / 1000}__`, W, HOUR, variance, { cmp: "close" })),
  ...[DAY, D365].map((W) => col(`user.merchants__${W / 1000}__`, W, HOUR, (r) => new Set(r.map((t) => t.merchant_id)).size)),
  ...[DAY, D365].map((W) => col(`user.median__${W / 1000}__`, W, HOUR, (r) => amounts(r).sort((a, b) => a - b), { cmp: "quantile" })),
  ...[DAY, D365].map((W) => col(`user.top_cat__${W / 1000}__`, W, HOUR, (r) => topK(r, 2))),
  ...[DAY, D365].map((W) => col(`user.first3__${W / 1000}__`, W, HOUR, (r) => byTs(r, 3, 1))),
  ...[DAY, D365].map((W) => col(`user.last3__${W / 1000}__`, W, HOUR, (r) => byTs(r, 3, -1))),
  ...[DAY, D365].map((W) => col(`user.by_merchant__${W / 1000}__`, W, HOUR, (r) => grouped(r, "merchant_id"))),
  ...[HOUR, DAY].map((W) => col(`user.raw__${W / 1000}__`, W, null, (r) => sum(amounts(r)))),
  ...[HOUR, DAY, D365].map((W) => col(`user.food__${W / 1000}__`, W, 10 * MIN, (r) => sum(amounts(r)), { keep: (t) => t.category === "food" })),
  ...[DAY, D365].map((W) => col(`merchant.by_user__${W / 1000}__`, W, HOUR, (r) => grouped(r, "user_id"), { key: "merchant_id" })),
];
const FEATURES = [...new Set(COLUMNS.map((c) => c.fqn.replace(/__[a-z0-9]+__$/, "")))];

/** Ingest moves the materialized-through time to its newest folded event (SPEC 3). */
const M = Math.max(...txns.map((t) => t.ts)) + 1;
const BUFFER = 2 * HOUR;

function expected(c: Column, id: string, T: number): unknown {
  const [lo, hi] = c.B === null ? [T - c.W + 1, T + 1] : overlapRange(T, c.W, c.B, c.anchor ?? 0);
  if (c.fqn.startsWith("user.food__") && BUFFER < T - M) {
    // SPEC 5.3, C < T - M: buckets that end by M, plus the row log over (T - C, T].
    const early = select(txns, id, lo, Math.min(hi, floorTo(M, c.B!)), c.keep);
    return c.value([...early, ...select(txns, id, Math.max(lo, T - BUFFER + 1), T + 1, c.keep)]);
  }
  return c.value(select(txns, id, lo, hi, c.keep, c.key ?? "user_id"));
}

function check(c: Column, actual: unknown, want: unknown, where: string): void {
  if (c.cmp === "close" && typeof want === "number") {
    expect(actual, where).toBeTypeOf("number");
    expect(Math.abs((actual as number) - want), where).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
  } else if (c.cmp === "quantile") {
    const sorted = want as number[];
    if (sorted.length === 0) return void expect(actual, where).toBeNull();
    // Within 1% of a value at rank q(n-1) (SPEC 1.2), rounded either way.
    const rank = 0.5 * (sorted.length - 1);
    const near = [sorted[Math.floor(rank)]!, sorted[Math.ceil(rank)]!];
    expect(near.some((x) => Math.abs((actual as number) - x) <= 0.01 * Math.abs(x) + 1e-9), `${where}: ${String(actual)} vs ${near.join(" / ")}`).toBe(true);
  } else {
    expect(actual, where).toEqual(want);
  }
}

beforeAll(() => {
  ingest(dir, txns);
}, 60_000);

describe("agg query values", () => {
  const times = [
    T0 - HOUR, // before any event
    T0 + DAY, // a day boundary: every bucket size's boundary
    T0 + DAY - 1,
    T0 + 33 * HOUR, // an hour boundary, mid-day
    T0 + 33 * HOUR + 17 * MIN + 3,
    T0 + DAY + 6 * HOUR, // the anchored buckets' boundary
    T0 + 2 * DAY + 12 * HOUR + 10 * MIN, // a 10m boundary
    T0 + 4 * DAY - 1, // the last ms of the data
    T0 + 5 * DAY, // a day after the data
  ];

  it.each(times.map((T) => [iso(T), T] as const))("at %s every value matches the raw events", (_, T) => {
    const args = [...FEATURES.flatMap((f) => ["--feature", f]), ...IDS.flatMap((id) => ["--id", id]), "--at", iso(T)];
    const json = queryJson(dir, args);
    expect(json.at).toBe(iso(T));
    expect(json.rows.map((r) => r.id)).toEqual(IDS);
    for (const row of json.rows) {
      expect(Object.keys(row.values)).toEqual(COLUMNS.map((c) => c.fqn));
      for (const c of COLUMNS) check(c, row.values[c.fqn], expected(c, row.id, T), `${c.fqn} of ${row.id} at ${iso(T)}`);
      // A gap between the buckets and the buffer is never silent.
      expect(row.status["user.food__31536000__"] === "partial").toBe(BUFFER < T - M);
    }
  });

  it("--ids-file and epoch-seconds --at give the same answer as --id and ISO", () => {
    const T = T0 + 2 * DAY + 7 * HOUR;
    // Ids are matched verbatim on both sides, as ingest stores them: " u3 " is another entity.
    writeFiles(dir, { "ids.txt": "\uFEFFu1\n\nu3\r\n u3 \nnobody\n\n" });
    const fromFile = queryJson(dir, ["--feature", "user.spend", "--feature", "user.by_merchant", "--ids-file", "ids.txt", "--at", String(T / 1000)]);
    const fromFlags = queryJson(dir, ["--feature", "user.spend", "--feature", "user.by_merchant", "--id", "u1", "--id", "u3", "--id", " u3 ", "--id", "nobody", "--at", iso(T)]);
    expect(fromFile).toEqual(fromFlags);
    expect(fromFile.rows.map((r) => r.id)).toEqual(["u1", "u3", " u3 ", "nobody"]);
    expect(Object.values(fromFile.rows[2]!.status).every((s) => s === "default")).toBe(true);
    expect(Object.values(fromFile.rows[1]!.status).some((s) => s !== "default")).toBe(true);
    const spend = COLUMNS.find((c) => c.fqn === "user.spend__86400__")!;
    expect(fromFile.rows[0]!.values["user.spend__86400__"]).toBe(expected(spend, "u1", T));
  });
});

// Checks the tests' own arithmetic: the overlap range of an aligned T reads the bucket holding T.
describe("the tests' bucket arithmetic", () => {
  it("matches SPEC 5.3 at a boundary", () => {
    expect(overlapRange(T0 + DAY, DAY, DAY)).toEqual([T0, T0 + DAY + 1]);
    expect(floorTo(T0 + 5 * HOUR, DAY, ANCHOR)).toBe(T0 - 18 * HOUR);
  });
});
