import { createRequire } from "node:module";
import { sep } from "node:path";

/**
 * Drops the feature project's modules from Node's require cache, where the TS loader keeps
 * them: without this, loading the project again in the same process (a SIGHUP reload)
 * returns the modules as first loaded, and the project cache would then store that old
 * project under the edited files' key. Returns how many modules were dropped.
 */
export function forgetProjectModules(root: string): number {
  const cache = createRequire(import.meta.url).cache;
  let dropped = 0;
  for (const path of Object.keys(cache)) {
    if (!path.startsWith(root + sep)) continue;
    delete cache[path];
    dropped++;
  }
  return dropped;
}
