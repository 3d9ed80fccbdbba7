/**
 * Loading a project twice in one process (agg serve's SIGHUP, openStore again) sees the
 * files as they are then, not the modules Node's require cache kept from the first load;
 * otherwise the project cache would store the old project under the edited files' key.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProject, projectSource } from "../../../src/project/load-project.js";
import { SAMPLE_PROJECT, tempDir } from "../../helpers/cli.js";

describe("a project loaded again in the same process", () => {
  it("reflects an edit made between the loads", async () => {
    const dir = join(tempDir("agg-reload-"), "features");
    cpSync(SAMPLE_PROJECT, dir, { recursive: true });
    const windowsOf = async () => (await loadProject(projectSource(dir))).project.windowed.find((f) => f.fqn === "user.txn_max")!.windows;
    expect(await windowsOf()).toEqual([7 * 86_400_000, 30 * 86_400_000]);
    const user = join(dir, "user.ts");
    writeFileSync(user, readFileSync(user, "utf8").replace('txn_max: windowed("7d", "30d",', 'txn_max: windowed("7d", "14d", "30d",'));
    expect(await windowsOf()).toEqual([7 * 86_400_000, 14 * 86_400_000, 30 * 86_400_000]);
  });
});
