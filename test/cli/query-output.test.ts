import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg, writeFiles } from "../helpers/cli.js";
import { DAY, HOUR, ingest, iso, overlapRange, queryWorkspace, select, type Txn } from "./query-fixture.js";

// What `agg query` prints: the --json shape, the table, name forms, errors and exit codes.

const T = Date.UTC(2024, 2, 2, 6); // 2024-03-02T06:00:00Z
const at = ["--at", iso(T)];
const txn = (id: string, user_id: string, merchant_id: string, amount: number, category: string | null, ts: string): Txn => ({ id, user_id, merchant_id, amount, category, ts: Date.parse(ts) });
const txns = [
  txn("t1", "u1", "m1", 10.5, "food", "2024-03-01T10:00:00Z"),
  txn("t2", "u1", "m2", 4.25, "travel", "2024-03-01T23:30:00Z"),
  txn("t3", "u1", "m1", -2, null, "2024-03-02T01:00:00Z"),
  txn("t4", "u2", "m1", 100, "food", "2024-02-20T00:00:00Z"),
  txn("t5", "u1", "m2", 8, "bars", "2024-03-02T06:30:00Z"), // after T, inside T's bucket
];
const sum = (rows: Txn[]) => rows.reduce((a, t) => a + t.amount, 0);
const spendDay = (id: string) => sum(select(txns, id, ...overlapRange(T, DAY, HOUR)));
const byMerchantDay = (id: string) => {
  const out: Record<string, number> = {};
  for (const t of select(txns, id, ...overlapRange(T, DAY, HOUR))) out[t.merchant_id] = (out[t.merchant_id] ?? 0) + t.amount;
  return out;
};

let dir: string;
beforeAll(() => {
  dir = queryWorkspace();
  ingest(dir, txns);
}, 60_000);

const query = (...args: string[]) => runAgg(["query", ...args], { cwd: dir });

describe("agg query --json", () => {
  it("prints exactly {at, rows: [{id, values, status}], warnings}, group-by values as objects", () => {
    const result = query("--feature", "user.spend__1d__", "--feature", "user.by_merchant__1d__", "--id", "u1", "--id", "u2", ...at, "--json");
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      at: "2024-03-02T06:00:00Z",
      rows: [
        { id: "u1", values: { "user.spend__86400__": spendDay("u1"), "user.by_merchant__86400__": byMerchantDay("u1") }, status: { "user.spend__86400__": "present", "user.by_merchant__86400__": "present" } },
        { id: "u2", values: { "user.spend__86400__": 0, "user.by_merchant__86400__": {} }, status: { "user.spend__86400__": "default", "user.by_merchant__86400__": "default" } },
      ],
      warnings: [],
    });
    expect(spendDay("u1")).toBe(12.75); // t1 + t2 + t3: as of T, t5 (after T, in T's bucket) does not count
  });

  it("an entity with no data gets the feature's default, else the value on no rows", () => {
    const names = ["user.spend__1d__", "user.n__1d__", "user.avg__1d__", "user.high__1d__", "user.by_merchant__1d__", "user.top_cat__1d__", "user.merchants__1d__", "user.raw__1d__", "user.spread__1d__"];
    const result = query(...names.flatMap((n) => ["--feature", n]), "--id", "nobody", ...at, "--json");
    expect(JSON.parse(result.stdout).rows[0].values).toEqual({
      "user.spend__86400__": 0, // default: 0
      "user.n__86400__": 0,
      "user.avg__86400__": null,
      "user.high__86400__": null,
      "user.by_merchant__86400__": {},
      "user.top_cat__86400__": null,
      "user.merchants__86400__": 0,
      "user.raw__86400__": 0,
      "user.spread__86400__": null,
    });
  });

  it("--explain adds an explain record per value", () => {
    const json = JSON.parse(query("--feature", "user.spend__1d__", "--id", "u1", ...at, "--json", "--explain").stdout);
    const e = json.rows[0].explain["user.spend__86400__"];
    expect(Object.keys(e)).toEqual(["mode", "window", "bucket", "bucketStart", "continuousBuffer", "materializedThrough", "bucketRange", "buckets", "rowLog", "history", "uncovered", "notes", "warnings"]);
    expect(e).toMatchObject({
      mode: "buckets",
      window: { from: "2024-03-01T06:00:00Z", to: "2024-03-02T06:00:00Z", bounds: "(]" },
      bucket: "1h",
      // As of T: rows after T exist, so the bucket holding T is read from the row log up to T.
      bucketRange: { from: "2024-03-01T06:00:00Z", to: "2024-03-02T06:00:00Z", bounds: "[)" },
      rowLog: { from: "2024-03-02T06:00:00Z", to: "2024-03-02T06:00:00Z", bounds: "[]", rows: select(txns, "u1", T, T + 1).length },
      uncovered: null,
    });
    expect(T % HOUR).toBe(0);
    expect(e.buckets).toEqual(
      select(txns, "u1", T - DAY, T).map((t) => ({ start: iso(t.ts - (t.ts % HOUR)), end: iso(t.ts - (t.ts % HOUR) + HOUR), rows: 1 })),
    );
  });
});

