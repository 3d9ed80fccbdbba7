import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { planBackfill } from "../../../src/backfill/plan-backfill.js";
import { rowLogSource } from "../../../src/backfill/row-source.js";
import { runBackfill } from "../../../src/backfill/run-backfill.js";
import { normalizeRow } from "../../../src/ingest/normalize-row.js";
import { loadValidProject, projectSource } from "../../../src/project/load-project.js";
import type { Project } from "../../../src/project/model.js";
import { compileSeries, declaredSizes } from "../../../src/series/compiled-series.js";
import { deriveSeries } from "../../../src/series/derive.js";
import { openDatabase, type Db } from "../../../src/store/sqlite/open-store.js";
import { RowLog } from "../../../src/store/sqlite/row-log.js";
import { registerSeries } from "../../../src/store/series-registry.js";
import { claimSizes, readSizeRecords } from "../../../src/store/size-state.js";
import { ledgerInput } from "../../fixtures/ingest/ledger-events.js";
import { REPO, tempDir } from "../../helpers/cli.js";

const LEDGER = join(REPO, "test", "fixtures", "ingest", "ledger", "features");
let project: Project;

beforeAll(async () => {
  project = await loadValidProject(projectSource(LEDGER));
});

/** A store whose row log holds the ledger entries, and no buckets. */
function loggedStore(): Db {
  const db = openDatabase(join(tempDir(), "store.db"));
  const log = new RowLog(db);
  const ns = project.namespaces.get("txn")!;
  db.transaction(() => {
    for (const m of ledgerInput(13, 600).messages) {
      const row = normalizeRow(ns, { id: m.id, account_id: m.account, shop_id: m.shop, amount: m.amount, kind: m.kind, ts: m.ts });
      if ("error" in row) throw new Error(row.error);
      log.upsert("txn", row.pk, row.ts, row.data);
    }
  })();
  return db;
}

async function backfill(db: Db, chunkRows: number): Promise<{ buckets: unknown[]; series: unknown[]; totals: { rows: number; buckets: number } }> {
  const defs = deriveSeries(project);
  const series = compileSeries(defs, registerSeries(db, defs, 0));
  const plan = planBackfill(series, (ns) => rowLogSource(db, ns), readSizeRecords(db), { kind: "bounds" });
  const totals = { rows: 0, buckets: 0 };
  await runBackfill(db, plan, totals, { chunkRows });
  return {
    buckets: db.prepare("SELECT series_id, bucket_ms, k0, k1, start, rows, hex(state) AS state FROM buckets ORDER BY 1, 2, 3, 4, 5").all(),
    series: db.prepare("SELECT id, max_event_time, materialized_through FROM series ORDER BY id").all(),
    totals,
  };
}

describe("runBackfill", () => {
  it("gives the same store whether a range is replaced in one transaction or in many small chunks", async () => {
    const whole = await backfill(loggedStore(), 1_000_000);
    const chunked = await backfill(loggedStore(), 7);
    expect(whole.buckets.length).toBeGreaterThan(100);
    expect(chunked.buckets).toEqual(whole.buckets);
    expect(chunked.series).toEqual(whole.series);
    expect(chunked.totals.buckets).toBe(whole.totals.buckets);
  });

  it("a size claimed after rows were logged starts above them; a backfill fills it from the beginning", async () => {
    const db = loggedStore();
    const defs = deriveSeries(project);
    const series = compileSeries(defs, registerSeries(db, defs, 0));
    claimSizes(db, declaredSizes(series));
    const newest = (db.prepare("SELECT max(ts) AS t FROM rows").get() as { t: number }).t;
    for (const record of readSizeRecords(db).values()) {
      expect(record.filledFrom).toBeGreaterThan(newest);
      expect(record.reason).toBe("new");
    }
    const plan = planBackfill(series, (ns) => rowLogSource(db, ns), readSizeRecords(db), { kind: "bounds" });
    await runBackfill(db, plan, { rows: 0, buckets: 0 }, { chunkRows: 7 });
    for (const record of readSizeRecords(db).values()) expect(record.filledFrom).toBeNull();
  });

  it("a bounded backfill that stops short of the filled part leaves it where it was", async () => {
    const db = loggedStore();
    const defs = deriveSeries(project);
    const series = compileSeries(defs, registerSeries(db, defs, 0));
    claimSizes(db, declaredSizes(series));
    const before = [...readSizeRecords(db).values()].map((r) => r.filledFrom);
    const oldest = (db.prepare("SELECT min(ts) AS t FROM rows").get() as { t: number }).t;
    const plan = planBackfill(series, (ns) => rowLogSource(db, ns), readSizeRecords(db), { kind: "bounds", upper: oldest + 86_400_000 });
    await runBackfill(db, plan, { rows: 0, buckets: 0 }, { chunkRows: 7 });
    expect([...readSizeRecords(db).values()].map((r) => r.filledFrom)).toEqual(before);
  });

  it("stops between chunks when aborted, with the reason", async () => {
    const db = loggedStore();
    const defs = deriveSeries(project);
    const series = compileSeries(defs, registerSeries(db, defs, 0));
    const plan = planBackfill(series, (ns) => rowLogSource(db, ns), readSizeRecords(db), { kind: "bounds" });
    const stop = new AbortController();
    const reason = new Error("stop here");
    const totals = { rows: 0, buckets: 0 };
    let chunks = 0;
    const run = runBackfill(db, plan, totals, { chunkRows: 50, signal: stop.signal, onRows: () => ++chunks === 3 && stop.abort(reason) });
    await expect(run).rejects.toBe(reason);
    // The materialized-through time moves only when a series is done.
    expect(db.prepare("SELECT count(*) AS n FROM series WHERE materialized_through IS NOT NULL").get()).toEqual({ n: 0 });
  });
});
