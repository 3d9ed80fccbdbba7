/**
 * A feature project is code, and code can loop forever, wait forever, print, or end the
 * process. None of that may hang agg, break `--json` output, or pass for a success. The
 * fixtures are test/fixtures/hostile-projects/ (valid projects, so not in the broken-project
 * matrix of bad-projects.test.ts) and test/fixtures/projects/exits-at-load.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, runAgg, tempDir } from "../helpers/cli.js";

const HOSTILE = join(REPO, "test", "fixtures", "hostile-projects");
const STACK = /\n\s+at .+:\d+/;

/** A temp folder with `project` copied as ./features. */
function workspace(project: string): string {
  const dir = tempDir("agg-hostile-");
  cpSync(project, join(dir, "features"), { recursive: true });
  return dir;
}

const event = (id: string, amount: number) => JSON.stringify({ id, user_id: "u1", amount, ts: "2024-03-01T10:00:00Z" });

describe("a feature file that never finishes loading", () => {
  // Long enough that the good files compile in time on a loaded machine (a cold TS compile).
  const env = { AGG_LOAD_TIMEOUT_MS: "3000" };

  it.each([
    ["loops forever at its top level", "hangs-at-load"],
    ["waits forever at its top level (a timer keeps the process alive)", "waits-at-load"],
  ])("one that %s: every command stops after AGG_LOAD_TIMEOUT_MS with exit 2 and says which file", (_, fixture) => {
    const cwd = workspace(join(HOSTILE, fixture));
    writeFileSync(join(cwd, "events.ndjson"), event("t1", 1) + "\n");
    for (const args of [["list"], ["check"], ["ingest", "--source", "transactions", "--file", "events.ndjson"], ["query", "--feature", "user.txn_sum", "--id", "u1"]]) {
      const started = Date.now();
      const result = runAgg(args, { cwd, env });
      const took = Date.now() - started;
      expect(result.code, `${args[0]}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain("error: features/user.ts did not finish loading within 3 s; agg stopped waiting for it");
      expect(result.stderr).toContain("raise AGG_LOAD_TIMEOUT_MS (now 3000)");
      expect(result.stderr).not.toMatch(STACK);
      expect(result.stdout).toBe("");
      // The limit, plus start-up; far from the loop's forever or the timer's hour.
      expect(took, args[0]).toBeLessThan(15_000);
    }
    expect(existsSync(join(cwd, ".agg"))).toBe(false);
  });

  it("a top-level await that does settle still loads (the asynchronous loader, under the timer)", () => {
    const cwd = workspace(join(HOSTILE, "waits-at-load"));
    const user = join(cwd, "features", "user.ts");
    writeFileSync(user, readFileSync(user, "utf8").replace("3_600_000", "20"));
    const result = runAgg(["check"], { cwd, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("ok 3 files, 2 namespaces, 1 windowed feature");
  });

  it("with --json, the error is JSON on stdout", () => {
    const cwd = workspace(join(HOSTILE, "hangs-at-load"));
    const result = runAgg(["list", "--json"], { cwd, env });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: "project", file: "features/user.ts", timeoutMs: 3000 } });
  });
});

describe("a feature file that prints while it loads", () => {
  it.each([["list", "--json"], ["check", "--json"]])("agg %s: stdout is JSON only; what the file printed is on stderr", (...args) => {
    const cwd = workspace(join(HOSTILE, "logs-at-load"));
    const result = runAgg(args, { cwd });
    expect(result.code, result.stderr).toBe(0);
    expect(() => JSON.parse(result.stdout)).not.toThrow();
    expect(result.stdout).not.toContain("user.ts");
    expect(result.stderr).toContain("loading user features { windows: 2 }\ninfo from user.ts\ndebug from user.ts\n");
  });

  it("ingest --json and query --json: the summary and the values alone on stdout", () => {
    const cwd = workspace(join(HOSTILE, "logs-at-load"));
    writeFileSync(join(cwd, "events.ndjson"), event("t1", 1) + "\n");
    const ingest = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson", "--json"], { cwd });
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(JSON.parse(ingest.stdout)).toMatchObject({ source: "transactions", rowsInserted: 1 });
    expect(ingest.stderr).toContain("info from user.ts");
    // A fresh cache folder: the project loads (a cached project would not print).
    const query = runAgg(["query", "--feature", "user.txn_sum__1d__", "--id", "u1", "--at", "2024-03-01T12:00:00Z", "--json"], { cwd, env: { AGG_CACHE_DIR: join(tempDir("agg-cache-"), "cache") } });
    expect(query.code, query.stderr).toBe(0);
    expect(JSON.parse(query.stdout)).toMatchObject({ rows: [{ id: "u1", values: { "user.txn_sum__86400__": 1 } }] });
    expect(query.stderr).toContain("info from user.ts");
  });
});

describe("a feature file that calls process.exit", () => {
  it("while loading: ingest exits 2 and says which file and line, and ingests nothing", () => {
    const cwd = workspace(join(REPO, "test", "fixtures", "projects", "exits-at-load"));
    writeFileSync(join(cwd, "events.ndjson"), event("t1", 1) + "\n");
    const result = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("features/user.ts:9: called process.exit(0) while loading: a feature file must not end the process");
    expect(result.stderr).toContain("hint: remove the call");
    expect(result.stdout).toBe("");
    expect(existsSync(join(cwd, ".agg"))).toBe(false);
  });

  it.each([["fail"], ["skip"]])("in a resolver (--on-error %s): ingest exits 2, names the caller, and what was committed before stays", (onError) => {
    const cwd = workspace(join(HOSTILE, "exits-in-resolver"));
    // The resolver ends the process on a negative amount: the third message.
    writeFileSync(join(cwd, "events.ndjson"), [event("t1", 1), event("t2", 2), event("t3", -1), event("t4", 4)].join("\n") + "\n");
    const result = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson", "--batch-size", "1", "--on-error", onError], { cwd });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("error: features/streams.ts:10 called process.exit(0) while agg was running; agg stopped there, as if killed");
    expect(result.stderr).toContain("hint: a feature file must not end the process");
    expect(result.stderr).not.toContain("ingest transactions:");
    expect(result.stderr).not.toMatch(STACK);
    expect(result.stdout).toBe("");
    const query = runAgg(["query", "--feature", "user.txn_sum__1d__", "--id", "u1", "--at", "2024-03-01T12:00:00Z", "--json"], { cwd });
    expect(query.code, query.stderr).toBe(0);
    expect(JSON.parse(query.stdout)).toMatchObject({ rows: [{ id: "u1", values: { "user.txn_sum__86400__": 3 } }] });
  });

  it("in a resolver, with --json: the error is JSON on stdout", () => {
    const cwd = workspace(join(HOSTILE, "exits-in-resolver"));
    writeFileSync(join(cwd, "events.ndjson"), event("t1", -1) + "\n");
    const result = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson", "--json"], { cwd });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: "project", where: "features/streams.ts:10", exitCode: 0 } });
  });
});
