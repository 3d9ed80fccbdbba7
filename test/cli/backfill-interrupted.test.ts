/**
 * Backfills stopped part way, after some of their chunks committed: what they print must
 * never claim "nothing was changed", the job record holds the rows and buckets that did
 * commit (also when the process was killed outright), and a job is stale when the process
 * recorded for it is gone, even if its PID now belongs to another process.
 */
import { spawn } from "node:child_process";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { runAgg, startAgg } from "../helpers/cli.js";
import { DAY, T0, ledgerInput, toNdjsonLines, type LedgerMessage } from "../fixtures/ingest/ledger-events.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { ledgerWorkspace, sql, storePathOf, txnRow } from "./backfill-fixture.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The ledger project with its entries ingested, and an offline source "big" of `rows` rows (several chunks). */
async function bigSourceWorkspace(rows: number): Promise<string> {
  const big: LedgerMessage[] = Array.from({ length: rows }, (_, i) => ({ id: `b${i}`, account: `a${i % 7}`, shop: `s${i % 3}`, amount: (i % 400) / 4, kind: i % 5 ? null : "food", ts: T0 + ((i * 7919) % (6 * DAY)) }));
  const dir = ledgerWorkspace({
    "events.ndjson": toNdjsonLines(ledgerInput(9, 300).messages),
    "features/data/big.ndjson": big.map((m) => JSON.stringify(txnRow(m))).join("\n") + "\n",
    "features/big.ts": 'import { offlineSource } from "agg";\nimport { Txn } from "./txn.js";\nexport const big = offlineSource({ name: "big", output: Txn, ndjson: "data/big.ndjson" });\n',
  });
  expect((await runAggAsync(["ingest", "--source", "ledger", "--file", "events.ndjson"], { cwd: dir })).code).toBe(0);
  return dir;
}

/** What the bucket table holds, in brief: it changes when a backfill chunk commits. */
function fingerprint(db: Database.Database): string {
  return JSON.stringify(db.prepare("SELECT count(*) AS n, total(rows) AS r, total(length(state)) AS b, total(start) AS s FROM buckets").get());
}

/** Starts `agg backfill --source big` and resolves once its first chunk has committed (the bucket table changed). */
async function backfillPastFirstChunk(dir: string, env: Record<string, string> = {}) {
  const watcher = new Database(storePathOf(dir), { readonly: true });
  const before = fingerprint(watcher);
  const child = startAgg(["backfill", "--source", "big"], { cwd: dir, env });
  child.stdin.end();
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  let exited = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => ((exited = true), resolve({ code, signal }))));
  try {
    while (!exited && fingerprint(watcher) === before) await sleep(1);
  } finally {
    watcher.close();
  }
  expect(exited, "the backfill finished before its first chunk was seen; make the source bigger").toBe(false);
  return { child, exit, output: () => ({ stdout, stderr }) };
}

