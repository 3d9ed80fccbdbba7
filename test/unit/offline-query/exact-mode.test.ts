/**
 * Exact mode against a direct computation from the raw events (test/helpers/reference.ts):
 * the entity's events in exactly (T - W, T], or (T - W, T) with excludeAtTime. And no
 * future leakage in either mode: no event after a spine row's time counts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../../src/client/index.js";
import type { AggStore } from "../../../src/client/agg-store.js";
import { closeTo, inOverlappingBuckets, inWindow, sum } from "../../helpers/reference.js";
import type { TestTransaction } from "../../helpers/events.js";
import { DAY, START, ingestedWorkspace, makeSpine, type SpineRow, type Workspace } from "./offline-fixture.js";

const HOUR = 3_600_000;
let ws: Workspace;
let store: AggStore;
beforeAll(async () => {
  ws = ingestedWorkspace(3000, 8);
  store = await openStore({ project: ws.project, store: ws.store });
});
afterAll(() => store?.close());

async function rowsOf(features: string[], spine: SpineRow[], options: { mode?: "serving" | "exact"; excludeAtTime?: boolean } = {}) {
  const out = [];
  for await (const row of store.offlineQuery({ features, spine, ...options })) out.push(row);
  return out;
}

const own = (id: string) => ws.txns.filter((t) => t.user_id === id);
/** (T - W, T) when `open`: the reference window without its last millisecond. */
const window = (events: TestTransaction[], at: number, w: number, open: boolean) => inWindow(events, open ? at - 1 : at, open ? w - 1 : w);
const amounts = (events: TestTransaction[]) => events.map((t) => t.amount);

function expected(id: string, at: number, open: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, w] of [["86400", DAY], ["604800", 7 * DAY], ["2592000", 30 * DAY]] as const) {
    const rows = window(own(id), at, w, open);
    out[`user.txn_sum__${name}__`] = sum(amounts(rows));
    out[`user.txn_count__${name}__`] = rows.length;
  }
  const max = window(own(id), at, 30 * DAY, open);
  out["user.txn_max__2592000__"] = max.length === 0 ? null : Math.max(...amounts(max));
  const food = window(own(id).filter((t) => t.category === "food"), at, HOUR, open);
  out["user.food_spend__3600__"] = sum(amounts(food));
  const byMerchant: Record<string, number> = {};
  for (const t of window(own(id), at, 30 * DAY, open)) byMerchant[t.merchant_id] = (byMerchant[t.merchant_id] ?? 0) + t.amount;
  out["user.txn_sum_by_merchant__2592000__"] = byMerchant;
  return out;
}

const FEATURES = ["user.txn_sum", "user.txn_count", 'user.txn_max["30d"]', "user.food_spend__3600__", "user.txn_sum_by_merchant"];

function expectClose(actual: Record<string, unknown>, wanted: Record<string, unknown>, where: string) {
  for (const [fqn, value] of Object.entries(wanted)) {
    const got = actual[fqn];
    if (value !== null && typeof value === "object") {
      expect(Object.keys(got as object).sort(), `${where} ${fqn}`).toEqual(Object.keys(value).sort());
      for (const [k, v] of Object.entries(value)) expect(closeTo((got as Record<string, number>)[k], v as number), `${where} ${fqn} ${k}`).toBe(true);
    } else expect(closeTo(got, value as number | null), `${where} ${fqn}: ${String(got)} vs ${String(value)}`).toBe(true);
  }
}

describe("offline query, exact mode", () => {
  const spine = () => makeSpine(ws.txns, 1500, 22, "u", 11);

  it("reads the row log over exactly (T - W, T] for every row", async () => {
    const rows = await rowsOf(FEATURES, spine(), { mode: "exact" });
    expect(rows).toHaveLength(1500);
    for (const row of rows) expectClose(row.values, expected(row.id, row.at.getTime(), false), `${row.id}@${row.at.toISOString()}`);
    // A row the spine places on an event counts that event...
    expect(rows.some((r) => ws.txns.some((t) => t.user_id === r.id && Date.parse(t.ts) === r.at.getTime()))).toBe(true);
  });

  it("leaves out rows at T with excludeAtTime: (T - W, T)", async () => {
    const rows = await rowsOf(FEATURES, spine(), { mode: "exact", excludeAtTime: true });
    let onEvent = 0;
    for (const row of rows) {
      const at = row.at.getTime();
      expectClose(row.values, expected(row.id, at, true), `${row.id}@${row.at.toISOString()}`);
      const atT = own(row.id).filter((t) => Date.parse(t.ts) === at);
      if (atT.length > 0) {
        onEvent++;
        // ...and here it does not: the 1d sum differs by exactly the events at T.
        const included = expected(row.id, at, false)["user.txn_sum__86400__"] as number;
        expect(closeTo(row.values["user.txn_sum__86400__"], included - sum(amounts(atT)), 1e-9)).toBe(true);
      }
    }
    expect(onEvent).toBeGreaterThan(50);
  });

  it("statuses say row_log, or default for an empty window", async () => {
    const rows = await rowsOf(["user.txn_sum"], [{ id: "u1", at: START + 10 * DAY, label: 0 }, { id: "nobody", at: START + 10 * DAY, label: 0 }], { mode: "exact" });
    expect(Object.values(rows[0]!.status)).toEqual(["row_log", "row_log", "row_log"]);
    expect(Object.values(rows[1]!.status)).toEqual(["default", "default", "default"]);
    expect(rows[1]!.values).toEqual({ "user.txn_sum__86400__": 0, "user.txn_sum__604800__": 0, "user.txn_sum__2592000__": 0 });
  });
});

describe("no future leakage", () => {
  it("a spine time before an entity's later events never counts them, in either mode", async () => {
    const id = "u3";
    const events = own(id).sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
    // Times inside the data: many of this entity's events lie after each of them.
    const spine = [5, 12, 20, 27].map((d, i) => ({ id, at: START + d * DAY + 7 * HOUR + 123, label: i }));
    const serving = await rowsOf(["user.txn_sum", "user.txn_count"], spine);
    const exact = await rowsOf(["user.txn_sum", "user.txn_count"], spine, { mode: "exact" });
    for (let i = 0; i < spine.length; i++) {
      const at = spine[i]!.at;
      expect(events.filter((t) => Date.parse(t.ts) > at).length).toBeGreaterThan(10);
      for (const [name, w] of [["86400", DAY], ["604800", 7 * DAY], ["2592000", 30 * DAY]] as const) {
        // Serving: the daily buckets that overlap (T - W, T], as of T (reference.ts).
        const bucketed = inOverlappingBuckets(events, at, w, DAY);
        expect(closeTo(serving[i]!.values[`user.txn_sum__${name}__`], sum(amounts(bucketed)))).toBe(true);
        expect(serving[i]!.values[`user.txn_count__${name}__`]).toBe(bucketed.length);
        expect(exact[i]!.values[`user.txn_count__${name}__`]).toBe(inWindow(events, at, w).length);
      }
    }
  });
});
