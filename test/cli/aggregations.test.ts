import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { REPO, runAgg, tempDir } from "../helpers/cli.js";
import { prng, toNdjson } from "../helpers/events.js";
import { DAY, closeTo, inOverlappingBuckets, mean, quantileBounds, sum, variance } from "../helpers/reference.js";

// End to end: every aggregation of SPEC 1.2 ingested through `agg ingest` and read back with
// `agg query --json`, against the same values computed here from the raw events.
interface Event {
  id: string;
  user_id: string;
  merchant_id: string;
  amount: number | null;
  category: string | null;
  ts: string;
}

const START = Date.UTC(2024, 2, 1);
const USERS = ["u0", "u1", "u2", "u3"];
const CATEGORIES = ["food", "food", "food", "food", "travel", "travel", "bars", "fuel", null];

function makeEvents(): Event[] {
  const random = prng(20240301);
  const events: Event[] = [];
  for (let i = 0; i < 2400; i++) {
    events.push({
      id: `t${i}`,
      user_id: USERS[Math.floor(random() * USERS.length)]!,
      merchant_id: `m${Math.floor(random() * 150)}`,
      amount: random() < 0.05 ? null : Math.round((random() * 900 - 100) * 100) / 100,
      category: CATEGORIES[Math.floor(random() * CATEGORIES.length)]!,
      // Unique times (so minByN/maxByN have no ties), shuffled order: late events too.
      ts: new Date(START + i * 720_000 + Math.floor(random() * 700_000)).toISOString(),
    });
  }
  return events.sort(() => random() - 0.5);
}

const events = makeEvents();
let cwd = "";

beforeAll(() => {
  cwd = tempDir();
  cpSync(join(REPO, "test", "fixtures", "projects", "all-aggregations"), join(cwd, "features"), { recursive: true });
  writeFileSync(join(cwd, "events.ndjson"), toNdjson(events));
  const ingest = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd });
  expect(ingest.code, ingest.stderr).toBe(0);
});

function query(at: number, ids: string[]): Map<string, Record<string, unknown>> {
  const features = ["sum", "count", "mean", "min", "max", "std", "variance", "p90", "p50", "last3", "first2", "merchants", "top_categories"].flatMap((f) => ["--feature", `user.${f}`]);
  const result = runAgg(["query", ...features, ...ids.flatMap((id) => ["--id", id]), "--at", new Date(at).toISOString(), "--json"], { cwd });
  expect(result.code, result.stderr).toBe(0);
  const parsed = JSON.parse(result.stdout) as { rows: { id: string; values: Record<string, unknown> }[] };
  return new Map(parsed.rows.map((r) => [r.id, r.values]));
}

// Query times: mid-bucket, exact bucket boundaries, after the data. The events span 20
// days and the longest window is 10d, so retention (relative to the latest event, SPEC 3)
// has dropped buckets older than about day 9: every window here starts after that.
const TIMES = [START + 18 * DAY, START + 18 * DAY + 13 * 3_600_000, START + 19 * DAY - 1, START + 19 * DAY + 1, START + 20 * DAY, START + 22 * DAY];

describe.each(TIMES.map((t) => [new Date(t).toISOString(), t] as const))("at %s", (_label, at) => {
  const windows = [
    ["__259200__", 3 * DAY],
    ["__864000__", 10 * DAY],
  ] as const;

  test("every aggregation equals the reference computation", () => {
    const values = query(at, [...USERS, "nobody"]);
    for (const id of [...USERS, "nobody"]) {
      const row = values.get(id)!;
      for (const [suffix, w] of windows) {
        const rows = inOverlappingBuckets(events.filter((e) => e.user_id === id), at, w, DAY);
        const amounts = rows.flatMap((e) => (e.amount === null ? [] : [e.amount]));
        const where = `${id} ${suffix}`;
        expect(closeTo(row[`user.sum${suffix}`], sum(amounts)), `${where}: ${row[`user.sum${suffix}`]} vs ${sum(amounts)} (${amounts.length})`).toBe(true);
        expect(row[`user.count${suffix}`], where).toBe(rows.length);
        expect(closeTo(row[`user.mean${suffix}`], mean(amounts)), where).toBe(true);
        expect(row[`user.min${suffix}`], where).toBe(amounts.length ? Math.min(...amounts) : null);
        expect(row[`user.max${suffix}`], where).toBe(amounts.length ? Math.max(...amounts) : null);
        const v = variance(amounts);
        expect(closeTo(row[`user.variance${suffix}`], v, 1e-9), where).toBe(true);
        expect(closeTo(row[`user.std${suffix}`], v === null ? null : Math.sqrt(v), 1e-9), where).toBe(true);
        const bounds = quantileBounds(amounts, 0.9);
        const p90 = row[`user.p90${suffix}`] as number | null;
        if (bounds === null) expect(p90, where).toBeNull();
        else expect(bounds.some((b) => Math.abs(p90! - b) <= 0.01 * Math.abs(b) + 1e-9), `${where}: p90 ${p90} vs ${bounds}`).toBe(true);
        const byTime = rows.filter((e) => e.amount !== null).sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
        expect(row[`user.last3${suffix}`], where).toEqual(byTime.length ? byTime.slice(-3).reverse().map((e) => e.amount) : null);
        const distinct = new Set(rows.map((e) => e.merchant_id)).size;
        expect(Math.abs((row[`user.merchants${suffix}`] as number) - distinct), where).toBeLessThanOrEqual(distinct * 0.02);
      }
      const ten = inOverlappingBuckets(events.filter((e) => e.user_id === id), at, 10 * DAY, DAY);
      const timed = ten.filter((e) => e.amount !== null).sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
      expect(row["user.first2__864000__"], id).toEqual(timed.length ? timed.slice(0, 2).map((e) => e.amount) : null);
      const counts = new Map<string, number>();
      for (const e of ten) if (e.category !== null) counts.set(e.category, (counts.get(e.category) ?? 0) + 1);
      const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 2).map(([c]) => c);
      expect(row["user.top_categories__864000__"], id).toEqual(top.length ? top : null);
    }
  });
});

test("the value on no rows, per aggregation (an entity with no events)", () => {
  const row = query(START + 19 * DAY, ["nobody"]).get("nobody")!;
  expect(row).toMatchObject({
    "user.sum__259200__": 0,
    "user.count__259200__": 0,
    "user.mean__259200__": null,
    "user.min__259200__": null,
    "user.max__259200__": null,
    "user.std__259200__": null,
    "user.variance__259200__": null,
    "user.p90__259200__": null,
    "user.last3__259200__": null,
    "user.merchants__259200__": 0,
    "user.top_categories__864000__": null,
  });
});
