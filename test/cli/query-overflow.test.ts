/**
 * A sum beyond the range of a double (two amounts of 1.5e308 in one window): JSON has no
 * Infinity and prints null, so the status ("overflow") and a warning carry the meaning;
 * the table prints the value itself, and the warning goes to stderr. Exit 0: the rows
 * are valid, their sum is not representable.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runAgg, sampleWorkspace } from "../helpers/cli.js";
import { toNdjson, type TestTransaction } from "../helpers/events.js";

const AT = "2024-02-01T12:00:00Z";
const event = (id: string, user: string, amount: number, ts: string): TestTransaction => ({ id, user_id: user, merchant_id: "m1", amount, category: "food", ts });

describe("agg query: a sum that overflows", () => {
  const dir = sampleWorkspace();
  beforeAll(() => {
    const events = [
      event("a", "big", 1.5e308, "2024-02-01T10:00:00Z"),
      event("b", "big", 1.5e308, "2024-02-01T11:00:00Z"),
      event("c", "low", -1.5e308, "2024-02-01T10:00:00Z"),
      event("d", "low", -1.5e308, "2024-02-01T11:00:00Z"),
      // Large but representable: 1.5e308 + 1.5e308 - 1.5e308 is exact in the bucket state.
      event("e", "fine", 1.5e308, "2024-02-01T09:00:00Z"),
      event("f", "fine", 1.5e308, "2024-02-01T10:00:00Z"),
      event("g", "fine", -1.5e308, "2024-02-01T11:00:00Z"),
      event("h", "small", 2.5, "2024-02-01T11:00:00Z"),
    ];
    writeFileSync(join(dir, "events.ndjson"), toNdjson(events));
    const ingest = runAgg(["ingest", "--source", "transactions", "--file", "events.ndjson"], { cwd: dir });
    expect(ingest.code, ingest.stderr).toBe(0);
  });

  const SUM = "user.txn_sum__86400__";

  it("--json: the value is null, the status overflow, a warning says so; exit 0", () => {
    const result = runAgg(["query", "--feature", 'user.txn_sum["1d"]', "--feature", "user.txn_sum_by_merchant", "--id", "big", "--id", "low", "--id", "fine", "--id", "small", "--at", AT, "--json"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as { rows: { id: string; values: Record<string, unknown>; status: Record<string, string> }[]; warnings: string[] };
    const [big, low, fine, small] = out.rows;
    expect(big).toMatchObject({ id: "big", values: { [SUM]: null, "user.txn_sum_by_merchant__2592000__": { m1: null } }, status: { [SUM]: "overflow", "user.txn_sum_by_merchant__2592000__": "overflow" } });
    expect(low).toMatchObject({ id: "low", values: { [SUM]: null }, status: { [SUM]: "overflow" } });
    expect(fine).toMatchObject({ id: "fine", values: { [SUM]: 1.5e308 }, status: { [SUM]: "present" } });
    expect(small).toMatchObject({ id: "small", values: { [SUM]: 2.5 }, status: { [SUM]: "present" } });
    const about = out.warnings.filter((w) => w.startsWith(`${SUM}:`));
    expect(about).toHaveLength(1);
    expect(about[0]).toMatch(/beyond the range of a double .*JSON prints it as null.*status "overflow"/);
    expect(out.warnings.some((w) => w.startsWith("user.txn_sum_by_merchant__2592000__:") && w.includes("overflow"))).toBe(true);
  });

  it("table: the value prints as Infinity / -Infinity, the warning is on stderr; exit 0", () => {
    const result = runAgg(["query", "--feature", 'user.txn_sum["1d"]', "--feature", "user.txn_sum_by_merchant", "--id", "big", "--id", "low", "--id", "small", "--at", AT], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const cells = (id: string) => result.stdout.split("\n").find((l) => l.startsWith(`│ ${id} `))!.split("│").slice(2, -1).map((c) => c.trim());
    expect(cells("big")).toEqual(["Infinity", "m1=Infinity"]);
    expect(cells("low")).toEqual(["-Infinity", "m1=-Infinity"]);
    expect(cells("small")).toEqual(["2.5", "m1=2.5"]);
    expect(result.stderr).toMatch(/^warning: user\.txn_sum__86400__: a value is beyond the range of a double .*status "overflow"$/m);
    expect(result.stdout).not.toContain("warning");
  });
});
