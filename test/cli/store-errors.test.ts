import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, test } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

function workspaceWithStore(): { cwd: string; store: string } {
  const cwd = sampleWorkspace();
  expect(runAgg(["list", "--json"], { cwd }).code).toBe(0);
  return { cwd, store: join(cwd, ".agg", "store.db") };
}

describe("bad stores: a clear message, exit 1, nothing modified", () => {
  test("a store written by a newer agg", () => {
    const { cwd, store } = workspaceWithStore();
    const db = new Database(store);
    db.pragma("user_version = 99");
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    const before = sha(store);
    const result = runAgg(["list"], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("has schema version 99, newer than this agg understands");
    expect(result.stderr).toContain("hint: upgrade agg");
    expect(sha(store)).toBe(before);
  });

  test("a file that is not a SQLite database", () => {
    const cwd = sampleWorkspace();
    const store = join(cwd, ".agg", "store.db");
    mkdirSync(join(cwd, ".agg"));
    writeFileSync(store, "this is not a database, it is a grocery list\n".repeat(100));
    const before = sha(store);
    const result = runAgg(["list"], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not a valid agg store");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(sha(store)).toBe(before);
  });

  test("a store locked by another process", async () => {
    const { cwd, store } = workspaceWithStore();
    // Another process takes the write lock and keeps it until we close its stdin.
    const holder = spawn(process.execPath, ["-e", `const D=require(${JSON.stringify(require.resolve("better-sqlite3"))});const d=new D(${JSON.stringify(store)});d.exec("BEGIN EXCLUSIVE");process.stdout.write("locked\\n");process.stdin.resume();process.stdin.on("end",()=>{d.exec("ROLLBACK");d.close();});`], { stdio: ["pipe", "pipe", "inherit"] });
    await new Promise<void>((resolve) => holder.stdout.once("data", () => resolve()));
    try {
      const result = runAgg(["backfill"], { cwd, env: { AGG_BUSY_TIMEOUT_MS: "200" } });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("is locked by another process");
      expect(result.stderr).toContain("hint: wait for the other agg process to finish");
    } finally {
      holder.stdin.end();
      await new Promise((resolve) => holder.once("exit", resolve));
    }
    // Once the lock is gone, the same command works.
    expect(runAgg(["backfill"], { cwd }).code).toBe(0);
  });

  test("--store pointing into a file that is not a folder", () => {
    const cwd = sampleWorkspace();
    writeFileSync(join(cwd, "blocker"), "x");
    const result = runAgg(["list", "--store", "blocker/store.db"], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("blocker/store.db");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
