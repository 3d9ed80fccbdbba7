/**
 * `agg` never prints a stack trace unless `--verbose` (SPEC 6): for an error of every
 * code, for user code that fails only when agg runs it, for a reader that goes away
 * mid-output, and for an unexpected (internal) error, which then says it is a bug.
 */
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Chalk } from "chalk";
import Database from "better-sqlite3";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import type { Io } from "../../src/cli/io.js";
import { AGG_APPLICATION_ID } from "../../src/store/sqlite/open-store.js";
import { REPO, runAgg, sampleWorkspace, startAgg, tempDir } from "../helpers/cli.js";
import { generateTransactions, toNdjson } from "../helpers/events.js";

const STACK = /^\s+at .+[:(].*\d+/m;
const event = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ id, acct: "A", x: 1, ts: "2024-03-01T10:00:00Z", ...extra });

describe("no stack trace without --verbose, one with it", () => {
  const corpus = tempDir("agg-stack-");
  const sample = sampleWorkspace();

  beforeAll(() => {
    cpSync(join(REPO, "test", "fixtures", "bad-input", "project"), join(corpus, "features"), { recursive: true });
    writeFileSync(join(corpus, "events.ndjson"), [event("e1"), "{not json", event("e3")].join("\n") + "\n");
    writeFileSync(join(sample, "events.ndjson"), toNdjson(generateTransactions({ count: 50 })));
    expect(runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd: sample }).code).toBe(0);
    const newer = join(sample, "newer.db");
    writeFileSync(newer, "");
    const db = new Database(newer);
    db.pragma(`application_id = ${AGG_APPLICATION_ID}`);
    db.pragma("user_version = 99");
    db.close();
  });

  const cases: { name: string; cwd: () => string; args: string[]; code: number; says: string }[] = [
    { name: "a usage error", cwd: () => sample, args: ["query", "--feature", "user.txn_sum", "--id", "u1", "--at", "yesterday"], code: 2, says: "error: --at: invalid time" },
    { name: "a project error", cwd: () => sample, args: ["list", "--project", join(REPO, "test", "fixtures", "projects", "throws-at-load")], code: 2, says: "cannot load this file: settings.json is missing" },
    { name: "rejected input", cwd: () => corpus, args: ["ingest", "--source", "strict", "--file", "events.ndjson"], code: 3, says: "error: line 2 of events.ndjson: malformed JSON" },
    { name: "a store error", cwd: () => sample, args: ["list", "--store", "newer.db"], code: 1, says: "has schema version 99, newer than this agg understands" },
    { name: "a resolver whose row throws when read", cwd: () => corpus, args: ["ingest", "--source", "getter", "--file", "events.ndjson"], code: 3, says: 'error: line 1 of events.ndjson: the row the resolver of "getter" returned cannot be read: no account today' },
    { name: "a resolver returning a Date that is not one", cwd: () => corpus, args: ["ingest", "--source", "fake_date", "--file", "events.ndjson"], code: 3, says: 'error: line 1 of events.ndjson: the row the resolver of "fake_date" returned cannot be read:' },
    { name: "a schema that breaks the Standard Schema contract", cwd: () => corpus, args: ["ingest", "--source", "broken_schema", "--file", "events.ndjson"], code: 2, says: 'streams.ts:46: the message schema of stream resolver "broken_schema" returned null instead of a Standard Schema result' },
  ];

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const plain = runAgg(c.args, { cwd: c.cwd() });
    expect(plain.code, plain.stderr).toBe(c.code);
    expect(plain.stderr).toContain(c.says);
    expect(plain.stderr).not.toMatch(STACK);
    expect(plain.stderr).not.toContain("this is a bug in agg");

    const verbose = runAgg([...c.args, "--verbose"], { cwd: c.cwd() });
    expect(verbose.code).toBe(c.code);
    expect(verbose.stderr).toContain(c.says);
    expect(verbose.stderr).toMatch(STACK);
  });

  it("a reader that stops early (agg query ... | head) ends agg quietly", async () => {
    writeFileSync(join(sample, "ids.txt"), Array.from({ length: 5_000 }, (_, i) => `u${i}`).join("\n"));
    const child = startAgg(["query", "--feature", "user.txn_sum", "--ids-file", "ids.txt", "--at", "2024-03-01T00:00:00Z", "--json"], { cwd: sample });
    child.stdin.end();
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(stderr).not.toMatch(STACK);
    expect(stderr).not.toContain("EPIPE");
    expect(code).toBe(0);
  });

  it("an unexpected error says it is a bug, and shows its stack only with --verbose", async () => {
    // An output that fails: the one failure no command anticipates.
    const run = async (verbose: boolean) => {
      let stderr = "";
      const io: Io = {
        out: () => {
          throw new Error("the terminal went away");
        },
        err: (text) => (stderr += `${text}\n`),
        interactive: false,
        color: new Chalk({ level: 0 }),
        env: {},
        cwd: sample,
        now: () => Date.UTC(2024, 2, 1),
      };
      const code = await runCli(["list", ...(verbose ? ["--verbose"] : [])], io);
      return { code, stderr };
    };
    const plain = await run(false);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe("error: the terminal went away\nhint: this is a bug in agg; run again with --verbose and report the stack trace\n");
    const verbose = await run(true);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/^error: the terminal went away\n.*\nError: the terminal went away\n\s+at /s);
  });
});
