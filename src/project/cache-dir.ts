import { lstatSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/**
 * The folders agg caches in. A cache holds code that agg runs (jiti's compiled feature
 * files) and data that agg trusts (validated projects), so it must be writable by the
 * user alone: a folder anyone else could have written to is not used at all (its entry
 * is null) and `warnings` says why and what to do.
 */
export interface CacheDirs {
  /** jiti's compiled feature files, or null: compile in memory only. */
  readonly jiti: string | null;
  /** Validated projects' plain data (project-cache.ts), or null: no project cache. */
  readonly projects: string | null;
  readonly warnings: readonly string[];
}

/** `AGG_CACHE_DIR`, else `$XDG_CACHE_HOME/agg` when that is absolute, else `~/.cache/agg`. */
export function cacheRoot(env: NodeJS.ProcessEnv): string {
  const explicit = env.AGG_CACHE_DIR;
  if (explicit !== undefined && explicit !== "") return resolve(explicit);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, "agg");
  return join(homedir(), ".cache", "agg");
}

/** Creates (mode 0700) and checks the cache folders; a refused folder is never read or written. */
export function openCacheDirs(env: NodeJS.ProcessEnv = process.env): CacheDirs {
  const root = cacheRoot(env);
  const refused = ownFolder(root);
  if (refused !== null) return { jiti: null, projects: null, warnings: [refused] };
  const warnings: string[] = [];
  const use = (dir: string): string | null => {
    const reason = ownFolder(dir);
    if (reason !== null) warnings.push(reason);
    return reason === null ? dir : null;
  };
  return { jiti: use(join(root, "jiti")), projects: use(join(root, "projects")), warnings };
}

/** Null when `dir` is a real folder of this user that no one else can write; else why not, and the fix. */
function ownFolder(dir: string): string | null {
  const notUsed = "agg ran without its disk cache (slower, nothing else changes)";
  let stat;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // lstat, not stat: a symbolic link could be pointed elsewhere by whoever owns it.
    stat = lstatSync(dir);
  } catch (error) {
    return `cannot create the cache folder ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)}); ${notUsed}: set AGG_CACHE_DIR to a folder you can write`;
  }
  if (stat.isSymbolicLink()) return `the cache folder ${dir} is a symbolic link; ${notUsed}: remove the link (agg creates the folder), or set AGG_CACHE_DIR`;
  if (!stat.isDirectory()) return `the cache folder ${dir} is not a folder; ${notUsed}: remove it, or set AGG_CACHE_DIR`;
  // Windows has no uids and no permission bits to check.
  if (process.getuid === undefined) return null;
  const uid = process.getuid();
  if (stat.uid !== uid) {
    return `the cache folder ${dir} belongs to another user (uid ${stat.uid}, you are ${uid}); ${notUsed}: remove it, or set AGG_CACHE_DIR to a folder of your own`;
  }
  if ((stat.mode & 0o022) !== 0) {
    return `the cache folder ${dir} is writable by other users (mode ${(stat.mode & 0o777).toString(8).padStart(3, "0")}); ${notUsed}: remove it or chmod 700 it`;
  }
  return null;
}
