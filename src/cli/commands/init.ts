import { relative } from "node:path";
import type { Io } from "../io.js";

/** `agg init [DIR]`: a starter project that type-checks against the installed agg. */
export async function initCommand(io: Io, dir: string): Promise<void> {
  const { initProject } = await import("../../project/init-project.js");
  const files = initProject(dir);
  for (const file of files) io.out(`created ${relative(io.cwd, file) || file}`);
  const rel = relative(io.cwd, dir) || ".";
  io.out(`\nNext:\n  agg list --project ${rel}\n  agg ingest --project ${rel} --source transactions --file ${rel}/events.ndjson\n  agg query --project ${rel} --feature user.txn_sum --id u1 --at 2024-03-01T12:00:00Z`);
}
