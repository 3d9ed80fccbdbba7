/**
 * Group keys that are names of Object.prototype ("__proto__", "constructor", "toString",
 * ...) are keys like any other in group-by values: none may vanish or read a prototype
 * member, in --json or in the table, from buckets or from the row log, and as entity ids.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";
import { toNdjson, type TestTransaction } from "../helpers/events.js";

const MERCHANTS = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "m1"];
const USERS = ["u1", "u2", "__proto__"];
const DAY = 86_400_000;
const START = Date.UTC(2024, 1, 1);
/** After every event: each value comes from buckets. */
const T = Date.UTC(2024, 1, 10, 12);
/** Inside the last day's bucket: that bucket is read from the row log, up to T (as of T). */
const PAST = Date.UTC(2024, 1, 9, 6);

const events: TestTransaction[] = [];
for (let i = 0; i < 240; i++) {
  events.push({
    id: `t${i}`,
    user_id: USERS[i % USERS.length]!,
    merchant_id: MERCHANTS[Math.floor(i / USERS.length) % MERCHANTS.length]!,
    amount: ((i * 37) % 400) / 4 - 20,
    category: null,
    ts: new Date(START + Math.floor((i * 9 * DAY) / 240) + (i % 13) * 60_000).toISOString(),
  });
}

/** The group-by sums over (T - 30d, T] computed here: entity -> group key -> sum, keys sorted. */
function expected(at: number, entity: (e: TestTransaction) => string, group: (e: TestTransaction) => string): Map<string, [string, number][]> {
  const out = new Map<string, Map<string, number>>();
  for (const e of events) {
    if (Date.parse(e.ts) > at) continue;
    const sums = out.get(entity(e)) ?? new Map<string, number>();
    sums.set(group(e), (sums.get(group(e)) ?? 0) + e.amount);
    out.set(entity(e), sums);
  }
  return new Map([...out].map(([id, sums]) => [id, [...sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]));
}

type Row = { id: string; values: Record<string, Record<string, number>>; status: Record<string, string> };

describe("group keys named like Object.prototype members", () => {
  const dir = sampleWorkspace();
  beforeAll(() => {
    writeFileSync(join(dir, "events.ndjson"), toNdjson(events));
    const ingest = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd: dir });
    expect(ingest.code, ingest.stderr).toBe(0);
  });

  const query = (feature: string, ids: readonly string[], at: number, json: boolean) =>
    runAgg(["query", "--feature", feature, ...ids.flatMap((id) => ["--id", id]), "--at", new Date(at).toISOString(), ...(json ? ["--json"] : [])], { cwd: dir });

  it.each([
    ["from buckets", T],
    ["as of a past T (the row log)", PAST],
  ])("user.txn_sum_by_merchant --json keeps every merchant: %s", (_, at) => {
    const result = query("user.txn_sum_by_merchant", USERS, at, true);
    expect(result.code, result.stderr).toBe(0);
    const rows = (JSON.parse(result.stdout) as { rows: Row[] }).rows;
    const want = expected(at, (e) => e.user_id, (e) => e.merchant_id);
    expect(rows.map((r) => r.id)).toEqual(USERS);
    for (const row of rows) {
      const value = row.values["user.txn_sum_by_merchant__2592000__"]!;
      // JSON.parse makes "__proto__" an own key: compare entries, never through the prototype.
      expect(Object.entries(value).map(([k, v]) => [k, v])).toEqual(want.get(row.id));
      expect(Object.keys(value)).toContain("__proto__");
    }
  });

  it("the table prints every merchant's key=value, the same sums", () => {
    const result = query("user.txn_sum_by_merchant", USERS, T, false);
    expect(result.code, result.stderr).toBe(0);
    const want = expected(T, (e) => e.user_id, (e) => e.merchant_id);
    for (const user of USERS) {
      const line = result.stdout.split("\n").find((l) => l.startsWith(`│ ${user} `));
      expect(line, result.stdout).toBeDefined();
      const cell = line!.split("│")[2]!.trim();
      expect(cell).toBe(want.get(user)!.map(([k, v]) => `${k}=${Number(v.toPrecision(15))}`).join(" "));
    }
  });

  it("as entity ids: merchant.txn_sum_by_user for merchants __proto__ and constructor, keyed by users incl. __proto__", () => {
    const result = query("merchant.txn_sum_by_user", ["__proto__", "constructor", "nobody"], T, true);
    expect(result.code, result.stderr).toBe(0);
    const rows = (JSON.parse(result.stdout) as { rows: Row[] }).rows;
    const want = expected(T, (e) => e.merchant_id, (e) => e.user_id);
    expect(rows.map((r) => r.id)).toEqual(["__proto__", "constructor", "nobody"]);
    for (const row of rows) {
      const value = row.values["merchant.txn_sum_by_user__2592000__"]!;
      expect(Object.entries(value)).toEqual(want.get(row.id) ?? []);
    }
    expect(Object.keys(rows[0]!.values["merchant.txn_sum_by_user__2592000__"]!)).toContain("__proto__");
    expect(rows[2]!.status["merchant.txn_sum_by_user__2592000__"]).toBe("default");
  });
});
