import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, startAgg, tempDir, type CliResult } from "../helpers/cli.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";
import { readStore } from "../fixtures/ingest/store-snapshot.js";

const LEDGER = join(REPO, "test", "fixtures", "ingest", "ledger", "features");

// JSON.stringify writes a lone surrogate as its escape ("\ud800"), as a producer would.
const entry = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ id, account: "a1", shop: "s1", amount: 10.5, kind: null, ts: "2024-03-01T10:00:00Z", ...extra });

function workspace(files: Record<string, string>): string {
  const dir = tempDir("agg-ingest-hostile-");
  cpSync(LEDGER, join(dir, "features"), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const store = (dir: string) => readStore(join(dir, ".agg", "store.db"));
const loggedIds = (dir: string) => store(dir).rows.map((r) => r.pk).sort();
const deadLetter = (dir: string) => readFileSync(join(dir, "dead.ndjson"), "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { line: number; reason: string; message: string });
const skipArgs = ["ingest", "--source", "ledger", "--file", "events.ndjson", "--on-error", "skip", "--dead-letter", "dead.ndjson", "--json"];

/** runAggAsync that kills agg after `ms` (code -1): a run that hangs must not outlive its test. */
function runWithin(ms: number, args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult & { ms: number }> {
  const started = Date.now();
  const child = startAgg(args, options);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe("agg ingest: ids and keys that are not well-formed Unicode are rejected with their line", () => {
  const lines = [
    entry("g1"),
    entry("\ud800"),
    entry("\ud801"),
    entry("b1", { account: "\ud800" }),
    entry("b2", { account: "\ud801" }),
    entry("b3", { shop: "s\udc00" }),
    entry("b4", { kind: "food\ud83d" }),
    entry("g2 \ud83d\ude00"),
    entry("g3", { account: "a\ud83d\ude00" }),
  ];

  it("--on-error skip: each is a rejected message in the dead letter, the others are kept", async () => {
    const dir = workspace({ "events.ndjson": lines.join("\n") + "\n" });
    const result = await runAggAsync(skipArgs, { cwd: dir });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ messagesRead: 9, rowsInserted: 3, rejected: 6 });
    const dead = deadLetter(dir);
    expect(dead.map((d) => [d.line, d.reason])).toEqual([
      [2, "txn.id: not well-formed Unicode: a lone surrogate U+D800 at character 1 (UTF-8 text has no form for it)"],
      [3, "txn.id: not well-formed Unicode: a lone surrogate U+D801 at character 1 (UTF-8 text has no form for it)"],
      [4, "txn.account_id: not well-formed Unicode: a lone surrogate U+D800 at character 1 (UTF-8 text has no form for it)"],
      [5, "txn.account_id: not well-formed Unicode: a lone surrogate U+D801 at character 1 (UTF-8 text has no form for it)"],
      [6, "txn.shop_id: not well-formed Unicode: a lone surrogate U+DC00 at character 2 (UTF-8 text has no form for it)"],
      [7, "txn.kind: not well-formed Unicode: a lone surrogate U+D83D at character 5 (UTF-8 text has no form for it)"],
    ]);
    expect(dead[0]!.message).toBe(lines[1]);
    // Surrogate pairs (an emoji) are well-formed: kept, each its own entity.
    expect(loggedIds(dir)).toEqual(["g1", "g2 \ud83d\ude00", "g3"].sort());
    expect(store(dir).buckets.some((b) => b.keys[0] === "a\ud83d\ude00")).toBe(true);
  });

  it("--on-error fail: exit 3 at the first one, naming its line", async () => {
    const dir = workspace({ "events.ndjson": lines.join("\n") + "\n" });
    const result = await runAggAsync(["ingest", "--source", "ledger", "--file", "events.ndjson"], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("error: line 2 of events.ndjson: txn.id: not well-formed Unicode: a lone surrogate U+D800 at character 1");
    expect(loggedIds(dir)).toEqual(["g1"]);
  });
});

describe("agg ingest: a bound on the length of ids and group keys", () => {
  const lines = [
    entry("g1"),
    entry("x".repeat(2000)),
    entry("b1", { account: "a".repeat(1025) }),
    entry("b2", { shop: "é".repeat(513) }), // 513 characters, 1,026 bytes of UTF-8
    entry("g2", { account: "a".repeat(1024) }),
    entry("g3", { kind: "k".repeat(5000) }), // not a key: any length
  ];

  it("rejects a key longer than 1,024 bytes of UTF-8 as a bad message with its line", async () => {
    const dir = workspace({ "events.ndjson": lines.join("\n") + "\n" });
    const result = await runAggAsync(skipArgs, { cwd: dir });
    expect(result.code).toBe(0);
    expect(deadLetter(dir).map((d) => [d.line, d.reason])).toEqual([
      [2, "txn.id is 2,000 bytes long; a key (primary or group key) may be at most 1,024 bytes of UTF-8 (AGG_MAX_KEY_BYTES raises the limit)"],
      [3, "txn.account_id is 1,025 bytes long; a key (primary or group key) may be at most 1,024 bytes of UTF-8 (AGG_MAX_KEY_BYTES raises the limit)"],
      [4, "txn.shop_id is 1,026 bytes long; a key (primary or group key) may be at most 1,024 bytes of UTF-8 (AGG_MAX_KEY_BYTES raises the limit)"],
    ]);
    expect(loggedIds(dir)).toEqual(["g1", "g2", "g3"]);

    const fail = await runAggAsync(["ingest", "--source", "ledger", "--file", "events.ndjson"], { cwd: workspace({ "events.ndjson": lines.join("\n") + "\n" }) });
    expect(fail.code).toBe(3);
    expect(fail.stderr).toContain("error: line 2 of events.ndjson: txn.id is 2,000 bytes long");
  });

  it("a 5 MB id is rejected and leaves the store small", async () => {
    const dir = workspace({ "events.ndjson": [entry("g1"), entry("i".repeat(5_000_000))].join("\n") + "\n" });
    const result = await runAggAsync(skipArgs, { cwd: dir });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rowsInserted: 1, rejected: 1 });
    expect(loggedIds(dir)).toEqual(["g1"]);
  });

  it("AGG_MAX_KEY_BYTES sets the bound; a bad value is a usage error", async () => {
    const dir = workspace({ "events.ndjson": lines.join("\n") + "\n" });
    const result = await runAggAsync(skipArgs, { cwd: dir, env: { AGG_MAX_KEY_BYTES: "2000" } });
    expect(result.code).toBe(0);
    expect(deadLetter(dir).map((d) => d.line)).toEqual([]);
    expect(loggedIds(dir)).toEqual(["b1", "b2", "g1", "g2", "g3", "x".repeat(2000)].sort());

    const bad = await runAggAsync(skipArgs, { cwd: workspace({ "events.ndjson": lines.join("\n") + "\n" }), env: { AGG_MAX_KEY_BYTES: "1kb" } });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain('invalid AGG_MAX_KEY_BYTES \\"1kb\\"');
  });
});

describe("agg ingest: bounds on CSV columns and on line and record length", () => {
  const million = Array.from({ length: 1_000_000 }, (_, i) => `c${i}`);

  it("a CSV header of 1,000,000 columns is rejected at once (exit 3)", async () => {
    const dir = workspace({ "wide.csv": `${million.join(",")}\n${million.map(() => "1").join(",")}\n` });
    const result = await runWithin(30_000, ["ingest", "--source", "ledger", "--file", "wide.csv", "--format", "csv"], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("error: line 1: the CSV header has 1,000,000 columns; at most 10,000 are allowed (AGG_MAX_CSV_COLUMNS raises the limit)");
    expect(result.ms).toBeLessThan(20_000);
  });

  it("checks the header in linear time: a duplicate name among 1,000,000 columns is found quickly", async () => {
    const dir = workspace({ "wide.csv": `${million.join(",")},c999998\n` });
    const result = await runWithin(30_000, ["ingest", "--source", "ledger", "--file", "wide.csv", "--format", "csv"], { cwd: dir, env: { AGG_MAX_CSV_COLUMNS: "2000000" } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('error: line 1: the CSV header names column "c999998" twice');
  });

  it("an NDJSON line longer than AGG_MAX_RECORD_BYTES is a rejected message with its line; the next lines are read", async () => {
    // 3 MiB: longer than a read chunk, so the line is skipped as it streams in.
    const long = entry("big", { kind: "k".repeat(3 * 1024 * 1024) });
    const dir = workspace({ "events.ndjson": [entry("g1"), long, entry("g2"), entry("small", { kind: "k".repeat(2000) }), entry("g3")].join("\n") + "\n" });
    const env = { AGG_MAX_RECORD_BYTES: String(2 * 1024 * 1024) };
    const result = await runAggAsync(skipArgs, { cwd: dir, env });
    expect(result.code).toBe(0);
    expect(deadLetter(dir).map((d) => [d.line, d.reason])).toEqual([[2, "the line is longer than 2,097,152 bytes, the limit of one message (AGG_MAX_RECORD_BYTES raises it)"]]);
    expect(deadLetter(dir)[0]!.message.length).toBeLessThan(300);
    expect(loggedIds(dir)).toEqual(["g1", "g2", "g3", "small"]);

    const short = await runAggAsync(["ingest", "--source", "ledger", "--file", "events.ndjson"], { cwd: workspace({ "events.ndjson": [entry("g1"), entry("small", { kind: "k".repeat(2000) })].join("\n") }), env: { AGG_MAX_RECORD_BYTES: "1000" } });
    expect(short.code).toBe(3);
    expect(short.stderr).toContain("error: line 2 of events.ndjson: the line is longer than 1,000 bytes");
  });

  it("a CSV record longer than the bound (one long line, or a quoted cell over many lines) stops the run with its line (exit 3)", async () => {
    const header = "id,account,shop,amount,kind,ts";
    const row = (id: string, kind: string) => `${id},a1,s1,1.5,${kind},2024-03-01T10:00:00Z`;
    const env = { AGG_MAX_RECORD_BYTES: "1000" };
    const longLine = workspace({ "e.csv": [header, row("g1", "food"), row("b", "k".repeat(2000)), row("g2", "food")].join("\n") + "\n" });
    const one = await runAggAsync(["ingest", "--source", "ledger", "--file", "e.csv", "--format", "csv"], { cwd: longLine, env });
    expect(one.code).toBe(3);
    expect(one.stderr).toContain("error: line 3: the line is longer than 1,000 bytes");
    expect(loggedIds(longLine)).toEqual(["g1"]);

    const cell = `"${Array.from({ length: 50 }, () => "x".repeat(30)).join("\n")}"`;
    const quoted = workspace({ "e.csv": [header, row("g1", "food"), row("b", cell), row("g2", "food")].join("\n") + "\n" });
    const many = await runAggAsync(["ingest", "--source", "ledger", "--file", "e.csv", "--format", "csv", "--on-error", "skip"], { cwd: quoted, env });
    expect(many.code).toBe(3);
    expect(many.stderr).toContain("error: line 3: the record is longer than 1,000 bytes");
    expect(loggedIds(quoted)).toEqual(["g1"]);
  });
});
