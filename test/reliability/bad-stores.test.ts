/**
 * Bad stores through every command (test/cli/store-errors.test.ts has the messages for
 * `list`): a store from a newer agg, a corrupt (truncated) store, a store whose write
 * lock another process holds, and a read-only store. Writing commands stop with exit 1
 * and a clear message; reading commands answer where they can; and the store file is
 * byte for byte what it was, with nothing left in its write-ahead log.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace, tempDir } from "../helpers/cli.js";
import { toNdjson, generateTransactions } from "../helpers/events.js";
import { runAggAsync } from "../fixtures/ingest/run-async.js";

const require = createRequire(import.meta.url);
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const AT = "2024-02-20T00:00:00Z";

/** `chattr +i` makes a file read-only even for root; it needs root and a filesystem that supports it. */
function canMakeImmutable(): boolean {
  const probe = join(tempDir("agg-chattr-"), "probe");
  writeFileSync(probe, "x");
  const set = spawnSync("chattr", ["+i", probe]);
  if (set.status !== 0) return false;
  spawnSync("chattr", ["-i", probe]);
  return true;
}
const IMMUTABLE = canMakeImmutable();

const COMMANDS: Record<string, string[]> = {
  list: ["list"],
  ingest: ["ingest", "--source", "transactions", "--file", "events.ndjson"],
  backfill: ["backfill"],
  schedule: ["aggregate", "schedule", "--once", "--now", AT],
  jobs: ["aggregate", "jobs"],
  query: ["query", "--feature", "user.txn_sum", "--id", "u1", "--id", "u2", "--at", AT, "--json"],
  check: ["check"],
  "check --store": ["check"],
};
// list writes only to give a series it has not seen its id; here every series has one.
const WRITERS = ["ingest", "backfill", "schedule"];

interface Expectation {
  readonly code: number;
  /** In the error; a query that answers must give the good store's answer. */
  readonly says?: string;
}

describe("bad stores, through every command", () => {
  const cwd = sampleWorkspace();
  const good = join(cwd, "good.db");
  let goodAnswer = "";
  const immutable: string[] = [];

  beforeAll(() => {
    writeFileSync(join(cwd, "events.ndjson"), toNdjson(generateTransactions({ count: 300, seed: 3 })));
    const made = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson", "--store", good], { cwd });
    expect(made.code, made.stderr).toBe(0);
    const answer = runAgg([...COMMANDS.query!, "--store", good], { cwd });
    expect(answer.code).toBe(0);
    goodAnswer = answer.stdout;
  });
  afterAll(() => {
    for (const path of immutable) spawnSync("chattr", ["-i", path]);
  });

  /** A copy of the good store in its own folder, spoiled by `spoil`. */
  function storeCopy(name: string, spoil: (path: string) => void = () => {}): string {
    mkdirSync(join(cwd, name));
    const path = join(cwd, name, "store.db");
    copyFileSync(good, path);
    spoil(path);
    return path;
  }

  async function runAll(store: string, expected: Record<string, Expectation>): Promise<void> {
    const before = sha(store);
    for (const [name, args] of Object.entries(COMMANDS)) {
      // check gets the store by AGG_STORE: `--store` asks it to verify the store (the "check --store" entry).
      const result = name === "check" ? await runAggAsync(args, { cwd, env: { AGG_BUSY_TIMEOUT_MS: "200", AGG_STORE: store } }) : await runAggAsync([...args, "--store", store], { cwd, env: { AGG_BUSY_TIMEOUT_MS: "200" } });
      const want = expected[name]!;
      expect(result.code, `${name}: ${result.stderr}`).toBe(want.code);
      // With --json the error is JSON on stdout.
      if (want.says !== undefined) expect(args.includes("--json") ? (JSON.parse(result.stdout) as { error: { message: string } }).error.message : result.stderr, name).toContain(want.says);
      if (name === "query" && want.code === 0) expect(result.stdout, name).toBe(goodAnswer);
      expect(result.stderr, name).not.toMatch(/\n\s+at .+:\d+/);
      expect(sha(store), `${name} changed the store`).toBe(before);
      const wal = `${store}-wal`;
      expect(existsSync(wal) ? statSync(wal).size : 0, `${name} wrote to the write-ahead log`).toBe(0);
    }
  }

  const all = (code: number, says: string): Record<string, Expectation> =>
    Object.fromEntries(Object.keys(COMMANDS).map((name) => [name, name === "check" ? { code: 0, says: `warning could not read the store to look for series needing a backfill: ${says}` } : { code, says }]));

  it("a store written by a newer agg: every command refuses it; check warns", async () => {
    const store = storeCopy("newer", (path) => {
      const db = new Database(path);
      db.pragma("user_version = 99");
      db.close();
    });
    await runAll(store, all(1, `the store at ${store} has schema version 99, newer than this agg understands`));
  });

  it("a truncated store: every command says it is not a valid agg store; check warns", async () => {
    const store = storeCopy("truncated", (path) => {
      const bytes = readFileSync(path);
      writeFileSync(path, Buffer.concat([bytes.subarray(0, 8192), Buffer.alloc(4096, 0x61)]));
    });
    await runAll(store, all(1, `the store at ${store} is not a valid agg store`));
  });

  it("a store another process holds the write lock of: writers wait, then exit 1; readers answer from the last commit", async () => {
    const store = storeCopy("locked");
    const holder = spawn(process.execPath, ["-e", `const D=require(${JSON.stringify(require.resolve("better-sqlite3"))});const d=new D(${JSON.stringify(store)});d.exec("BEGIN EXCLUSIVE");process.stdout.write("locked\\n");process.stdin.resume();process.stdin.on("end",()=>{d.exec("ROLLBACK");d.close();});`], { stdio: ["pipe", "pipe", "inherit"] });
    await new Promise<void>((resolve) => holder.stdout.once("data", () => resolve()));
    try {
      const says = `the store at ${store} is locked by another process`;
      await runAll(store, Object.fromEntries(Object.keys(COMMANDS).map((name) => [name, WRITERS.includes(name) ? { code: 1, says } : { code: 0 }])));
    } finally {
      holder.stdin.end();
      await new Promise((resolve) => holder.once("exit", resolve));
    }
  });

  // Root ignores file permissions, so a read-only file needs `chattr +i` (where the
  // filesystem supports it); without it this case cannot be made and is skipped.
  it.skipIf(!IMMUTABLE)("a read-only store file: writers exit 1 naming it; readers answer", async () => {
    const store = storeCopy("readonly", (path) => {
      expect(spawnSync("chattr", ["+i", path]).status).toBe(0);
      immutable.push(path);
    });
    const says = `cannot write the store at ${store} (attempt to write a readonly database)`;
    await runAll(store, Object.fromEntries(Object.keys(COMMANDS).map((name) => [name, WRITERS.includes(name) ? { code: 1, says } : { code: 0 }])));
  });
});