describe("a backfill stopped after some chunks committed", () => {
  it("a lock taken between its chunks: it exits 1 saying the committed chunks are kept, never that nothing was changed", async () => {
    const dir = await bigSourceWorkspace(120_000);
    const run = await backfillPastFirstChunk(dir, { AGG_BUSY_TIMEOUT_MS: "300" });
    // Take the write lock between two of its chunks and hold it until the backfill is done
    // waiting for it. Chunks follow each other within microseconds, so the backfill is
    // paused (SIGSTOP) for each try: then the lock is free unless a chunk is open.
    const holder = new Database(storePathOf(dir), { timeout: 0 });
    for (let locked = false; !locked; await sleep(Math.random() * 3)) {
      run.child.kill("SIGSTOP");
      try {
        holder.exec("BEGIN IMMEDIATE");
        locked = true;
      } catch {
        // A chunk is open: let it commit and try again.
      } finally {
        run.child.kill("SIGCONT");
      }
    }
    const { code } = await run.exit;
    holder.exec("ROLLBACK");
    holder.close();
    const { stderr } = run.output();
    expect(code, stderr).toBe(1);
    expect(stderr).toContain("locked by another process");
    expect(stderr.toLowerCase()).not.toContain("nothing was changed");
    expect(stderr).toContain("the chunks committed before hold the new buckets");
    // The lock also kept it from marking its job failed; the next command that reads jobs
    // does, and the record holds what the committed chunks wrote.
    const jobs = runAgg(["aggregate", "jobs", "--json"], { cwd: dir });
    expect(jobs.code, jobs.stderr).toBe(0);
    const [job] = JSON.parse(jobs.stdout) as { status: string; rows: number; buckets: number }[];
    expect(job).toMatchObject({ status: "failed" });
    expect(job!.rows).toBeGreaterThan(0);
    expect(job!.buckets).toBeGreaterThan(0);
    const stored = sql<{ n: number }>(dir, "SELECT count(*) AS n FROM buckets")[0]!.n;
    expect(stored).toBeGreaterThan(0);
  });

  it("--plan on a new store says what it did not change, not that nothing was changed", () => {
    const dir = ledgerWorkspace();
    const plan = runAgg(["backfill", "--plan"], { cwd: dir });
    expect(plan.code, plan.stderr).toBe(0);
    expect(`${plan.stdout}${plan.stderr}`.toLowerCase()).not.toContain("nothing was changed");
    expect(plan.stdout).toContain("No buckets were changed and no job was recorded (--plan)");
  });

  it.each([["SIGINT", 130], ["SIGTERM", 143]] as const)("%s between chunks: it says what the committed chunks wrote and exits %i", async (signal, code) => {
    const dir = await bigSourceWorkspace(120_000);
    const run = await backfillPastFirstChunk(dir);
    run.child.kill(signal);
    const exit = await run.exit;
    const { stderr } = run.output();
    expect(exit.code, stderr).toBe(code);
    const [job] = sql<{ status: string; rows: number; buckets: number }>(dir, "SELECT status, rows, buckets FROM jobs");
    expect(job).toMatchObject({ status: "failed" });
    expect(job!.buckets).toBeGreaterThan(0);
    expect(stderr).toContain(`interrupted: ${signal} stopped backfill job 1 between two chunks: the committed chunks read ${job!.rows.toLocaleString("en-US")} rows and wrote ${job!.buckets.toLocaleString("en-US")} buckets`);
    expect(stderr.toLowerCase()).not.toContain("nothing was changed");
  });

  it("killed with SIGKILL: the stale job records the rows and buckets its committed chunks wrote", async () => {
    const dir = await bigSourceWorkspace(120_000);
    const run = await backfillPastFirstChunk(dir);
    run.child.kill("SIGKILL");
    expect((await run.exit).signal).toBe("SIGKILL");
    const jobs = runAgg(["aggregate", "jobs", "--json"], { cwd: dir });
    expect(jobs.code, jobs.stderr).toBe(0);
    const [job] = JSON.parse(jobs.stdout) as { status: string; rows: number; buckets: number; error: string }[];
    expect(job).toMatchObject({ status: "failed", error: `stale: process ${run.child.pid} is gone` });
    expect(job!.rows).toBeGreaterThan(0);
    expect(job!.buckets).toBeGreaterThan(0);
    expect(job!.rows).toBeLessThan(120_000);
  });

  it("a job whose PID now belongs to another process is stale all the same", async () => {
    const dir = await bigSourceWorkspace(120_000);
    const run = await backfillPastFirstChunk(dir);
    run.child.kill("SIGKILL");
    await run.exit;
    // The PID is reused: another, live process has it now (here: a sleeping child).
    const other = spawn("sleep", ["30"]);
    try {
      const db = new Database(storePathOf(dir));
      db.prepare("UPDATE jobs SET pid = ?").run(other.pid);
      db.close();
      const jobs = runAgg(["aggregate", "jobs", "--json"], { cwd: dir });
      expect(jobs.code, jobs.stderr).toBe(0);
      expect(JSON.parse(jobs.stdout)).toMatchObject([{ status: "failed", error: `stale: process ${other.pid} is not the process that ran the job (its PID was reused)` }]);
      expect(jobs.stderr).toContain(`note: job 1 was left working by process ${other.pid}`);
    } finally {
      other.kill();
    }
  });
});
