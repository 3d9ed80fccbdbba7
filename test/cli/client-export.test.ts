/**
 * The built package's `agg/client` export, as a Node program imports it: it resolves
 * through package.json "exports", opens a store without writing to it, and answers as
 * `agg query --json` does.
 */
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { expect, it } from "vitest";
import { REPO, runAgg } from "../helpers/cli.js";
import { ingestedWorkspace } from "../unit/offline-query/offline-fixture.js";

it("import { openStore } from \"agg/client\" answers as agg query does, and writes nothing", () => {
  const ws = ingestedWorkspace(500, 2);
  const before = statSync(ws.store).mtimeMs;
  const program = `
    const { openStore } = await import("agg/client");
    const store = await openStore({ project: ${JSON.stringify(ws.project)} });
    const result = await store.query({ features: ["user.txn_sum", "user.txn_sum_by_merchant"], ids: ["u1", "u2"], at: "2024-03-01T00:00:00Z" });
    store.close();
    process.stdout.write(JSON.stringify({ at: result.at, rows: result.rows, warnings: result.warnings }));`;
  // Run from inside the package: a package can import itself by name through its exports.
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", program], { cwd: REPO, encoding: "utf8" });
  expect(child.status, child.stderr).toBe(0);
  const cli = runAgg(["query", "--feature", "user.txn_sum", "--feature", "user.txn_sum_by_merchant", "--id", "u1", "--id", "u2", "--at", "2024-03-01T00:00:00Z", "--json"], { cwd: ws.dir });
  expect(JSON.parse(child.stdout)).toEqual({ ...JSON.parse(cli.stdout), at: "2024-03-01T00:00:00.000Z" });
  expect(statSync(ws.store).mtimeMs).toBe(before);
});
