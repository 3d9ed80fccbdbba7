import { statSync } from "node:fs";

/**
 * When the store's files last changed: the database file's modification time, or the
 * write-ahead log's when it holds frames (every commit appends to it; a reader opening the
 * store may create it empty, which is no commit). A checkpoint also writes the file, so
 * this can be later than the last commit, never earlier. Reads no SQL and takes no lock;
 * null when the store cannot be read.
 */
export function lastCommitTime(storePath: string): number | null {
  let newest: number | null = null;
  for (const path of [storePath, `${storePath}-wal`]) {
    try {
      const stat = statSync(path);
      if (path !== storePath && stat.size === 0) continue;
      const ms = Math.floor(stat.mtimeMs);
      if (newest === null || ms > newest) newest = ms;
    } catch {
      // No log (nothing written since the last checkpoint), or the store is gone.
    }
  }
  return newest;
}
