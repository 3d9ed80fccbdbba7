/**
 * The statuses that flag a value through `agg serve`: an overflowed sum (null, never a
 * bare 0 or Infinity) and a partial window (a span covered by no source), each with the
 * warning that names it, on every endpoint, as `agg query --json` gives them.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";
import { toNdjson, type TestTransaction } from "../helpers/events.js";
import { queryJson, setMaterializedThrough } from "./query-fixture.js";
import { call, startServe, type Served } from "./serve-fixture.js";

const AT = "2024-02-01T12:00:00Z";
const SUM = "user.txn_sum__86400__";
const FOOD = "user.food_spend__86400__";
const event = (id: string, user: string, amount: number, ts: string): TestTransaction => ({ id, user_id: user, merchant_id: "m1", amount, category: "food", ts });

describe("agg serve: overflow and partial", () => {
  const dir = sampleWorkspace();
  let served: Served;
  beforeAll(async () => {
    const events = [event("a", "big", 1.5e308, "2024-02-01T10:00:00Z"), event("b", "big", 1.5e308, "2024-02-01T11:00:00Z"), event("c", "small", 2.5, "2024-02-01T11:00:00Z"), event("d", "small", 4, "2024-01-31T20:00:00Z")];
    writeFileSync(join(dir, "events.ndjson"), toNdjson(events));
    const ingest = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd: dir });
    expect(ingest.code, ingest.stderr).toBe(0);
    // Materialized through a day earlier: the 2h continuous buffer cannot cover the gap.
    setMaterializedThrough(dir, Date.parse("2024-01-31T00:00:00Z"));
    served = await startServe(dir);
  });
  afterAll(async () => {
    expect((await served.stop()).code).toBe(0);
  });

  it("online: the value and status of agg query, the warning in error and errors", async () => {
    const expected = queryJson(dir, ["--feature", SUM, "--feature", FOOD, "--id", "big", "--at", AT]);
    expect(expected.rows[0]!.status).toEqual({ [SUM]: "overflow", [FOOD]: "partial" });
    const answer = await call(served.port, "/v1/query/online", { body: { inputs: { "user.id": "big" }, outputs: [SUM, FOOD], now: AT } });
    expect(answer.status).toBe(200);
    const [sum, food] = answer.json.data;
    expect([sum.value, sum.status, sum.error.code]).toEqual([null, "overflow", "overflow"]);
    expect(sum.error.message).toMatch(/^user\.txn_sum__86400__: a value is beyond the range of a double/);
    expect([food.value, food.status, food.error.code]).toEqual([expected.rows[0]!.values[FOOD], "partial", "partial"]);
    expect(expected.warnings).toContain(food.error.message);
    expect(answer.json.errors).toEqual([
      { code: "overflow", message: sum.error.message, category: "FIELD", feature: SUM },
      { code: "partial", message: food.error.message, category: "FIELD", feature: FOOD },
    ]);
    expect(answer.json.warnings).toEqual(expected.warnings);
  });

  it("bulk and Feast: null and the statuses per row, never a bare 0", async () => {
    const expected = queryJson(dir, ["--feature", SUM, "--feature", FOOD, "--id", "big", "--id", "small", "--id", "nobody", "--at", AT]);
    const bulk = await call(served.port, "/v1/query/bulk", { body: { inputs: { "user.id": ["big", "small", "nobody"] }, outputs: [SUM, FOOD], now: AT } });
    expect(bulk.status).toBe(200);
    for (const f of [SUM, FOOD]) {
      expect(bulk.json.data[f]).toEqual(expected.rows.map((r) => r.values[f]));
      expect(bulk.json.status[f]).toEqual(expected.rows.map((r) => r.status[f]));
    }
    expect(bulk.json.data[SUM][0]).toBeNull();
    expect(bulk.json.errors.map((e: { feature: string; code: string }) => [e.feature, e.code])).toEqual([[SUM, "overflow"], [FOOD, "partial"]]);
    const feast = await call(served.port, "/get-online-features", { body: { features: [SUM], entities: { user_id: ["big", "small"] }, now: AT } });
    // 6.5: the daily bucket of Jan 31 overlaps the 1d window (SPEC 5.3's any-overlap rule).
    expect(feast.json.results[1]).toMatchObject({ values: [null, 6.5], statuses: ["overflow", "present"] });
    expect(feast.json.warnings.some((w: string) => w.startsWith(`${SUM}:`))).toBe(true);
  });
});
