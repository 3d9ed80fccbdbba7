import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { REPO, startAgg, tempDir } from "../helpers/cli.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { countRows, readStore } from "../fixtures/ingest/store-snapshot.js";

const LEDGER = join(REPO, "test", "fixtures", "ingest", "ledger", "features");
const STORE = join(".agg", "store.db");

const entry = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ id, account: "a1", shop: "s1", amount: 10.5, kind: null, ts: "2024-03-01T10:00:00Z", ...extra });

function workspace(files: Record<string, string> = {}): string {
  const dir = tempDir("agg-ingest-cli-");
  cpSync(LEDGER, join(dir, "features"), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe("agg ingest: sources, inputs and options", () => {
  it("an unknown source is a usage error naming the known ones, and creates no store", async () => {
    const dir = workspace({ "events.ndjson": `${entry("a")}\n` });
    const result = await runAggAsync(["ingest", "--source", "ledgr", "--file", "events.ndjson"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: unknown source "ledgr"\nhint: did you mean "ledger"? known sources: ledger, ledger_archive, picky.\n');
    expect(existsSync(join(dir, STORE))).toBe(false);
  });

  it("counts in words that agree with their number: 1 message, 1 duplicate", async () => {
    const dir = workspace({ "one.ndjson": `${entry("a")}\n` });
    expect((await runAggAsync(["ingest", "--source", "ledger", "--file", "one.ndjson"], { cwd: dir })).stderr).toContain("1 message read in");
    const again = await runAggAsync(["ingest", "--source", "ledger", "--file", "one.ndjson"], { cwd: dir });
    expect(again.stderr).toContain("rows:    0 inserted, 1 duplicate, 0 replaced");
  });

  it("reads stdin when no --file is given", async () => {
    const dir = workspace();
    const result = await runAggAsync(["ingest", "--source", "ledger", "--json"], { cwd: dir, input: `\uFEFF${entry("a")}\r\n${entry("b", { ts: 1709287200000 })}\r\n` });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ messagesRead: 2, rowsInserted: 2 });
    expect(readStore(join(dir, STORE)).rows.map((r) => [r.pk, r.ts])).toEqual([
      ["a", Date.UTC(2024, 2, 1, 10)],
      ["b", 1709287200000],
    ]);
  });

  it("empty input is rejected with --on-error fail and a warning with skip", async () => {
    const dir = workspace({ "blank.ndjson": "\n  \n", "header.csv": "id,account,shop,amount,kind,ts\n" });
    const blank = await runAggAsync(["ingest", "--source", "ledger", "--file", "blank.ndjson"], { cwd: dir });
    expect(blank.code).toBe(3);
    expect(blank.stderr).toContain("error: no messages in blank.ndjson\nhint: check the input; pass --on-error skip to accept empty input");
    const csv = await runAggAsync(["ingest", "--source", "ledger", "--file", "header.csv", "--format", "csv"], { cwd: dir });
    expect(csv.code).toBe(3);
    expect(csv.stderr).toContain("error: no messages in header.csv");
    const stdin = await runAggAsync(["ingest", "--source", "ledger", "--on-error", "skip", "--json"], { cwd: dir, input: "" });
    expect(stdin.code).toBe(0);
    expect(stdin.stderr).toBe("warning: no messages in stdin\n");
    expect(JSON.parse(stdin.stdout)).toMatchObject({ messagesRead: 0, rowsInserted: 0 });
  });

  it("a resolver with updatesMaterializedAggregations: false writes the row log only", async () => {
    const dir = workspace({ "events.ndjson": `${entry("a")}\n${entry("b")}\n` });
    const result = await runAggAsync(["ingest", "--source", "ledger_archive", "--file", "events.ndjson"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("buckets: not updated (the resolver has updatesMaterializedAggregations: false; backfill fills them)");
    const store = readStore(join(dir, STORE));
    expect(store.rows.map((r) => r.pk)).toEqual(["a", "b"]);
    expect(store.buckets).toEqual([]);
    expect(store.series.every((s) => s.maxEventTime === null)).toBe(true);
  });

  it("a row without a group key is logged but lands in no bucket", async () => {
    const dir = workspace({ "events.ndjson": `${entry("a", { kind: "nokey" })}\n` });
    const result = await runAggAsync(["ingest", "--source", "picky", "--file", "events.ndjson", "--json"], { cwd: dir });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rowsInserted: 1, bucketsWritten: 0, seriesUpdated: 0 });
    expect(readStore(join(dir, STORE)).rows.map((r) => JSON.parse(r.data).account_id)).toEqual([""]);
  });

  it("bad options are usage errors", async () => {
    const dir = workspace();
    const missing = await runAggAsync(["ingest", "--source", "ledger", "--file", "nope.ndjson"], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: --file nope.ndjson: no such file");
    const batch = await runAggAsync(["ingest", "--source", "ledger", "--batch-size", "0"], { cwd: dir });
    expect(batch.code).toBe(2);
    expect(batch.stderr).toContain('error: invalid --batch-size "0"');
    expect(existsSync(join(dir, STORE))).toBe(false);
  });

  it("a feature edited after ingest: its size starts again, new rows fold in, and the history is served from the row log until a backfill", async () => {
    const first = [
      { id: "a", amount: 10.5, ts: "2024-03-01T10:00:00Z" },
      { id: "a2", amount: 4, ts: "2024-03-01T10:30:00Z" },
    ];
    const second = [{ id: "b", amount: 2, ts: "2024-03-01T11:00:00Z" }];
    const lines = (rows: typeof first) => rows.map((r) => entry(r.id, r)).join("\n") + "\n";
    const dir = workspace({ "one.ndjson": lines(first), "two.ndjson": lines(second) });
    expect((await runAggAsync(["ingest", "--source", "ledger", "--file", "one.ndjson"], { cwd: dir })).code).toBe(0);
    // A std over 1d windows changes what the 1h buckets of series 1 must hold.
    const account = join(dir, "features", "account.ts");
    writeFileSync(account, readFileSync(account, "utf8").replace("  food:", '  spread: windowed("1d", { expression: Txn.amount.std(), materialization: { bucketDuration: "1h" } }),\n  food:'));
    const result = await runAggAsync(["ingest", "--source", "ledger", "--file", "two.ndjson", "--json"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).needsBackfill).toEqual([
      { series: 1, bucket: "1h", features: ["account.total", "account.n", "account.avg", "account.lo", "account.hi", "account.spread"], reason: expect.stringContaining("another definition") as unknown },
    ]);
    expect(result.stderr).toMatch(/^warning: series 1 \(1h buckets, account\.total, .*account\.spread\) needs a backfill: .*another definition.*`agg backfill --feature account\.total`/m);
    // The old 1h buckets are gone; the new row is in a bucket of the new shape; the 1d size kept its buckets.
    const after = readStore(join(dir, STORE)).buckets;
    const rowsOf = (series: number, bucketMs: number) => after.filter((b) => b.series === series && b.bucketMs === bucketMs).map((b) => [b.start, b.rows]);
    expect(rowsOf(1, 3_600_000)).toEqual([[Date.UTC(2024, 2, 1, 11), 1]]);
    expect(rowsOf(1, 86_400_000)).toEqual([[Date.UTC(2024, 2, 1), 3]]);

    // Independent computation over all three rows, before and after the backfill.
    const amounts = [...first, ...second].map((r) => r.amount);
    const mean = amounts.reduce((a, b) => a + b, 0) / amounts.length;
    const std = Math.sqrt(amounts.reduce((a, x) => a + (x - mean) ** 2, 0) / (amounts.length - 1));
    const ask = async () => {
      const q = await runAggAsync(["query", "--feature", "account.total__1d__", "--feature", "account.spread", "--id", "a1", "--at", "2024-03-01T12:00:00Z", "--json"], { cwd: dir });
      expect(q.code, q.stderr).toBe(0);
      return (JSON.parse(q.stdout) as { rows: { values: Record<string, number>; status: Record<string, string> }[] }).rows[0]!;
    };
    const before = await ask();
    expect(before.values["account.total__86400__"]).toBe(16.5);
    expect(before.values["account.spread__86400__"]).toBeCloseTo(std, 12);
    expect(before.status).toEqual({ "account.total__86400__": "row_log", "account.spread__86400__": "row_log" });
    expect((await runAggAsync(["backfill", "--feature", "account.spread"], { cwd: dir })).code).toBe(0);
    const filled = await ask();
    expect(filled.values).toEqual(before.values);
    expect(filled.status).toEqual({ "account.total__86400__": "present", "account.spread__86400__": "present" });
  });
});

describe("agg ingest from a live stream", () => {
  it("commits what it has read when the stream goes quiet, before the batch is full", async () => {
    const dir = workspace();
    const store = join(dir, STORE);
    const child = startAgg(["ingest", "--source", "ledger", "--json"], { cwd: dir });
    child.stdin.write(`${entry("a")}\n${entry("b")}\n`);
    // Nothing more arrives and stdin stays open: the two rows must still be committed.
    for (let i = 0; countRows(store) < 2; i++) {
      if (i > 2000) throw new Error("the quiet stream's rows were never committed");
      await sleep(10);
    }
    child.stdin.end(`${entry("c")}\n`);
    const code = await new Promise((resolve) => child.once("close", resolve));
    expect(code).toBe(0);
    expect(countRows(store)).toBe(3);
  });
});

describe("agg query while agg ingest runs", () => {
  it("reads every committed message, none twice, while the ingest process holds the store", async () => {
    const dir = workspace();
    const store = join(dir, STORE);
    const amounts = [1.5, 2.25, 4, 8.75, 16];
    const lines = amounts.map((amount, i) => entry(`m${i}`, { amount, ts: Date.UTC(2024, 2, 1, 10, i) }));
    const query = async () => {
      const result = await runAggAsync(["query", "--feature", "account.total__86400__", "--feature", "account.n__86400__", "--id", "a1", "--at", "2024-03-01T12:00:00Z", "--json"], { cwd: dir });
      expect(result.code).toBe(0);
      return (JSON.parse(result.stdout) as { rows: { values: Record<string, number> }[] }).rows[0]!.values;
    };
    const child = startAgg(["ingest", "--source", "ledger"], { cwd: dir });
    child.stdin.write(lines.slice(0, 3).join("\n") + "\n");
    for (let i = 0; countRows(store) < 3; i++) {
      if (i > 2000) throw new Error("the first messages were never committed");
      await sleep(10);
    }
    expect(await query()).toEqual({ "account.total__86400__": 7.75, "account.n__86400__": 3 });
    child.stdin.end(lines.slice(3).join("\n") + "\n");
    expect(await new Promise((resolve) => child.once("close", resolve))).toBe(0);
    expect(await query()).toEqual({ "account.total__86400__": 32.5, "account.n__86400__": 5 });
  });
});
