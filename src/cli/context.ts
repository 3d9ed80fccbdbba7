import { dirname, join, resolve } from "node:path";
import type { Io } from "./io.js";

/** Options every command accepts. */
export interface GlobalOptions {
  project?: string;
  /** A path, or true for `--store` without one (the default store; `agg check --store` verifies it). */
  store?: string | true;
  json?: boolean;
  verbose?: boolean;
}

/** Where the feature project is: --project, AGG_PROJECT, or ./features. */
export function projectDir(io: Io, options: GlobalOptions): string {
  return resolve(io.cwd, options.project ?? nonEmpty(io.env.AGG_PROJECT) ?? "features");
}

/** Where the store is: --store, AGG_STORE, or .agg/store.db next to the feature project. */
export function storePath(io: Io, options: GlobalOptions): string {
  const explicit = typeof options.store === "string" ? options.store : nonEmpty(io.env.AGG_STORE);
  if (explicit !== undefined) return resolve(io.cwd, explicit);
  return join(dirname(projectDir(io, options)), ".agg", "store.db");
}

/** An empty environment variable counts as unset. */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** How long to wait for another process's lock: AGG_BUSY_TIMEOUT_MS, default 10 s. */
export function storeOptions(io: Io): { busyTimeoutMs: number } {
  const raw = nonEmpty(io.env.AGG_BUSY_TIMEOUT_MS);
  const ms = raw === undefined ? NaN : Number(raw);
  return { busyTimeoutMs: Number.isSafeInteger(ms) && ms >= 0 ? ms : 10_000 };
}
