/**
 * Every broken fixture project under test/fixtures/projects, through every command: each
 * command refuses it with exit 2 and the same file:line problems `agg check` reports, and
 * never creates or touches the store. The commands run in-process through `runCli` (the
 * whole CLI but the process boundary; test/cli/check.test.ts spawns the binary for one
 * fixture), so the full matrix stays fast.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Chalk } from "chalk";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import type { Io } from "../../src/cli/io.js";
import { REPO, SAMPLE_PROJECT, tempDir } from "../helpers/cli.js";

const FIXTURES = join(REPO, "test", "fixtures", "projects");
const NOW = Date.UTC(2024, 2, 1, 12);

async function agg(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    out: (text) => (stdout += text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => (stderr += text.endsWith("\n") ? text : `${text}\n`),
    interactive: false,
    color: new Chalk({ level: 0 }),
    env: {},
    cwd,
    now: () => NOW,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

const COMMANDS: readonly string[][] = [
  ["list"],
  ["list", "--wide", "--json"],
  ["query", "--feature", "user.txn_sum", "--id", "u1", "--at", "2024-03-01"],
  ["ingest", "--source", "transactions", "--file", "events.ndjson"],
  ["backfill"],
  ["aggregate", "backfill", "--plan"],
  ["aggregate", "schedule", "--once"],
];

describe("broken feature projects, through every command", () => {
  const work = tempDir("agg-bad-projects-");
  const base = join(work, "base.db");
  const broken = new Map<string, { where: string; message: string }[]>();
  let runs = 0;

  beforeAll(async () => {
    writeFileSync(join(work, "events.ndjson"), '{"id":"t1","user_id":"u1","merchant_id":"m1","amount":1,"category":null,"ts":"2024-03-01T10:00:00Z"}\n');
    // A valid store for the "never touched" half; made by the sample project.
    expect((await agg(["list", "--project", SAMPLE_PROJECT, "--store", base], work)).code).toBe(0);
    for (const name of readdirSync(FIXTURES).sort()) {
      const check = await agg(["check", "--json", "--project", join(FIXTURES, name)], work);
      if (check.code === 0) continue;
      expect(check.code, name).toBe(2);
      broken.set(name, (JSON.parse(check.stdout) as { problems: { where: string; message: string }[] }).problems);
    }
  });

  it("finds the broken fixtures", () => {
    expect(broken.size).toBeGreaterThanOrEqual(26);
  });

  /** A folder holding a copy of the valid store, or nothing; returns the store path. */
  function storeFolder(existing: boolean): string {
    const dir = join(work, `run-${++runs}`);
    mkdirSync(dir);
    if (existing) copyFileSync(base, join(dir, "store.db"));
    return join(dir, "store.db");
  }

  it.each(COMMANDS.map((c) => [c.join(" "), c] as const))("agg %s: exit 2 with every problem at its file:line; the store is neither created nor touched", async (_, command) => {
    for (const [name, problems] of broken) {
      for (const existing of [false, true]) {
        const store = storeFolder(existing);
        const before = existing ? sha(store) : null;
        const result = await agg([...command, "--project", join(FIXTURES, name), "--store", store], work);
        const label = `${name}: agg ${command.join(" ")}${existing ? " (store exists)" : ""}`;
        expect(result.code, `${label}\n${result.stderr}`).toBe(2);
        if (command.includes("--json")) {
          // Machine output: the error as JSON on stdout, the problems as data, nothing on stderr.
          expect(result.stderr, label).toBe("");
          const { error } = JSON.parse(result.stdout) as { error: { code: string; problems: { where: string; message: string }[] } };
          expect(error.code, label).toBe("project");
          expect(error.problems.map((p) => ({ where: p.where, message: p.message })), label).toEqual(problems.map((p) => ({ where: p.where, message: p.message })));
        } else {
          expect(result.stdout, label).toBe("");
          for (const p of problems) expect(result.stderr, label).toContain(`${p.where}: ${p.message}`);
          expect(result.stderr, label).not.toMatch(/\n\s+at .+:\d+/);
        }
        expect(readdirSync(join(store, "..")), label).toEqual(existing ? ["store.db"] : []);
        if (existing) expect(sha(store), label).toBe(before);
      }
    }
  });

  it("agg aggregate jobs reads only the store: it works, and never creates or touches it", async () => {
    for (const existing of [false, true]) {
      const store = storeFolder(existing);
      const before = existing ? sha(store) : null;
      const result = await agg(["aggregate", "jobs", "--project", join(FIXTURES, "syntax-error"), "--store", store], work);
      expect(result.code, result.stderr).toBe(0);
      if (existing) expect(sha(store)).toBe(before);
      else expect(readdirSync(join(store, ".."))).toEqual([]);
    }
  });
});
