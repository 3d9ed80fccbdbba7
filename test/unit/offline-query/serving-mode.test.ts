/**
 * Train/serve consistency (SPEC 5.4): every row of a few-thousand-row spine in serving
 * mode equals, value and status, what a query at that row's time serves for its entity
 * (the typed API's query, which `agg query --at` calls: test/cli/query-*.test.ts pin
 * that path against the raw events). Both ways of reading entities' rows are checked:
 * the staged copy (a store without a per-key index, the sample's case) and direct reads.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../../src/client/index.js";
import type { AggStore } from "../../../src/client/agg-store.js";
import { ingestedWorkspace, makeSpine, type SpineRow, type Workspace } from "./offline-fixture.js";

const USER_FEATURES = ["user.txn_sum", "user.txn_count", "user.txn_mean", "user.txn_max", "user.food_spend", "user.txn_sum_by_merchant"];
const MERCHANT_FEATURES = ["merchant.txn_min", "merchant.txn_count", "merchant.txn_sum_by_user"];

let ws: Workspace;
let store: AggStore;
beforeAll(async () => {
  ws = ingestedWorkspace();
  store = await openStore({ project: ws.project, store: ws.store });
});
afterAll(() => store?.close());

async function offline(features: string[], spine: SpineRow[], rowSource: "staged" | "direct") {
  const query = store.offlineQuery({ features, spine, rowSource });
  const rows = [];
  for await (const row of query) rows.push(row);
  return { rows, summary: query.summary! };
}

async function expectServed(features: string[], spine: SpineRow[], rowSource: "staged" | "direct") {
  const { rows, summary } = await offline(features, spine, rowSource);
  expect(rows.map((r) => r.index)).toEqual(spine.map((_, i) => i));
  expect(summary.rows).toBe(spine.length);
  const statuses = new Set<string>();
  for (const row of rows) {
    const { rows: served } = await store.query({ features, ids: [row.id], at: row.at });
    expect({ id: row.id, at: row.at.toISOString(), values: row.values, status: row.status }).toEqual({ id: row.id, at: row.at.toISOString(), values: served[0]!.values, status: served[0]!.status });
    expect(row.spine).toEqual(spine[row.index]);
    for (const s of Object.values(row.status)) statuses.add(s);
  }
  return { statuses, summary };
}

describe("offline query, serving mode", () => {
  it("equals the query at T for every row of a 3,000-row user spine (staged rows)", async () => {
    const spine = makeSpine(ws.txns, 3000, 22, "u");
    const { statuses, summary } = await expectServed(USER_FEATURES, spine, "staged");
    // The spine reaches every path of a query: buckets, history from the row log, the
    // food buffer's gap past the last event, and empty windows.
    expect([...statuses].sort()).toEqual(["default", "partial", "present", "row_log"]);
    expect(summary.rowsWithDefault).toBeGreaterThan(0);
    expect(summary.rowsWithPartial).toBeGreaterThan(0);
    expect(summary.warnings.length).toBeGreaterThan(0);
  });

  it("equals the query at T with direct row-log reads too", async () => {
    await expectServed(USER_FEATURES, makeSpine(ws.txns, 600, 22, "u", 3), "direct");
  });

  it("equals the query at T for merchant features (hourly buckets, a group-by from the other side)", async () => {
    await expectServed(MERCHANT_FEATURES, makeSpine(ws.txns, 800, 6, "m", 4), "staged");
  });

  it("gives duplicate (id, T) rows the same values, in input order", async () => {
    const spine = [{ id: "u1", at: Date.UTC(2024, 1, 20), label: 0 }, { id: "u0", at: Date.UTC(2024, 1, 20), label: 1 }, { id: "u1", at: Date.UTC(2024, 1, 20), label: 2 }];
    const { rows } = await offline(["user.txn_sum"], spine, "staged");
    expect(rows.map((r) => r.spine.label)).toEqual([0, 1, 2]);
    expect(rows[0]!.values).toEqual(rows[2]!.values);
  });
});
