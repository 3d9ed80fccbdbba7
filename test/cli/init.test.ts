import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { REPO, runAgg, tempDir, writeFiles } from "../helpers/cli.js";

test("agg init writes a starter project that loads, lists, and type-checks against the installed agg", () => {
  const cwd = tempDir();
  const result = runAgg(["init", "my-features"], { cwd });
  expect(result.code).toBe(0);
  expect(readdirSync(join(cwd, "my-features")).sort()).toEqual(["events.ndjson", "streams.ts", "transaction.ts", "tsconfig.json", "user.ts"]);
  const check = runAgg(["check", "--project", "my-features"], { cwd });
  expect(check.code).toBe(0);
  expect(check.stdout).toContain("1 stream resolver, 0 offline sources");
  const list = JSON.parse(runAgg(["list", "--json", "--project", "my-features"], { cwd }).stdout) as { dependentFeatures: string[] }[];
  expect(list.map((r) => r.dependentFeatures)).toEqual([["user.txn_sum"]]);
  // The editor's view: tsc with the generated tsconfig finds "agg" and "zod" types.
  const tsc = join(REPO, "node_modules", "typescript", "bin", "tsc");
  execFileSync(process.execPath, [tsc, "-p", join(cwd, "my-features", "tsconfig.json")], { encoding: "utf8" });
  // ...and a type error in the project is caught there.
  writeFiles(cwd, { "my-features/bad.ts": 'import { Transaction } from "./transaction.js";\nexport const x = Transaction.id.sum();\n' });
  let output = "";
  try {
    execFileSync(process.execPath, [tsc, "-p", join(cwd, "my-features", "tsconfig.json")], { encoding: "utf8", stdio: "pipe" });
  } catch (error) {
    output = String((error as { stdout?: string }).stdout);
  }
  expect(output).toMatch(/bad\.ts\(2,\d+\): error TS/);
});

test("agg init refuses a folder that is not empty", () => {
  const cwd = tempDir();
  writeFiles(cwd, { "taken/keep.txt": "mine" });
  const result = runAgg(["init", "taken"], { cwd });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("is not empty");
});
