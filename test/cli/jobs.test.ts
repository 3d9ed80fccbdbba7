import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runAgg } from "../helpers/cli.js";
import { ledgerWorkspace, storePathOf } from "./backfill-fixture.js";

describe("agg aggregate jobs", () => {
  it("without a store: no jobs, and no store is created", () => {
    const dir = ledgerWorkspace();
    const text = runAgg(["aggregate", "jobs"], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toBe("");
    expect(text.stderr).toContain("No backfill jobs yet");
    const json = runAgg(["aggregate", "jobs", "--json"], { cwd: dir });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
    expect(existsSync(storePathOf(dir))).toBe(false);
  });

  it.each(["0", "-3", "many", "1.5"])("--limit %s is a usage error", (limit) => {
    const run = runAgg(["aggregate", "jobs", "--limit", limit], { cwd: ledgerWorkspace() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--limit ${limit}: expected a whole number of jobs, 1 or more`);
  });

  it("lists each job with its features, range, source, totals and timing", () => {
    const dir = ledgerWorkspace();
    expect(runAgg(["backfill", "--feature", "account.food", "--lower-bound", "2024-03-01T10:20:00Z", "--upper-bound", "2024-03-02"], { cwd: dir }).code).toBe(0);
    expect(runAgg(["backfill"], { cwd: dir }).code).toBe(0);
    const jobs = JSON.parse(runAgg(["aggregate", "jobs", "--json"], { cwd: dir }).stdout) as Record<string, unknown>[];
    expect(jobs.map((j) => [j.id, j.status, j.features, j.source, j.rows, j.buckets, j.error])).toEqual([
      [2, "completed", [], "row log", 0, 0, null],
      [1, "completed", ["account.food"], "row log", 0, 0, null],
    ]);
    // Bounds aligned to the feature's 1h buckets; an empty row log gives no range for "all data".
    expect(jobs[1]).toMatchObject({ lower: "2024-03-01T10:00:00Z", upper: "2024-03-02T00:00:00Z" });
    expect(jobs[0]).toMatchObject({ lower: null, upper: null });
    for (const job of jobs) expect(job.seconds).toBeTypeOf("number");
    const table = runAgg(["aggregate", "jobs"], { cwd: dir }).stdout;
    expect(table).toMatch(/│ 2 +│ completed │ \(all\) +│ - +│ row log │ 0 +│ 0 +│/);
    expect(table).toMatch(/│ 1 +│ completed │ account\.food │ 2024-03-01T10:00:00Z \.\. 2024-03-02T00:00:00Z │ row log │/);
  });
});
