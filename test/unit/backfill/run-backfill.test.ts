import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { planBackfill } from "../../../src/backfill/plan-backfill.js";
import { rowLogSource } from "../../../src/backfill/row-source.js";
import { runBackfill } from "../../../src/backfill/run-backfill.js";
import { normalizeRow } from "../../../src/ingest/normalize-row.js";
import { loadValidProject, projectSource } from "../../../src/project/load-project.js";
import type { Project } from "../../../src/project/model.js";
import { compileSeries } from "../../../src/series/compiled-series.js";
import { deriveSeries } from "../../../src/series/derive.js";
import { openDatabase, type Db } from "../../../src/store/open-store.js";
import { RowLog } from "../../../src/store/row-log.js";
import { registerSeries, storedLayouts } from "../../../src/store/series-registry.js";
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
  const plan = planBackfill(series, (ns) => rowLogSource(db, ns), storedLayouts(db), { kind: "bounds" });
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

  it("rebuilds a size stored with another layout, dropping its old buckets outside the data", async () => {
    const db = loggedStore();
    const clean = await backfill(db, 1_000_000);
    const [size] = db.prepare("SELECT series_id, bucket_ms FROM series_sizes ORDER BY 1, 2 LIMIT 1").all() as { series_id: number; bucket_ms: number }[];
    db.prepare("UPDATE series_sizes SET layout = 'old' WHERE series_id = ? AND bucket_ms = ?").run(size!.series_id, size!.bucket_ms);
    db.prepare("INSERT INTO buckets (series_id, bucket_ms, k0, start, rows, state) VALUES (?, ?, 'gone', 0, 1, x'00')").run(size!.series_id, size!.bucket_ms);
    const defs = deriveSeries(project);
    const plan = planBackfill(compileSeries(defs, registerSeries(db, defs, 0)), (ns) => rowLogSource(db, ns), storedLayouts(db), { kind: "bounds", lower: Date.UTC(2030, 0, 1) });
    expect(plan.filter((i) => i.reshape).map((i) => [i.series.id, i.size.bucketMs])).toEqual([[size!.series_id, size!.bucket_ms]]);
    await runBackfill(db, plan, { rows: 0, buckets: 0 }, { chunkRows: 7 });
    const after = db.prepare("SELECT series_id, bucket_ms, k0, k1, start, rows, hex(state) AS state FROM buckets ORDER BY 1, 2, 3, 4, 5").all();
    expect(after).toEqual(clean.buckets);
    expect(storedLayouts(db).get(`${size!.series_id}:${size!.bucket_ms}`)).not.toBe("old");
  });

  it("stops between chunks when aborted, with the reason", async () => {
    const db = loggedStore();
    const defs = deriveSeries(project);
    const series = compileSeries(defs, registerSeries(db, defs, 0));
    const plan = planBackfill(series, (ns) => rowLogSource(db, ns), storedLayouts(db), { kind: "bounds" });
    const stop = new AbortController();
    const reason = new Error("stop here");
    const totals = { rows: 0, buckets: 0 };
    let chunks = 0;
    const run = runBackfill(db, plan, totals, { chunkRows: 50, signal: stop.signal, onRows: () => ++chunks === 3 && stop.abort(reason) });
    await expect(run).rejects.toBe(reason);
    // Nothing recorded as filled: layouts and materialized-through move only when a series is done.
    // Only the registration's "unfilled" marks: no layout was recorded as filled.
    expect(db.prepare("SELECT count(*) AS n FROM series_sizes WHERE layout NOT LIKE 'unfilled%'").get()).toEqual({ n: 0 });
    expect(db.prepare("SELECT count(*) AS n FROM series WHERE materialized_through IS NOT NULL").get()).toEqual({ n: 0 });
  });
});
