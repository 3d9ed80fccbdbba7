/**
 * Files that are not agg stores, through every command: a zero-byte file, another
 * application's SQLite database (with and without an application id of its own) and a
 * file that is not SQLite at all. Every command refuses them (exit 1, a message naming the
 * path; `check` warns and goes on with the project), and the file is byte for byte what it
 * was: no WAL switch, no tables, no side files. A store that earlier agg versions made
 * (agg's tables, no application id) is adopted, and stamped by the next writing command.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";
import { generateTransactions, toNdjson } from "../helpers/events.js";

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const AT = "2024-02-20T00:00:00Z";
/** "AGG1" as a big-endian int32: what agg stamps into the header of its stores. */
const AGG_APPLICATION_ID = 0x41474731;

const COMMANDS: Record<string, string[]> = {
  query: ["query", "--feature", "user.txn_sum", "--id", "u1", "--at", AT],
  jobs: ["aggregate", "jobs"],
  list: ["list"],
  ingest: ["ingest", "--source", "transactions", "--file", "events.ndjson"],
  backfill: ["backfill"],
  schedule: ["aggregate", "schedule", "--once", "--now", AT],
  check: ["check"],
  "check --store": ["check"],
};

/** Another application's database, in rollback-journal mode (agg would switch it to WAL). */
function otherAppDb(path: string, applicationId: number): void {
  const db = new Database(path);
  db.pragma("journal_mode = DELETE");
  if (applicationId !== 0) db.pragma(`application_id = ${applicationId}`);
  db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada'), ('Grace');");
  db.close();
}

describe("files that are not agg stores are refused unchanged", () => {
  const cwd = sampleWorkspace();
  beforeAll(() => {
    writeFileSync(join(cwd, "events.ndjson"), toNdjson(generateTransactions({ count: 50, seed: 5 })));
  });

  const cases: Record<string, { make: (path: string) => void; says: string }> = {
    "a zero-byte file": { make: (path) => writeFileSync(path, ""), says: "the file is empty" },
    "another application's SQLite database": { make: (path) => otherAppDb(path, 0), says: "another application's SQLite database" },
    "a SQLite database with another application id": { make: (path) => otherAppDb(path, 0x12345678), says: "another application's SQLite database (application_id 0x12345678)" },
    "a file that is not SQLite": { make: (path) => writeFileSync(path, "id,name\n1,Ada\n".repeat(500)), says: "is not a valid agg store" },
  };

  for (const [name, { make, says }] of Object.entries(cases)) {
    it(`${name}: every command refuses it, and it stays byte for byte the same`, () => {
      const dir = join(cwd, name.replace(/\W+/g, "-"));
      mkdirSync(dir);
      const store = join(dir, "store.db");
      make(store);
      const before = sha(store);
      for (const [command, args] of Object.entries(COMMANDS)) {
        // check is pointed at the store by AGG_STORE: `--store` would ask it to verify the store.
        const result = command === "check" ? runAgg(args, { cwd, env: { AGG_STORE: store } }) : runAgg([...args, "--store", store], { cwd });
        if (command === "check") {
          // check checks the project; the store is worth a warning there (check --store fails).
          expect(result.code, `${command}: ${result.stderr}`).toBe(0);
          expect(result.stderr, command).toContain("warning could not read the store");
        } else {
          expect(result.code, `${command}: ${result.stdout}${result.stderr}`).toBe(1);
        }
        expect(result.stderr, command).toContain(store);
        expect(result.stderr, command).toContain(says);
        expect(result.stderr, command).not.toMatch(/\n\s+at .+:\d+/);
        expect(sha(store), `${command} changed the file`).toBe(before);
        expect(readdirSync(dir), `${command} left files beside it`).toEqual(["store.db"]);
      }
    });
  }

  it("read-only commands create no store where there is none", () => {
    const dir = join(cwd, "none");
    mkdirSync(dir);
    const store = join(dir, "store.db");
    for (const command of ["query", "jobs", "check", "check --store"]) {
      const result = command === "check" ? runAgg(["check"], { cwd, env: { AGG_STORE: store } }) : runAgg([...COMMANDS[command]!, "--store", store], { cwd });
      expect(result.code, `${command}: ${result.stderr}`).toBe(command === "query" || command === "check --store" ? 1 : 0);
      expect(readdirSync(dir), command).toEqual([]);
    }
  });

  it("a new store carries agg's application id; one from an earlier agg (no id) is adopted, and stamped by the next write", () => {
    const dir = join(cwd, "legacy");
    mkdirSync(dir);
    const store = join(dir, "store.db");
    expect(runAgg(["ingest", ...COMMANDS.ingest!.slice(1), "--store", store], { cwd }).code).toBe(0);
    const fresh = new Database(store, { readonly: true });
    expect(fresh.pragma("application_id", { simple: true })).toBe(AGG_APPLICATION_ID);
    fresh.close();
    const answer = runAgg([...COMMANDS.query!, "--json", "--store", store], { cwd });
    expect(answer.code, answer.stderr).toBe(0);

    // What earlier versions wrote: agg's tables and schema version, application id 0.
    const legacy = new Database(store);
    legacy.pragma("application_id = 0");
    legacy.pragma("wal_checkpoint(TRUNCATE)");
    legacy.close();
    const before = sha(store);
    const read = runAgg([...COMMANDS.query!, "--json", "--store", store], { cwd });
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toBe(answer.stdout);
    expect(sha(store), "a query stamped the store").toBe(before);
    expect(existsSync(`${store}-wal`) ? readFileSync(`${store}-wal`).length : 0).toBe(0);

    expect(runAgg(["list", "--store", store], { cwd }).code).toBe(0);
    const stamped = new Database(store, { readonly: true });
    expect(stamped.pragma("application_id", { simple: true })).toBe(AGG_APPLICATION_ID);
    stamped.close();
  });
});