describe("agg query table", () => {
  it("prints one row per id and one column per window", () => {
    const result = query("--feature", "user.spend", "--feature", "user.by_merchant__1d__", "--id", "u1", "--id", "nobody", ...at);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n").filter((l) => l.includes("│")).map((l) => l.split("│").slice(1, -1).map((c) => c.trim()));
    expect(lines[0]).toEqual(["id", "user.spend__3600__", "user.spend__10800__", "user.spend__86400__", "user.spend__259200__", "user.spend__31536000__", "user.by_merchant__86400__"]);
    expect(lines[1]![0]).toBe("u1");
    expect(lines[1]![3]).toBe(String(spendDay("u1")));
    expect(lines[1]![6]).toBe(Object.entries(byMerchantDay("u1")).map(([k, v]) => `${k}=${v}`).join(" "));
    expect(lines[2]).toEqual(["nobody", "0", "0", "0", "0", "0", "{}"]);
  });
});

describe("agg query names", () => {
  it("accepts every SPEC 1.5 form; a bare name is all windows", () => {
    const keys = (...names: string[]) => Object.keys(JSON.parse(query(...names.flatMap((n) => ["--feature", n]), "--id", "u1", ...at, "--json").stdout).rows[0].values);
    expect(keys("user.spend__86400__", "user.spend__3h__", 'user.spend["3d"]', "user.high__all__", "user.n")).toEqual([
      "user.spend__86400__",
      "user.spend__10800__",
      "user.spend__259200__",
      "user.high__all__",
      "user.n__3600__",
      "user.n__86400__",
      "user.n__31536000__",
    ]);
  });

  it("an unknown feature exits 2 with the closest name", () => {
    const result = query("--feature", "user.spnd", "--id", "u1");
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: 'error: --feature "user.spnd": no windowed feature user.spnd in the project\nhint: did you mean user.spend? (agg list shows them all)\n',
    });
    const json = query("--feature", "user.spnd", "--id", "u1", "--json");
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: "usage", hint: "did you mean user.spend? (agg list shows them all)" } });
  });

  it("a window the feature does not have exits 2 and lists its windows", () => {
    const result = query("--feature", "user.avg__7d__", "--id", "u1");
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: --feature "user.avg__7d__": user.avg has no 1w window\nhint: its windows are user.avg__86400__ (1d), user.avg__31536000__ (365d); a bare user.avg means all of them\n',
    );
  });
});

describe("agg query usage and store errors", () => {
  it.each([
    [["--id", "u1"], /needs at least one --feature/],
    [["--feature", "user.spend"], /needs at least one entity id/],
    [["--feature", "user.spend", "--id", "u1", "--at", "yesterday"], /^error: --at: invalid time "yesterday"/],
    [["--feature", "user.spend", "--ids-file", "missing.txt"], /^error: --ids-file: cannot read .*missing\.txt \(ENOENT\)/],
    [["--feature", "user.spend", "--ids-file", "blank.txt"], /needs at least one entity id/],
  ])("%j exits 2", (args, message) => {
    writeFiles(dir, { "blank.txt": "\n\r\n\n" });
    const result = query(...args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
  });

  it("a missing store exits 1 with a hint to ingest first, and creates nothing", () => {
    const empty = queryWorkspace();
    const result = runAgg(["query", "--feature", "user.spend", "--id", "u1"], { cwd: empty });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: no store at ${join(empty, ".agg", "store.db")}\nhint: ingest or backfill first, or point at a store with --store PATH (or AGG_STORE)\n`);
    expect(existsSync(join(empty, ".agg"))).toBe(false);
  });
});
