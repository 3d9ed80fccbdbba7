import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { REPO, runAgg, sampleWorkspace, tempDir, writeFiles } from "../helpers/cli.js";
import { cpSync } from "node:fs";

const chalkExample = join(REPO, "test", "fixtures", "projects", "chalk-example");

function workspace(project: string): string {
  const dir = tempDir();
  cpSync(project, join(dir, "features"), { recursive: true });
  return dir;
}

interface JsonRow {
  series: number;
  namespace: string;
  group: string[];
  agg: string;
  bucket: string;
  retention: string;
  aggregation: string;
  dependentFeatures: string[];
}

const listJson = (cwd: string, ...args: string[]): JsonRow[] => {
  const result = runAgg(["list", "--json", ...args], { cwd });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as JsonRow[];
};

describe("agg list", () => {
  test("prints the series table with exactly the SPEC columns", () => {
    const cwd = workspace(chalkExample);
    const result = runAgg(["aggregate", "list"], { cwd });
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n").map((l) => l.split("│").map((c) => c.trim()).filter(Boolean));
    const header = lines.find((l) => l[0] === "Series");
    expect(header).toEqual(["Series", "Namespace", "Group", "Agg", "Bucket", "Retention", "Aggregation", "Dependent Features"]);
    const body = lines.filter((l) => /^\d+$/.test(l[0] ?? ""));
    expect(body).toEqual([
      ["1", "transaction", "user_id merchant_id", "amount", "1d", "30d", "sum", "merchant.txn_sum_by_user user.txn_sum_by_merchant"],
      ["1", "transaction", "user_id merchant_id", "amount", "1d", "30d", "count", "user.txn_count_by_merchant"],
      ["2", "transaction", "user_id", "amount", "1d", "30d", "sum", "user.txn_sum"],
    ]);
    // The store was created next to the project and records the ids.
    expect(existsSync(join(cwd, ".agg", "store.db"))).toBe(true);
  });

  test("--json gives the same rows; --feature narrows them in any name form", () => {
    const cwd = workspace(chalkExample);
    const all = listJson(cwd);
    expect(all.map((r) => [r.series, r.group.join(" "), r.aggregation, r.dependentFeatures.join(" ")])).toEqual([
      [1, "user_id merchant_id", "sum", "merchant.txn_sum_by_user user.txn_sum_by_merchant"],
      [1, "user_id merchant_id", "count", "user.txn_count_by_merchant"],
      [2, "user_id", "sum", "user.txn_sum"],
    ]);
    for (const name of ["user.txn_sum", "user.txn_sum__2592000__", 'user.txn_sum["30d"]', "user.txn_sum__30d__"]) {
      expect(listJson(cwd, "--feature", name).map((r) => r.series)).toEqual([2]);
    }
    expect(listJson(cwd, "--feature", "merchant.txn_sum_by_user").map((r) => r.aggregation)).toEqual(["sum"]);
  });

  test("--wide adds filter, stored buckets, status and backfill times", () => {
    const cwd = sampleWorkspace();
    const rows = JSON.parse(runAgg(["list", "--json", "--wide", "--feature", "user.food_spend"], { cwd }).stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ filter: 'transaction.category eq "food"', storedBuckets: 0, status: "empty", lastBackfill: null });
    expect(typeof rows[0]!.nextBackfill).toBe("string");
    const table = runAgg(["list", "--wide"], { cwd }).stdout;
    for (const column of ["Filter", "Buckets", "Status", "Last Backfill", "Next Backfill"]) expect(table).toContain(column);
  });

  test("an unknown --feature is a usage error that suggests the closest name", () => {
    const cwd = workspace(chalkExample);
    const result = runAgg(["list", "--feature", "user.txn_summ"], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown windowed feature "user.txn_summ"');
    expect(result.stderr).toContain('did you mean "user.txn_sum"');
    const window = runAgg(["list", "--feature", "user.txn_sum__7d__"], { cwd });
    expect(window.code).toBe(2);
    expect(window.stderr).toContain("user.txn_sum__2592000__");
  });

  test("series ids are stable: adding and removing features never renumbers others", () => {
    const cwd = workspace(chalkExample);
    const before = new Map(listJson(cwd).map((r) => [r.dependentFeatures[0], r.series]));
    // A new feature whose series derives FIRST (merchant.ts loads before user.ts).
    const merchant = join(cwd, "features", "merchant.ts");
    writeFileSync(
      merchant,
      readFileSync(merchant, "utf8").replace(
        "  txn_sum_by_user:",
        '  txn_max: windowed("7d", { expression: Transaction.amount.max(), materialization: true }),\n  txn_sum_by_user:',
      ).replace("import { features, string, groupByWindowed }", "import { features, string, groupByWindowed, windowed }"),
    );
    const added = listJson(cwd);
    for (const row of added) {
      const old = before.get(row.dependentFeatures[0]);
      if (old !== undefined) expect(row.series).toBe(old);
    }
    expect(added.find((r) => r.dependentFeatures[0] === "merchant.txn_max")!.series).toBe(3);
    // Remove user.txn_sum (series 2): the merchant series keeps id 3, nothing takes id 2.
    const user = join(cwd, "features", "user.ts");
    writeFileSync(user, readFileSync(user, "utf8").replace(/  txn_sum: windowed\([\s\S]*?\}\),\n/, ""));
    const removed = listJson(cwd);
    expect(removed.map((r) => r.series)).toEqual([1, 1, 3]);
  });

  test("commands that add nothing use up no series ids: the next new series gets the next number", () => {
    const cwd = workspace(chalkExample);
    const ids = listJson(cwd).map((r) => r.series);
    // Many runs that register nothing new (each used to burn AUTOINCREMENT ids on its conflicting INSERTs).
    for (let i = 0; i < 5; i++) listJson(cwd);
    expect(runAgg(["backfill", "--plan"], { cwd }).code).toBe(0);
    const merchant = join(cwd, "features", "merchant.ts");
    writeFileSync(
      merchant,
      readFileSync(merchant, "utf8")
        .replace("  txn_sum_by_user:", '  txn_min: windowed("7d", { expression: Transaction.amount.min(), materialization: true }),\n  txn_sum_by_user:')
        .replace("import { features, string, groupByWindowed }", "import { features, string, groupByWindowed, windowed }"),
    );
    expect(listJson(cwd).find((r) => r.dependentFeatures[0] === "merchant.txn_min")!.series).toBe(Math.max(...ids) + 1);
  });

  test("an empty project says so", () => {
    const cwd = tempDir();
    writeFiles(cwd, { "features/transaction.ts": 'import { features, string } from "agg";\nexport const T = features("t", { id: string().primary() });\n' });
    const result = runAgg(["list"], { cwd });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("No materialized windowed features");
  });

  test("a missing project folder is a usage error with a hint", () => {
    const result = runAgg(["list", "--project", "nowhere"], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no feature project at");
    expect(result.stderr).toContain("agg init");
  });

  test("AGG_PROJECT and AGG_STORE choose the project and the store", () => {
    const cwd = tempDir();
    const store = join(cwd, "elsewhere", "my.db");
    const result = runAgg(["list", "--json"], { cwd, env: { AGG_PROJECT: chalkExample, AGG_STORE: store } });
    expect(result.code).toBe(0);
    expect(existsSync(store)).toBe(true);
  });
});

test("the README's sample project lists without problems", () => {
  const cwd = sampleWorkspace();
  const rows = listJson(cwd);
  expect(new Set(rows.map((r) => r.series)).size).toBeGreaterThanOrEqual(4);
  expect(rows.some((r) => r.dependentFeatures.includes("user.txn_sum_by_merchant") && r.dependentFeatures.includes("merchant.txn_sum_by_user"))).toBe(true);
});


test("the project cache never hides an edit: a file broken after a cached run is reported", () => {
  const cwd = sampleWorkspace();
  expect(runAgg(["list", "--json"], { cwd }).code).toBe(0);
  expect(runAgg(["list", "--json"], { cwd }).code).toBe(0); // served from the cache
  const user = join(cwd, "features", "user.ts");
  writeFileSync(user, readFileSync(user, "utf8").replace('windowed("1d", "7d", "30d"', 'windowed("1d", "7x", "30d"'));
  const result = runAgg(["list"], { cwd });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('features/user.ts:6: invalid window "7x"');
});
